"""A link's kernel pipe: the bytes of its chunks, moved socket -> pipe -> socket by ``os.splice``.

The pipe is a FIFO and a link's chunks leave its chain in stream order, so a chunk is only an
offset into the pipe's stream: the byte counts spliced in (``head``) and taken out (``tail``) are
enough to find it. Bytes a toxic dropped (timeout, limit_data) are still in the pipe; they are
skipped (spliced to /dev/null) when a later chunk is written, or when the link ends.

Zero copy: splice(2) moves page references between socket buffers and the pipe, no byte passes
through Python (https://man7.org/linux/man-pages/man2/splice.2.html).
"""

from __future__ import annotations

import contextlib
import fcntl
import os

CAN_SPLICE = hasattr(os, "splice") and hasattr(fcntl, "F_SETPIPE_SZ")
PIPE_SIZE = 1024 * 1024  # 1 MiB, Linux's default pipe-max-size
FLAGS = getattr(os, "SPLICE_F_MOVE", 0) | getattr(os, "SPLICE_F_NONBLOCK", 0)

_devnull = -1


def _devnull_fd() -> int:
    global _devnull
    if _devnull < 0:
        _devnull = os.open(os.devnull, os.O_WRONLY | os.O_CLOEXEC)
    return _devnull


class BytePipe:
    def __init__(self) -> None:
        self.read_fd, self.write_fd = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        with contextlib.suppress(OSError):  # over the user's pipe quota: keep the default size
            fcntl.fcntl(self.write_fd, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
        self.capacity = fcntl.fcntl(self.write_fd, fcntl.F_GETPIPE_SZ)
        self.head = 0  # bytes spliced in since the link started
        self.tail = 0  # bytes taken out (written or skipped)

    @property
    def fill(self) -> int:
        return self.head - self.tail

    @property
    def room(self) -> int:
        return self.capacity - (self.head - self.tail)

    def take_in(self, source_fd: int, limit: int) -> int:
        """Splice up to `limit` bytes from a socket; 0 at its end. Raises BlockingIOError, OSError."""
        moved = os.splice(source_fd, self.write_fd, limit, flags=FLAGS)
        self.head += moved
        return moved

    def give_out(self, destination_fd: int, offset: int, count: int) -> int:
        """Splice up to `count` bytes, those at stream offset `offset`, to a socket; bytes moved.

        Whatever lies in the pipe before `offset` was dropped by a toxic and is skipped first.
        Raises BlockingIOError when the socket is full, OSError when it failed.
        """
        if offset > self.tail:
            self.skip(offset - self.tail)
        moved = os.splice(self.read_fd, destination_fd, count, flags=FLAGS)
        self.tail += moved
        return moved

    def skip(self, count: int) -> None:
        while count > 0:
            moved = os.splice(self.read_fd, _devnull_fd(), count, flags=FLAGS)
            if moved <= 0:
                return
            self.tail += moved
            count -= moved

    def close(self) -> None:
        if self.read_fd >= 0:
            os.close(self.read_fd)
            os.close(self.write_fd)
            self.read_fd = self.write_fd = -1
