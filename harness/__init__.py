"""offline-harness: proves a field-service app's offline queue syncs exactly once."""

from __future__ import annotations

__version__ = "0.1.0"
