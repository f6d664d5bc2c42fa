"""Child processes as Linux shows them in /proc (psutil is not a dependency), and a record of every
process the code under test starts."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass(frozen=True)
class Process:
    pid: int
    ppid: int
    state: str  # R, S, D, Z (a zombie: exited, never waited for), ...
    command: str


def _read(pid_dir: Path) -> Process | None:
    try:
        stat = (pid_dir / "stat").read_text()
        command = (pid_dir / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None  # it ended while we looked
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'
    state, ppid = stat[stat.rindex(")") + 2:].split()[:2]
    return Process(int(pid_dir.name), int(ppid), state, command)


def all_processes() -> list[Process]:
    found = (_read(entry) for entry in PROC.iterdir() if entry.name.isdigit())
    return [process for process in found if process is not None]


def descendants(pid: int | None = None) -> list[Process]:
    """Every process below ``pid`` (default: this one), zombies included."""
    everyone = all_processes()
    below: list[Process] = []
    parents = {os.getpid() if pid is None else pid}
    while True:
        found = [p for p in everyone if p.ppid in parents and p not in below]
        if not found:
            return below
        below += found
        parents = {p.pid for p in found}


def mentioning(text: str) -> list[Process]:
    """Live processes whose command line holds ``text`` (an orphan is reparented, so look everywhere)."""
    return [p for p in all_processes() if text in p.command and p.pid != os.getpid()]


class Spawned(list):
    """Every subprocess.Popen made while installed (see ``record``), from any thread."""

    def mentioning(self, text: str) -> list[subprocess.Popen]:
        return [p for p in self if text in " ".join(map(str, p.args))]

    @staticmethod
    def not_reaped(processes: list[subprocess.Popen]) -> list[str]:
        """Those never waited for: still running, or zombies (``returncode`` is set only by a wait)."""
        return [" ".join(map(str, p.args)) for p in processes if p.returncode is None]


def record(monkeypatch) -> Spawned:
    spawned = Spawned()

    class RecordingPopen(subprocess.Popen):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            spawned.append(self)

    monkeypatch.setattr(subprocess, "Popen", RecordingPopen)
    return spawned
