"""The spec's two formats: JSON and XML bodies, content types, and the error shape of both.

XML follows GeoReport v2: a plural root (``services``, ``service_requests``, ``errors``...) holding one
element per item; a list inside an item (notes, attribute values, endpoints, formats) nests the same way.
``None`` is an empty element, as the spec's examples show.
"""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree as ET

CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
ITEM = {"notes": "note", "values": "value", "attributes": "attribute", "endpoints": "endpoint",
        "formats": "format", "services": "service", "service_requests": "request", "errors": "error",
        "service_definition": "attribute", "service_request_updates": "request_update", "requests": "request",
        "ratings": "rating", "facilities": "facility"}
HTTP_OF_CODE = {"forbidden": 403, "not_found": 404, "rate_limited": 429, "too_large": 413}


def _fill(el: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _fill(ET.SubElement(el, k), v)
    elif isinstance(value, list):
        for v in value:
            _fill(ET.SubElement(el, ITEM.get(el.tag, "item")), v)
    elif value is None:
        return
    elif isinstance(value, bool):
        el.text = "true" if value else "false"
    else:
        el.text = str(value)


def to_xml(root: str, value: Any) -> bytes:
    el = ET.Element(root)
    _fill(el, value)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(el, encoding="utf-8", xml_declaration=False)


def body(fmt: str, root: str, value: Any) -> bytes:
    """One answer in `fmt` ("json" or "xml"); `root` names the XML root (the JSON is the value itself)."""
    if fmt == "xml":
        if root == "service_definition" and isinstance(value, dict):  # {service_code, attributes: [...]}
            el = ET.Element(root)
            _fill(el, value)
            return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(el, encoding="utf-8")
        return to_xml(root, value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def error_body(fmt: str, status: int, description: str) -> bytes:
    return body(fmt, "errors", [{"code": status, "description": description}])


def http_status(code: str) -> int:
    """The HTTP status of a refusal's code: 403 for a key, 404 for an unknown id, 400 for the rest."""
    if code in HTTP_OF_CODE:
        return HTTP_OF_CODE[code]
    if code.endswith("_too_large"):
        return 413
    return 400
