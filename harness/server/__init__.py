"""The reference server: the field-service backend the reference client syncs with."""

from __future__ import annotations
