"""Pictures in content: PNG or JPEG, from a file beside the content file or a ``data:`` URI.

Every image is checked before anything decodes it: its size in bytes, its kind (from the first bytes,
not the file name) and its pixel dimensions (read from the PNG header or the JPEG frame header), so a
small file that would unpack into gigabytes of pixels is refused with a message instead.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
from pathlib import Path
from typing import Any

from .errors import ContentError, LeafletError, Location, display_path
from .yamlsafe import Loaded

MAX_IMAGE_BYTES = 2 * 1024 * 1024
MAX_SIDE = 8000  # pixels
MAX_PIXELS = 25_000_000

_DATA_URI = re.compile(r"^data:image/(png|jpeg|jpg);base64,(.*)$", re.S)


class ImageError(LeafletError):
    """An image that is not a PNG or JPEG, is too large, or cannot be read."""


def image_info(data: bytes) -> tuple[str, int, int]:
    """``(kind, width, height)`` from the image's header, without decoding it; raises :class:`ImageError`."""
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageError(f"the image is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MiB",
                         hint="use a smaller image; 1200 pixels wide is plenty for print")
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24 and data[12:16] == b"IHDR":
        kind, (width, height) = "png", struct.unpack(">II", data[16:24])
    elif data.startswith(b"\xff\xd8"):
        kind, (width, height) = "jpeg", _jpeg_size(data)
    else:
        raise ImageError("the image is not a PNG or JPEG image", hint="save it as PNG or JPEG")
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE) or width * height > MAX_PIXELS:
        raise ImageError(f"the image is {width} x {height} pixels; at most {MAX_SIDE} on a side and "
                         f"{MAX_PIXELS // 1_000_000} million pixels", hint="scale the image down")
    return kind, width, height


def _jpeg_size(data: bytes) -> tuple[int, int]:
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            break
        marker = data[pos + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2:pos + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # a start-of-frame marker
            if pos + 9 > len(data):
                break
            height, width = struct.unpack(">HH", data[pos + 5:pos + 9])
            return width, height
        pos += 2 + length
    raise ImageError("the JPEG image has no readable size (it may be damaged)")


def decode_data_uri(src: str) -> bytes:
    """The bytes of a ``data:image/png|jpeg;base64,`` URI (checked with :func:`image_info`)."""
    match = _DATA_URI.match(src)
    if not match:
        raise ImageError("only data:image/png;base64,... and data:image/jpeg;base64,... URIs are accepted")
    if len(match.group(2)) > MAX_IMAGE_BYTES * 4 // 3 + 8:
        raise ImageError(f"the image is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MiB")
    try:
        data = base64.b64decode("".join(match.group(2).split()), validate=True)
    except (binascii.Error, ValueError):
        raise ImageError("the data: URI is not valid base64") from None
    image_info(data)
    return data


def data_uri(data: bytes) -> str:
    kind, _, _ = image_info(data)
    return f"data:image/{kind};base64," + base64.b64encode(data).decode("ascii")


def inline_files(data: Any, folder: Path, source: Loaded) -> Any:
    """The content data with each figure's image file (beside the content file) turned into a data:
    URI, so the template and the layout never read files. Errors name the content file and field."""

    def walk(value: Any, path: tuple) -> Any:
        if isinstance(value, dict):
            if "figure" in value and isinstance(value["figure"], dict):
                return {**value, "figure": _inline(value["figure"], path + ("figure",))}
            return {k: walk(v, path + (k,)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, path + (i,)) for i, v in enumerate(value)]
        return value

    def _inline(figure: dict, path: tuple) -> dict:
        src = figure.get("src", "")
        where = source.locate(path + ("src",))
        try:
            if src.startswith("data:"):
                decode_data_uri(src)
                return figure
            file = (folder / src).resolve()
            if not file.is_relative_to(folder.resolve()):
                raise ImageError("the image file must be inside the content folder")
            try:
                with open(file, "rb") as fh:
                    raw = fh.read(MAX_IMAGE_BYTES + 1)
            except OSError as exc:
                raise ImageError(f"cannot read the image {display_path(file)}: {exc.strerror}",
                                 hint="put the image file beside the content file") from None
            return {**figure, "src": data_uri(raw)}
        except ImageError as exc:
            raise ContentError(exc.message, where=where if where.file else Location(source.file),
                               hint=exc.hint) from None

    return walk(data, ())
