"""Logo images inside templates: decoded from base64, checked against size limits.

Templates are stored as JSON and sent to every printer, so an image is kept small on
purpose: at most `MAX_IMAGE_BYTES` encoded and `MAX_IMAGE_PIXELS` decoded (both in
`core.templates.limits`; a label is 608×1040 dots at 203 dpi; anything larger is scaled
down anyway, and a huge PNG is how a decompression bomb arrives).
"""

from __future__ import annotations

import base64
import binascii
import io

from core.templates.limits import MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS

FORMATS = ("PNG", "JPEG")


class ImageProblem(ValueError):
    """Why image data is unusable (the caller adds template and element)."""


def decode_image(value: object) -> bytes:
    """Image bytes from `bytes` or a base64 string (a `data:image/…;base64,` prefix is
    allowed); checks the size limits and that it is a PNG or JPEG Pillow can read."""
    if isinstance(value, bytes | bytearray):
        data = bytes(value)
    elif isinstance(value, str):
        text = value.split(",", 1)[1] if value.startswith("data:") else value
        if len(text) > (MAX_IMAGE_BYTES * 4) // 3 + 4:
            raise ImageProblem(_too_big(len(text) * 3 // 4))
        try:
            data = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise ImageProblem("data is not valid base64") from None
    else:
        raise ImageProblem(f"data must be a base64 string, not {type(value).__name__}")
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageProblem(_too_big(len(data)))
    check_image(data)
    return data


def check_image(data: bytes) -> tuple[int, int]:
    """(width, height) in pixels of a readable PNG/JPEG within the pixel limit."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt, size = image.format, image.size
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise ImageProblem("data is not a PNG or JPEG image") from None
    if fmt not in FORMATS:
        raise ImageProblem(f"image is {fmt}; use PNG or JPEG")
    if size[0] * size[1] > MAX_IMAGE_PIXELS:
        raise ImageProblem(
            f"image is {size[0]}×{size[1]} pixels; at most {MAX_IMAGE_PIXELS:,} pixels "
            "are allowed (scale it down first)"
        )
    return size


def encode_image(data: bytes) -> str:
    """Base64 text for a template's `data` key."""
    return base64.b64encode(data).decode("ascii")


def _too_big(size: int) -> str:
    return (
        f"image is {size:,} bytes; at most {MAX_IMAGE_BYTES:,} bytes are allowed "
        "(a logo for a label needs far less)"
    )
