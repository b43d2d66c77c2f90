"""Hostile picture files on the Real images page: decompression bombs, lying headers, odd modes.

Each bomb is built here, by hand, from a few bytes (a header that claims 20000×20000 pixels),
so nothing large is committed or allocated. Pillow raises ``DecompressionBombError`` for such
headers inside ``Image.open`` itself; the page must answer with its own message, from the
header alone, and never decode the pixels.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from tests.apptest_util import plain
from tests.test_app_images import images_page
from ui import images

SIDE = 20000  # 400 million pixels: over twice Pillow's MAX_IMAGE_PIXELS (89,478,485)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int = SIDE, height: int = SIDE) -> bytes:
    """A valid PNG header for a grey width×height picture followed by one tiny compressed chunk."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale, no interlace
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(bytes(64))) + _chunk(b"IEND", b"")
    )


def gif_bomb() -> bytes:
    """37 bytes: a GIF89a screen and one image descriptor claiming SIDE×SIDE, then a stub of data."""
    screen = b"GIF89a" + struct.pack("<HHBBB", SIDE, SIDE, 0, 0, 0)
    descriptor = b"," + struct.pack("<HHHHB", 0, 0, SIDE, SIDE, 0)
    data = (screen + descriptor + b"\x02\x02D\x01\x00;").ljust(37, b"\x00")
    assert len(data) == 37
    return data


def tiff_bomb(width: int = SIDE, height: int = SIDE) -> bytes:
    """A little-endian TIFF whose one IFD claims an 8-bit grey width×height picture, stored in a few bytes."""
    entries = [  # (tag, type, count, value): type 3 = SHORT, 4 = LONG
        (256, 4, 1, width),  # ImageWidth
        (257, 4, 1, height),  # ImageLength
        (258, 3, 1, 8),  # BitsPerSample
        (259, 3, 1, 1),  # Compression: none
        (262, 3, 1, 1),  # Photometric: black is zero
        (273, 4, 1, 0),  # StripOffsets (patched below)
        (277, 3, 1, 1),  # SamplesPerPixel
        (278, 4, 1, height),  # RowsPerStrip
        (279, 4, 1, width * height),  # StripByteCounts: a lie, the file holds 16 bytes
    ]
    ifd_offset = 8
    pixels_offset = ifd_offset + 2 + 12 * len(entries) + 4
    ifd = struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        value = pixels_offset if tag == 273 else value
        ifd += (
            struct.pack("<HHII", tag, kind, count, value)
            if kind == 4
            else struct.pack("<HHIHH", tag, kind, count, value, 0)
        )
    return b"II*\x00" + struct.pack("<I", ifd_offset) + ifd + struct.pack("<I", 0) + bytes(16)


@pytest.mark.parametrize("make", [png_bomb, gif_bomb, tiff_bomb], ids=["png", "gif", "tiff"])
def test_a_bomb_is_refused_from_its_header(make):
    data = make()
    assert len(data) < 12_000  # the attack is a small file
    # What Pillow itself does with it (the old behaviour let this escape the page's checks).
    with pytest.raises(Image.DecompressionBombError):
        Image.open(io.BytesIO(data))
    with pytest.raises(images.ImageError, match=r"far larger than 1024×1024 pixels.*not decoded"):
        images.decode_image(data)


def test_a_header_just_over_the_cap_is_refused_before_decoding(monkeypatch):
    """Under Pillow's bomb limit but over ours: refused by the size check, and load() is never called."""
    loaded = []
    monkeypatch.setattr(Image.Image, "load", lambda self, *a, **k: loaded.append(self.size))
    with pytest.raises(images.ImageError, match="5000×5000 pixels; at most 1024×1024"):
        images.decode_image(png_bomb(5000, 5000))
    assert loaded == []


def test_a_warning_sized_bomb_is_refused_even_when_warnings_are_errors():
    """10000×10000 is over MAX_IMAGE_PIXELS but under twice it: Pillow only warns, unless told otherwise."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with pytest.raises(images.ImageError, match="far larger than 1024×1024"):
            images.decode_image(png_bomb(10000, 10000))


def test_any_other_pillow_error_gets_the_pages_message(monkeypatch):
    def broken_open(*args, **kwargs):
        raise RuntimeError("a codec bug Pillow did not foresee")

    monkeypatch.setattr(Image, "open", broken_open)
    with pytest.raises(images.ImageError, match="not a picture that can be read"):
        images.decode_image(b"\x89PNG\r\n\x1a\n" + bytes(40))


def test_a_lab_tiff_decodes_to_its_lightness():
    lightness = np.arange(64, dtype=np.uint8).reshape(8, 8) * 3
    lab = Image.merge("LAB", [Image.fromarray(lightness), Image.new("L", (8, 8), 20), Image.new("L", (8, 8), 230)])
    buffer = io.BytesIO()
    lab.save(buffer, format="TIFF")
    with pytest.raises(ValueError):  # why it needs a path of its own: Pillow cannot convert LAB to L
        lab.convert("L")
    gray = images.decode_image(buffer.getvalue())
    assert gray.shape == (8, 8)
    np.testing.assert_allclose(gray, lightness / 255, atol=1e-7)  # L* band, 0..255 as Pillow stores it


@pytest.mark.parametrize("make", [png_bomb, gif_bomb, tiff_bomb], ids=["png", "gif", "tiff"])
def test_the_page_shows_its_own_message_for_a_bomb(make):
    at = images_page()
    at.radio(key="img_source").set_value("upload").run()
    at.file_uploader(key="img_upload").set_value((f"bomb.{make.__name__[:3]}", make(), "image/png")).run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [plain(e.value) for e in at.error]
    assert any("bomb." in e and "far larger than 1024×1024" in e for e in errors), errors
