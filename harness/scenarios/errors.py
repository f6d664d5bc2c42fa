"""The one error a broken scenario file gives: file, line, what is wrong and how to fix it."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Iterable

from harness.core.errors import HarnessError

Path = tuple[Any, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario, at a line (1-based; None when the file has no line for it).

    Problems are shown by line; on one line, the lower ``rank`` first (a precise "unknown key
    'netwrk'. Did you mean 'network'?" before a generic "a step needs one of ...").
    """

    line: int | None
    message: str
    rank: int = 0


class ScenarioError(HarnessError):
    """A scenario file that cannot be run; ``str()`` is ``file:line: message`` (the first problem)."""

    def __init__(self, source: str, problems: Iterable[Problem]) -> None:
        self.source = source
        self.problems = sorted(set(problems), key=lambda p: (p.line if p.line is not None else 0, p.rank, p.message))
        if not self.problems:
            raise ValueError("ScenarioError needs at least one problem")
        first = self.problems[0]
        self.line = first.line
        where = f"{source}:{first.line}" if first.line is not None else source
        more = len(self.problems) - 1
        tail = f" ({more} more problem{'s' if more > 1 else ''} after this one)" if more else ""
        super().__init__(f"{where}: {first.message}{tail}")


def format_path(path: Path) -> str:
    """``("steps", 3, "do")`` -> ``steps[3].do``; the empty path is the top level."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def did_you_mean(value: Any, choices: Iterable[Any]) -> str:
    """`` Did you mean 'x'?`` when one choice is close to ``value``, else an empty string."""
    options = [str(choice) for choice in choices]
    close = difflib.get_close_matches(str(value), options, n=1, cutoff=0.6)
    if not close:
        lowered = {option.lower(): option for option in options}
        close = [lowered[str(value).lower()]] if str(value).lower() in lowered else []
    return f" Did you mean {close[0]!r}?" if close else ""
