"""The one error a broken scenario file gives: file, line, what is wrong and how to fix it."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Iterable

from harness.core.errors import HarnessError
from harness.scenarios.limits import MAX_NAMES_SHOWN, MAX_PROBLEMS

Path = tuple[Any, ...]
_MANY = 200  # options beyond which did_you_mean looks only at those of a similar length


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
        ordered = sorted(set(problems), key=lambda p: (p.line if p.line is not None else 0, p.rank, p.message))
        if not ordered:
            raise ValueError("ScenarioError needs at least one problem")
        self.problems = ordered[:MAX_PROBLEMS]  # the checks stop collecting soon after MAX_PROBLEMS
        first = self.problems[0]
        self.line = first.line
        where = f"{source}:{first.line}" if first.line is not None else source
        more = len(self.problems) - 1
        at_least = "at least " if len(ordered) > MAX_PROBLEMS else ""
        tail = f" ({at_least}{more} more problem{'s' if more > 1 else ''} after this one)" if more else ""
        super().__init__(f"{where}: {first.message}{tail}")


def format_path(path: Path) -> str:
    """``("steps", 3, "do")`` -> ``steps[3].do``; the empty path is the top level."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def listed(choices: list[str]) -> str:
    """``a, b, c`` for a hint, the first MAX_NAMES_SHOWN of a long list then how many more."""
    shown = ", ".join(choices[:MAX_NAMES_SHOWN]) or "none yet"
    return shown + (f" and {len(choices) - MAX_NAMES_SHOWN} more" if len(choices) > MAX_NAMES_SHOWN else "")


def did_you_mean(value: Any, choices: Iterable[Any]) -> str:
    """`` Did you mean 'x'?`` when one choice is close to ``value``, else an empty string."""
    options = [str(choice) for choice in choices]
    if len(options) > _MANY:  # difflib compares with every option: keep those of about the same length
        options = [option for option in options if abs(len(option) - len(str(value))) <= 2]
    close = difflib.get_close_matches(str(value), options, n=1, cutoff=0.6)
    if not close:
        lowered = {option.lower(): option for option in options}
        close = [lowered[str(value).lower()]] if str(value).lower() in lowered else []
    return f" Did you mean {close[0]!r}?" if close else ""
