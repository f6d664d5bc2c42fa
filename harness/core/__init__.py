"""Shared vocabulary of the harness. Depends on nothing else in the package."""
