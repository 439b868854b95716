"""The pharmacy logo: found beside the pharmacy file, checked for size before it is decoded.

A logo is a PNG or JPEG of at most :data:`MAX_LOGO_BYTES`. Its width and height are read from the PNG
``IHDR`` chunk or the JPEG start-of-frame marker and checked against :data:`MAX_LOGO_PIXELS` before any
decoding (a small compressed file can claim billions of pixels); only then is it decoded once, so a
truncated or corrupt image is the user's error here and not a crash while the PDF is drawn.
"""

from __future__ import annotations

import io
import os
import struct
import warnings
from pathlib import Path

from .errors import ContentError, Location, display_path
from .files import read_limited

MAX_LOGO_BYTES = 2 * 1024 * 1024
MAX_LOGO_PIXELS = 4_000_000  # 2,000 x 2,000: 600 pixels wide is plenty for print, and decoding stays quick
MAX_LOGO_SIDE = 4_000

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# JPEG start-of-frame markers (baseline, progressive, lossless, ...); C4, C8 and CC are other tables.
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def logo_path(pharmacy_file: Path, logo: str) -> Path:
    """The logo's path, beside the pharmacy file (or in a folder below it), links resolved."""
    return Path(os.path.realpath(Path(os.path.realpath(pharmacy_file.parent)) / logo))


def read_logo(pharmacy_file: Path, logo: str, where: Location) -> bytes:
    """The checked bytes of the logo named ``logo`` in ``pharmacy_file``; see the module docstring."""
    if Path(logo).suffix.lower() not in (".png", ".jpg", ".jpeg"):
        raise ContentError("the logo must be a .png or .jpg file", where=where)
    folder = Path(os.path.realpath(pharmacy_file.parent))
    path = logo_path(pharmacy_file, logo)
    if not path.is_relative_to(folder):
        raise ContentError(f"the logo must be beside the pharmacy file, in {display_path(folder)}", where=where,
                           hint="copy the logo into the pharmacy file's folder and give its file name")
    data = read_limited(path, MAX_LOGO_BYTES, what="logo file", where=where)
    check_image(data, where)
    return data


def image_size(data: bytes) -> tuple[str, int, int] | None:
    """("png" or "jpeg", width, height) from the file's header, or None if it has none."""
    if data.startswith(PNG_SIGNATURE):
        if len(data) < 24 or data[12:16] != b"IHDR":
            return None
        width, height = struct.unpack(">II", data[16:24])
        return "png", width, height
    if not data.startswith(b"\xff\xd8"):
        return None
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
            pos += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no frame header came first
            return None
        (length,) = struct.unpack(">H", data[pos + 2:pos + 4])
        if marker in _SOF:
            if pos + 9 > len(data) or length < 7:
                return None
            height, width = struct.unpack(">HH", data[pos + 5:pos + 9])
            return "jpeg", width, height
        pos += 2 + length
    return None


def check_image(data: bytes, where: Location) -> tuple[int, int]:
    """Refuse anything but a whole, decodable PNG or JPEG of a sane size; return (width, height)."""
    size = image_size(data)
    if size is None:
        kind = "PNG" if data.startswith(PNG_SIGNATURE) else "JPEG" if data.startswith(b"\xff\xd8") else None
        if kind is None:
            raise ContentError("the logo is not a PNG or JPEG image", where=where)
        raise ContentError(f"the logo is a damaged {kind} file (no image size in its header)", where=where,
                           hint="export the logo again from your image program")
    kind, width, height = size
    if width == 0 or height == 0:
        raise ContentError(f"the logo's header says it is {width} x {height} pixels", where=where,
                           hint="export the logo again from your image program")
    if width > MAX_LOGO_SIDE or height > MAX_LOGO_SIDE or width * height > MAX_LOGO_PIXELS:
        raise ContentError(f"the logo is {width} x {height} pixels; at most {MAX_LOGO_PIXELS // 1_000_000} million "
                           f"pixels and {MAX_LOGO_SIDE} on a side are accepted", where=where,
                           hint="use a smaller image; 600 pixels wide is plenty for print")
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the decoded pixels decide, not Pillow's remarks about metadata
            with Image.open(io.BytesIO(data), formats=["PNG", "JPEG"]) as image:
                if image.size != (width, height):
                    raise ValueError(f"the header says {width} x {height}, the image is {image.size}")
                image.load()
    except Exception as exc:  # noqa: BLE001 - whatever the decoder says, the file cannot be printed
        raise ContentError(f"the logo is a damaged {kind.upper()} file: {exc}", where=where,
                           hint="export the logo again from your image program") from None
    return width, height
