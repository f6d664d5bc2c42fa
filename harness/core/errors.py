"""The one error type every part raises for something the user can fix."""

from __future__ import annotations


class HarnessError(Exception):
    """An error the user can fix: the CLI prints it as one line and exits with code 2."""
