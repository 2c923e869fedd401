"""Which methods a path takes: the `Allow` header of a 405 (RFC 9110 requires it).

Starlette names only the methods of the first route at the path, and GET and POST
/v1/declines are two routes. The API's answer comes from its OpenAPI document, matched
the way OpenAPI says (a concrete path before a templated one, so /v1/declines/preview is
not a decline id); paths the document leaves out (the dashboard) ask the routes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from starlette.routing import BaseRoute, Match

# The methods an `Allow` header may name (RFC 9110, and PATCH).
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")


def allowed_methods(
    path: str, *, document: dict[str, Any], routes: Sequence[BaseRoute]
) -> list[str]:
    documented = documented_methods(path, document)
    return documented if documented is not None else routed_methods(path, routes)


def documented_methods(path: str, document: dict[str, Any]) -> list[str] | None:
    """The methods of the document's path item for `path`, or None when it has none."""
    templates = sorted(document.get("paths", {}), key=lambda t: "{" in t)  # concrete first
    for template in templates:
        if _template_regex(template).fullmatch(path):
            item = document["paths"][template]
            return [m for m in METHODS if m.lower() in item]
    return None


def routed_methods(path: str, routes: Sequence[BaseRoute]) -> list[str]:
    """The methods some route answers at `path`: each one is asked about each method."""
    allowed = []
    for method in METHODS:
        probe = {
            "type": "http",
            "method": method,
            "path": path,
            "root_path": "",
            "headers": [],
            "query_string": b"",
        }
        if any(route.matches(probe)[0] is Match.FULL for route in routes):
            allowed.append(method)
    return allowed


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}/]+\})", template)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts))
