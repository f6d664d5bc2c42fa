"""How big a scenario file may be. Far above any real scenario (the catalogue's largest is a few KB,
explore writes at most 6 steps), low enough that loading stays well under a few seconds and a
hostile file (a nesting or alias bomb) is refused before it costs time or memory."""

from __future__ import annotations

MAX_FILE_BYTES = 512 * 1024  # about 5,000 steps; a load takes at most a few seconds
MAX_DEPTH = 20  # lists and mappings inside each other; the schema's deepest place is 6 levels down
MAX_VALUES = 250_000  # values (keys, scalars, lists, mappings), counted after aliases are expanded
MAX_PROBLEMS = 50  # problems collected for one file: the message shows the first, then how many more
MAX_NAMES_SHOWN = 10  # names listed in a "known: ..." hint


def too_big(size: int, unit: str = "bytes") -> str:
    """The problem of a file of ``size`` bytes (or characters) over MAX_FILE_BYTES, with the fix."""
    return (f"is {size / 1_048_576:.1f} MB ({size} {unit}); a scenario file may be at most"
            f" {MAX_FILE_BYTES // 1024} KB: split it into several scenarios")
