"""The processes the runner starts (a device or the server as its own process, so that a scenario can
SIGKILL it): each one is terminated and waited for on every exit path, so a run never leaves one
behind, running or as a zombie.

The blocking parts (a server's start, a wait for an exit) run in threads so the other scenarios of
the run go on meanwhile; a cancellation (a deadline, Ctrl-C) must not cut them short, or the
process they concern is left without an owner.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import subprocess
import threading
from typing import Any, Callable, TypeVar

STOP_TIMEOUT_S = 10.0  # after SIGTERM, how long a process may take to exit before it gets SIGKILL

T = TypeVar("T")


def stop(process: subprocess.Popen[Any] | None) -> None:
    """SIGTERM, then SIGKILL if it lingers; always waited for, and our ends of its pipes closed.
    Idempotent and safe from several threads at once (Popen.wait takes a lock)."""
    if process is None:
        return
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    _close_pipes(process)


def kill(process: subprocess.Popen[Any] | None) -> None:
    """SIGKILL (a crash: no shutdown, nothing flushed), waited for, pipes closed. Idempotent."""
    if process is None:
        return
    if process.poll() is None:
        process.kill()
    process.wait()
    _close_pipes(process)


def _close_pipes(process: subprocess.Popen[Any]) -> None:
    for stream in (process.stdin, process.stdout, process.stderr):
        if stream is not None:
            stream.close()


async def finish(cleanup: Callable[[], None]) -> None:
    """Run a blocking, idempotent ``cleanup`` in a thread; if the task is cancelled meanwhile, finish
    it in this thread before the cancellation goes on (it takes as long as it takes: it is a stop)."""
    done = asyncio.ensure_future(asyncio.to_thread(cleanup))
    try:
        await asyncio.shield(done)
    except asyncio.CancelledError:
        cleanup()
        raise


def in_thread(call: Callable[[], T], name: str) -> concurrent.futures.Future[T]:
    """Start a blocking ``call`` (one that spawns a process) in a thread of its own and return its
    future. Unlike ``asyncio.to_thread``, a cleanup can wait for it even after the task awaiting it
    was cancelled; await it with ``asyncio.wrap_future``."""
    future: concurrent.futures.Future[T] = concurrent.futures.Future()
    context = contextvars.copy_context()

    def run() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(context.run(call))
        except BaseException as exc:  # handed to whoever awaits the future
            future.set_exception(exc)

    threading.Thread(target=run, name=f"offline-harness start {name}").start()
    return future
