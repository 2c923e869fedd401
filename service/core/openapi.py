"""The OpenAPI document, with every error an operation can answer, as problem+json.

FastAPI documents what a route declares. Most errors come from elsewhere: the API key
dependency (401), the body size middleware (413), validation (422), the handler for a busy
database (503). Each rule below says which operations can answer a status, from what the
document already says about them, so a new route is documented the day it is added. A route
documents only what is its own, e.g. `responses={409: {"description": "..."}}`; every
error response, however declared, gets the `Problem` schema and media type here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI

from service.core.errors import DATABASE_BUSY_RETRY_SECONDS, PROBLEM_JSON, Problem

Operation = dict[str, Any]

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
# The only operation that never opens the database: a liveness probe must not depend on it.
_NO_DATABASE = {"/healthz"}


def _secured(_: str, op: Operation) -> bool:
    return bool(op.get("security"))


def _has_path_ids(_: str, op: Operation) -> bool:
    return any(p.get("in") == "path" for p in op.get("parameters", []))


def _takes_body(_: str, op: Operation) -> bool:
    return "requestBody" in op


def _takes_json_body(path: str, op: Operation) -> bool:
    return _takes_body(path, op) and "application/json" in op["requestBody"].get("content", {})


def _takes_raw_body(path: str, op: Operation) -> bool:
    return _takes_body(path, op) and not _takes_json_body(path, op)


def _takes_input(path: str, op: Operation) -> bool:
    return bool(op.get("parameters")) or _takes_body(path, op)


def _uses_database(path: str, _: Operation) -> bool:
    return path not in _NO_DATABASE


@dataclass(frozen=True)
class ErrorRule:
    status: int
    description: str
    applies: Callable[[str, Operation], bool]
    headers: dict[str, Any] = field(default_factory=dict)


RULES = (
    # FastAPI's own answer to a body it cannot even decode (not UTF-8); JSON it can decode
    # but not parse is a 422 like any other invalid input.
    ErrorRule(400, "The body could not be read as text", _takes_json_body),
    ErrorRule(
        401,
        "No API key, or one that is not valid or has been revoked: send "
        "`Authorization: Bearer <key>`",
        _secured,
        {"WWW-Authenticate": {"description": "`Bearer`", "schema": {"type": "string"}}},
    ),
    ErrorRule(404, "Nothing with that id belongs to this API key", _has_path_ids),
    ErrorRule(413, "The request body is over the size limit", _takes_body),
    ErrorRule(415, "The body is not one of the media types this operation takes", _takes_raw_body),
    ErrorRule(
        422,
        "The input is not valid; `detail` says why, and `errors` lists each field",
        _takes_input,
    ),
    ErrorRule(
        503,
        "The database is busy or unreachable; nothing was changed, send the request again",
        _uses_database,
        {
            "Retry-After": {
                "description": f"Seconds to wait (`{DATABASE_BUSY_RETRY_SECONDS}`) when the "
                "database was busy",
                "schema": {"type": "integer"},
            }
        },
    ),
)


def document_errors(document: dict[str, Any]) -> dict[str, Any]:
    """Add the `Problem` schema and every operation's error responses to `document`."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    for path, item in document.get("paths", {}).items():
        for op in item.values():
            responses = op.setdefault("responses", {})
            for rule in RULES:
                if rule.applies(path, op):
                    entry = responses.setdefault(str(rule.status), {})
                    # FastAPI's own 422 says "Validation Error"; ours says what to look at.
                    if entry.get("description") in (None, "Validation Error"):
                        entry["description"] = rule.description
                    if rule.headers:
                        entry.setdefault("headers", {}).update(rule.headers)
            for status, entry in responses.items():
                if status[0] in "45":
                    entry["content"] = {PROBLEM_JSON: {"schema": PROBLEM_REF}}
    # FastAPI's validation error schemas, now referenced by nothing.
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    return document


def install(app: FastAPI) -> None:
    """Serve the documented errors at /openapi.json (and /docs) from the first request on."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_errors(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
