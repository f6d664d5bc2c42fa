"""Tests of the scenario runner, the run command and the pytest plugin."""
