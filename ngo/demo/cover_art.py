"""The seed appeal's cover for `make run`: a drawn landscape, not a photograph.

Demo data never shows a real person or a real place (the people in these appeals are
persecuted), yet a cover is what a donor sees first: the demo draws a quiet illustration, a
house with a lit window at the edge of a field at dawn, with Pillow at seed time, so no binary
sits in the repository and the file carries no metadata the safety check would refuse.
"""

from __future__ import annotations

import io
import math

from PIL import Image, ImageDraw, ImageFilter

WIDTH, HEIGHT = 1200, 630  # the Open Graph image size, also the card's 1.9:1 crop
ALT_TEXT = "Illustration: a small house with a lit window at the edge of a field at dawn"

_SKY_TOP = (58, 74, 120)
_SKY_HORIZON = (244, 196, 150)
_HILLS = ((122, 120, 150), (92, 104, 122), (64, 84, 86))
_FIELD = (74, 96, 70)
_HOUSE = (44, 40, 46)
_WINDOW = (255, 214, 130)


def _blend(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def _ridge(base: int, amplitude: float, waves: tuple[float, float], phase: float) -> list:
    points = [(0, HEIGHT)]
    for x in range(0, WIDTH + 1, 8):
        u = x / WIDTH
        y = base - amplitude * (
            0.6 * math.sin(u * math.pi * waves[0] + phase)
            + 0.4 * math.sin(u * math.pi * waves[1] + phase * 1.7)
        )
        points.append((x, round(y)))
    points.append((WIDTH, HEIGHT))
    return points


def cover_jpeg() -> bytes:
    """The illustration as a JPEG without metadata."""
    image = Image.new("RGB", (WIDTH, HEIGHT))
    draw = ImageDraw.Draw(image)
    horizon = int(HEIGHT * 0.62)
    for y in range(HEIGHT):
        t = min(y / horizon, 1.0) ** 1.6
        draw.line([(0, y), (WIDTH, y)], fill=_blend(_SKY_TOP, _SKY_HORIZON, t))
    glow = Image.new("L", (WIDTH, HEIGHT), 0)
    ImageDraw.Draw(glow).ellipse((740, horizon - 140, 1020, horizon + 140), fill=150)
    warm = Image.new("RGB", (WIDTH, HEIGHT), (255, 236, 190))
    image = Image.composite(warm, image, glow.filter(ImageFilter.GaussianBlur(70)))
    draw = ImageDraw.Draw(image)
    draw.ellipse((835, horizon - 48, 925, horizon + 42), fill=(255, 232, 186))
    for index, colour in enumerate(_HILLS):
        base = horizon + 10 + index * 34
        draw.polygon(_ridge(base, 46 - index * 10, (2.2 + index, 5.1), index * 1.3), fill=colour)
    draw.rectangle((0, horizon + 110, WIDTH, HEIGHT), fill=_FIELD)
    for row in range(12):
        y = horizon + 118 + row * 9
        draw.line([(0, y), (WIDTH, y + 14)], fill=_blend(_FIELD, (104, 124, 84), row / 12))
    left, ground = 300, horizon + 116
    draw.rectangle((left, ground - 78, left + 120, ground), fill=_HOUSE)
    draw.polygon(
        [(left - 14, ground - 76), (left + 60, ground - 132), (left + 134, ground - 76)],
        fill=_HOUSE,
    )
    draw.rectangle((left + 70, ground - 118, left + 86, ground - 92), fill=_HOUSE)
    draw.rectangle((left + 24, ground - 56, left + 52, ground - 30), fill=_WINDOW)
    draw.rectangle((left + 78, ground - 58, left + 104, ground), fill=(60, 54, 58))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=86, optimize=True)
    return out.getvalue()
