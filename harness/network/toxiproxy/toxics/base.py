"""What every toxic is: attributes decoded from the API and one `pipe` coroutine run per link.

Modelled on Toxiproxy's toxics/toxic.go: a toxic reads chunks from its stage's input and writes
to its output until the input ends or the stage is interrupted (here: its task is cancelled).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from harness.network.toxiproxy.link import Stage


class Toxic:
    """Base class: subclasses set `type_name`, `struct_name`, `fields` and implement `pipe`."""

    type_name: ClassVar[str] = ""
    struct_name: ClassVar[str] = ""  # the Go struct's name, used in error messages
    fields: ClassVar[dict[str, str]] = {}  # JSON name -> Go type, in the real server's order
    buffer_size: ClassVar[int] = 1  # chunks the stage's input holds (Go's BufferedToxic)

    def __init__(self) -> None:
        for name, go_type in self.fields.items():
            setattr(self, name, 0 if go_type != "string" else "")

    def attributes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.fields}

    def set_attributes(self, values: dict[str, Any]) -> None:
        for name in self.fields:
            if name in values:
                setattr(self, name, values[name])

    def new_state(self) -> Any:
        """Per-connection state kept across re-runs of the stage (Go's StatefulToxic)."""
        return None

    def cleanup(self, stage: Stage) -> None:
        """Called when the toxic is removed from a live link (Go's CleanupToxic)."""

    async def pipe(self, stage: Stage) -> None:
        raise NotImplementedError
