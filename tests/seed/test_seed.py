from __future__ import annotations

import struct
import zlib

from harness.seed import data, media


def _png_chunks(png: bytes) -> list[bytes]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    kinds, pos = [], 8
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, body = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", png[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body), f"bad CRC in {kind!r}"
        kinds.append(kind)
        pos += 12 + length
    return kinds


def test_same_seed_gives_same_company_and_other_seed_differs():
    first = data.make_company(7, ["tech-a", "tech-b"], jobs_per_technician=2)
    assert first == data.make_company(7, ["tech-a", "tech-b"], jobs_per_technician=2)
    assert first != data.make_company(8, ["tech-a", "tech-b"], jobs_per_technician=2)
    assert len(first.jobs) == 4 and {job.technician for job in first.jobs} == {"tech-a", "tech-b"}
    assert {job.customer_key for job in first.jobs} == {c.key for c in first.customers}


def test_photo_is_a_valid_png_of_about_the_asked_size_and_reproducible():
    png = media.photo(3, 120_000)
    assert _png_chunks(png) == [b"IHDR", b"IDAT", b"IEND"]
    assert abs(len(png) - 120_000) < 1_000
    assert png == media.photo(3, 120_000) and png != media.photo(4, 120_000)


def test_signature_is_a_valid_greyscale_png_with_ink():
    png = media.signature(5)
    assert _png_chunks(png) == [b"IHDR", b"IDAT", b"IEND"]
    width, height, depth, color_type = struct.unpack(">IIBB", png[16:26])
    assert (width, height, depth, color_type) == (400, 120, 8, 0)
    idat = png.index(b"IDAT")
    (length,) = struct.unpack(">I", png[idat - 4 : idat])
    pixels = zlib.decompress(png[idat + 4 : idat + 4 + length])
    assert b"\x00" in pixels.replace(b"\x00\xff", b"\xff")  # dark pixels besides filter bytes
