"""Sample media: valid PNG images made from a seed, so uploads carry real image files.

Written with zlib and struct rather than an imaging library: a PNG needs only three chunks, and
keeping the harness free of Pillow keeps its install small.
"""

from __future__ import annotations

import math
import random
import struct
import zlib

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(width: int, height: int, rows: list[bytes], color_type: int, level: int) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    raw = b"".join(b"\x00" + row for row in rows)  # filter type 0 on every row
    return (
        _PNG_SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, level))
        + _chunk(b"IEND", b"")
    )


def photo(seed: int, approx_bytes: int = 200_000) -> bytes:
    """An RGB noise photo whose PNG is about ``approx_bytes`` long (noise does not compress)."""
    if approx_bytes < 1_000:
        raise ValueError("a sample photo needs approx_bytes >= 1000")
    rng = random.Random(seed)
    width = 256
    height = max(1, approx_bytes // (width * 3))
    rows = [rng.randbytes(width * 3) for _ in range(height)]
    return _png(width, height, rows, color_type=2, level=0)


def signature(seed: int, width: int = 400, height: int = 120) -> bytes:
    """A greyscale signature: a seeded pen stroke on white, as a signature pad would capture."""
    rng = random.Random(seed)
    canvas = [bytearray(b"\xff" * width) for _ in range(height)]
    loops = rng.uniform(3, 6)
    amplitude = rng.uniform(0.2, 0.4) * height
    phase = rng.uniform(0, math.tau)
    for x in range(10, width - 10):
        t = (x - 10) / (width - 20)
        y = height / 2 + amplitude * math.sin(t * loops * math.tau + phase) * (1 - t / 2)
        for dy in (-1, 0, 1):
            row = int(y) + dy
            if 0 <= row < height:
                canvas[row][x] = 0
    return _png(width, height, [bytes(row) for row in canvas], color_type=0, level=9)
