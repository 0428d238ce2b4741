"""Images: metadata that would travel with a photo to the public page (unchanged rules)."""

from __future__ import annotations

import io
from collections.abc import Iterator

from PIL import ExifTags, Image, ImageSequence

from ngo.campaigns.safety.values import IMAGE_METADATA, IMAGE_UNREADABLE, Finding

# Tags that describe the pixels and nothing else: TIFF structure, resolution, orientation.
_STRUCTURAL_TAGS = frozenset(
    {
        256, 257, 258, 259, 262, 273, 274, 277, 278, 279, 282, 283, 284, 296, 317, 322, 323,
        324, 325, 338, 339, 513, 514, 529, 530, 531, 532,
    }
)  # fmt: skip
_POINTER_TAGS = frozenset({0x8769, 0x8825, 0xA005})  # Exif, GPS, Interop sub-IFDs
_B = ExifTags.Base
_CAMERA_TAGS = frozenset({_B.Make, _B.Model, _B.LensMake, _B.LensModel})
_DATE_TAGS = frozenset({_B.DateTime, _B.DateTimeOriginal, _B.DateTimeDigitized})
_OWNER_TAGS = frozenset(
    {
        _B.Artist, _B.Copyright, _B.BodySerialNumber, _B.CameraOwnerName,
        _B.LensSerialNumber, _B.ImageUniqueID, _B.HostComputer,
    }
)  # fmt: skip
# Info keys Pillow sets for an image without metadata: encoding and display parameters.
_HARMLESS_INFO = frozenset(
    {
        "jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi", "adobe", "adobe_transform",
        "progressive", "progression", "icc_profile", "gamma", "srgb", "chromaticity",
        "transparency", "background", "duration", "loop", "version", "compression",
        "resolution", "interlace", "aspect", "extension", "disposal", "blend", "default_image",
        "bbox", "mpoffset", "mp", "mpinfo", "palette", "quality", "subsampling",
    }
)  # fmt: skip
# JPEG application segments that hold only the format's own data.
_HARMLESS_SEGMENTS = {"APP0": (b"JFIF", b"JFXX"), "APP2": (b"ICC_PROFILE", b"MPF"), "APP14": ()}


def scan_image(data: bytes, field: str = "photo:metadata") -> list[Finding]:
    """Metadata in an image that would travel with it to the public page.

    Any EXIF beyond the pixel layout (GPS position above all, camera make and model and serial,
    date taken, an embedded thumbnail that may show the uncropped original), XMP, IPTC, PNG
    text chunks and comments. One finding per image; its context names what was found, not
    the values. An image that cannot be read is a finding too: it could not be checked.
    """
    try:
        problems = _image_problems(data)
    except Exception:  # a parser fed hostile bytes can fail in any way
        return [Finding(IMAGE_UNREADABLE, field, 0, 0, "the image could not be read to check it")]
    if not problems:
        return []
    return [Finding(IMAGE_METADATA, field, 0, 0, "; ".join(problems))]


def _image_problems(data: bytes) -> list[str]:
    problems: list[str] = []

    def add(problem: str) -> None:
        if problem not in problems:
            problems.append(problem)

    with Image.open(io.BytesIO(data)) as image:
        for frame in ImageSequence.Iterator(image):  # MPO and GIF frames carry their own
            for problem in _frame_problems(frame):
                add(problem)
    return problems


def _frame_problems(image: Image.Image) -> Iterator[str]:
    # PNG tEXt/zTXt/iTXt chunks, also those after the pixels: reading .text loads them.
    text_chunks = dict(getattr(image, "text", {}) or {})
    info = dict(image.info)
    yield from _exif_problems(image.getexif())
    xmp_keys = {"xmp", "XML:com.adobe.xmp"}
    if any(info.get(k) or text_chunks.get(k) for k in xmp_keys):
        yield "XMP metadata"
    if info.get("photoshop") or info.get("iptc"):
        yield "IPTC/Photoshop metadata"
    if info.get("comment"):
        yield "comment"
    other_text = sorted(k for k in text_chunks if k not in xmp_keys)
    if other_text:
        yield "PNG text chunks (" + ", ".join(other_text[:5]) + ")"
    for marker, payload in getattr(image, "applist", []):
        allowed = _HARMLESS_SEGMENTS.get(marker)
        if allowed is None or (allowed and not payload.startswith(allowed)):
            if marker == "APP1" and payload.startswith(b"Exif"):
                continue  # judged tag by tag above
            if marker == "APP1" and b"ns.adobe.com/x" in payload[:64]:
                yield "XMP metadata"
            elif marker == "COM":
                yield "comment"
            elif marker == "APP13":
                yield "IPTC/Photoshop metadata"
            else:
                yield f"other embedded data ({marker})"
    known = _HARMLESS_INFO | xmp_keys | set(text_chunks) | {"exif", "photoshop", "comment"}
    for key in sorted(str(k) for k in info if k not in known):
        yield f"other metadata ({key})"


def _exif_problems(exif: Image.Exif) -> Iterator[str]:
    if not exif:
        return
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    all_tags = {**dict(exif), **dict(sub)}
    if gps or (ExifTags.IFD.GPSInfo in exif and exif.get(ExifTags.IFD.GPSInfo)):
        yield "EXIF GPS position"
    if any(all_tags.get(t) for t in _CAMERA_TAGS):
        yield "EXIF camera make/model"
    if any(all_tags.get(t) for t in _DATE_TAGS):
        yield "EXIF date taken"
    if any(all_tags.get(t) for t in _OWNER_TAGS):
        yield "EXIF owner or serial number"
    if exif.get_ifd(ExifTags.IFD.IFD1):
        yield "EXIF thumbnail (may show the uncropped original)"
    reported = _CAMERA_TAGS | _DATE_TAGS | _OWNER_TAGS | _STRUCTURAL_TAGS | _POINTER_TAGS
    if any(tag not in reported for tag in all_tags):
        yield "other EXIF data"
