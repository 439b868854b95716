"""Reading source files safely: a size limit, and XML without DTDs, entities or external references."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from ..errors import ContentError, Location, display_path

MAX_SOURCE_BYTES = 30 * 1024 * 1024  # real ePI bundles with pictures are a few MiB at most


def read_bytes(path: Path) -> bytes:
    where = Location(display_path(path))
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_SOURCE_BYTES + 1)
    except FileNotFoundError:
        raise ContentError("file not found", where=where, hint="check the path") from None
    except IsADirectoryError:
        raise ContentError("expected a file, found a folder", where=where) from None
    except OSError as exc:
        raise ContentError(f"cannot read the file: {exc.strerror}", where=where) from None
    if len(data) > MAX_SOURCE_BYTES:
        raise ContentError(f"the file is larger than {MAX_SOURCE_BYTES // (1024 * 1024)} MiB", where=where)
    return data


def parse_xml(data: bytes | str, file: str) -> ET.Element:
    """Parse XML, refusing DTDs, entity declarations and external references (billion laughs, XXE)."""
    try:
        return fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise ContentError(f"the XML declares a DTD or entities, which are not accepted ({type(exc).__name__})",
                           where=Location(file)) from None
    except ET.ParseError as exc:
        line, col = exc.position
        raise ContentError(f"not well-formed XML ({str(exc).split(':')[0]})", where=Location(file, line, col + 1),
                           hint="is this a complete ePI or SPL file?") from None
