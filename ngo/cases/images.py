"""Uploaded images are measured before anything decodes them.

A PNG or JPEG states its width and height in its first bytes, and a few hundred kilobytes of
well-compressed pixels can stand for a 9400x9400 picture that takes a worker past a gigabyte
once decoded, converted and re-encoded. Pillow's `Image.open` reads only the header, so the
size is known for the price of a few bytes: every place that takes an uploaded image (evidence,
update photos, cover photos) calls `refuse_oversized_image` first, before `load()`,
`convert()`, EXIF transposition, the metadata scan of the safety check or a re-encode touch the
pixels.
"""

from __future__ import annotations

import io
import warnings

from flask import Flask, current_app
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from PIL import Image

from ngo.cases.errors import CaseError

# The only formats an upload may be; Pillow tries no other parser on the bytes.
_FORMATS = ("JPEG", "PNG")


def init_app(app: Flask) -> None:
    """Give Pillow the same limit, for any code path that opens an image without asking here
    first. Pillow raises above twice MAX_IMAGE_PIXELS and only warns between once and twice:
    as an error, that warning refuses at exactly the configured limit in this process too."""
    Image.MAX_IMAGE_PIXELS = int(app.config["MAX_IMAGE_PIXELS"])
    warnings.filterwarnings("error", category=Image.DecompressionBombWarning)


def max_image_pixels() -> int:
    return int(current_app.config["MAX_IMAGE_PIXELS"])


def refuse_oversized_image(data: bytes, *, field: str = "file") -> None:
    """CaseError (at `field`) if the image's header announces more pixels than allowed, or if
    not even its header can be read. Nothing is decoded."""
    limit = max_image_pixels()
    try:
        with Image.open(io.BytesIO(data), formats=_FORMATS) as probe:
            sizes = [probe.size]
            # Each picture of a multi-picture JPEG (MPO) has its own header, and seeking to one
            # reads only that header. APNG frames lie inside the canvas measured above (and
            # seeking there would decode them), so PNGs are not walked.
            if probe.format == "MPO":
                for frame in range(1, getattr(probe, "n_frames", 1)):
                    probe.seek(frame)
                    sizes.append(probe.size)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels(limit, field) from exc
    except Exception as exc:  # a parser fed hostile bytes can fail in any way
        raise CaseError(_l("This image is damaged and cannot be read."), field=field) from exc
    if any(width * height > limit for width, height in sizes):
        raise _too_many_pixels(limit, field)


def _too_many_pixels(limit: int, field: str) -> CaseError:
    return CaseError(
        _l(
            "This image has too many pixels: at most %(megapixels)s megapixels are accepted. "
            "Save a smaller copy and upload that.",
            megapixels=format_decimal(limit / 1_000_000),
        ),
        field=field,
    )
