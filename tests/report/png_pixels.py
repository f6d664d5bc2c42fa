"""Decode an 8-bit, non-interlaced RGB/RGBA PNG (what Chromium's --screenshot writes) with zlib.

Hand-written because the tests only need a few pixels and no image library is a dependency;
the filter types are those of the PNG spec (W3C PNG, section 9 "Filtering").
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Image:
    width: int
    height: int
    channels: int
    rows: list[bytes]

    def pixel(self, x: int, y: int) -> tuple[int, int, int]:
        start = x * self.channels
        return tuple(self.rows[y][start:start + 3])  # type: ignore[return-value]


def decode_png(data: bytes, max_rows: int | None = None) -> Image:
    """The image's top ``max_rows`` rows (all by default; pure Python, so ask only for what you need)."""
    if not data.startswith(SIGNATURE):
        raise ValueError("not a PNG file")
    position, chunks, header = len(SIGNATURE), [], None
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        position += 12 + length
    assert header is not None, "PNG without IHDR"
    width, height, depth, color_type, _, _, interlace = header
    if depth != 8 or color_type not in (2, 6) or interlace:
        raise ValueError(f"unsupported PNG: depth {depth}, colour type {color_type}, interlace {interlace}")
    channels = 3 if color_type == 2 else 4
    stride = width * channels
    height = min(height, max_rows) if max_rows is not None else height
    raw = zlib.decompressobj().decompress(b"".join(chunks), height * (stride + 1))
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        offset = y * (stride + 1)
        kind, line = raw[offset], bytearray(raw[offset + 1:offset + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            up_left = previous[i - channels] if i >= channels else 0
            line[i] = (line[i] + _predict(kind, left, up, up_left)) & 0xFF
        rows.append(bytes(line))
        previous = line
    return Image(width, height, channels, rows)


def _predict(kind: int, left: int, up: int, up_left: int) -> int:
    if kind == 0:
        return 0
    if kind == 1:
        return left
    if kind == 2:
        return up
    if kind == 3:
        return (left + up) // 2
    if kind == 4:  # Paeth
        estimate = left + up - up_left
        distances = (abs(estimate - left), abs(estimate - up), abs(estimate - up_left))
        return (left, up, up_left)[distances.index(min(distances))]
    raise ValueError(f"unknown PNG filter type {kind}")
