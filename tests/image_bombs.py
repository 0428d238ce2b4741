"""Images that are small in bytes and huge in pixels, and a guard that fails a test if any code
decodes pixels. The PNG is written chunk by chunk here because building it with Pillow would
itself allocate the 88 MB picture the tests are about."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image, ImageFile

BOMB_SIDE = 9400  # 88.4 megapixels: over the default limit, under Pillow's own (89.5 MP)


class PixelsDecoded(BaseException):  # not an Exception: no `except Exception` may swallow it
    """Raised by the guard: something decoded the pixels of an image it should have refused."""


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
    )


def bomb_png(width: int = BOMB_SIDE, height: int = BOMB_SIDE) -> bytes:
    """A valid black 1-bit PNG of width x height pixels, a few kilobytes long."""
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte "none", then the packed bits
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1 bit, greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )


def bomb_jpeg(width: int = BOMB_SIDE, height: int = BOMB_SIDE) -> bytes:
    """A tiny JPEG whose frame header (SOF0) claims width x height pixels."""
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (90, 90, 90)).save(out, "JPEG")
    data = bytearray(out.getvalue())
    sof = data.index(b"\xff\xc0")
    # FFC0, segment length (2 bytes), sample precision (1), height (2), width (2)
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


@pytest.fixture
def no_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any pixel decoding in the test fails it: refusing must happen from the header alone."""

    def refuse(self: Image.Image, *args: object, **kwargs: object) -> None:
        raise PixelsDecoded(f"{self.size[0]}x{self.size[1]} pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)
    monkeypatch.setattr(Image.Image, "load", refuse)


@pytest.fixture
def pillow_limit_restored():
    """A test app with a small MAX_IMAGE_PIXELS sets Pillow's process-wide limit: put it back."""
    saved = Image.MAX_IMAGE_PIXELS
    yield
    Image.MAX_IMAGE_PIXELS = saved
