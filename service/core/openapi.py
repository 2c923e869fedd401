"""The OpenAPI document: stable operation ids, and every error an operation can answer,
as problem+json.

Operation ids are what generated clients name their methods after, so they are part of the
contract: each is its route function's name in lowerCamelCase (`create_decline` is
`createDecline`, `list_follow_ups` is `listFollowUps`). Renaming a route function renames
a client method; tests/api/test_openapi.py pins the ids.

Examples live in `service.core.openapi_examples`, keyed by those ids, so routers stay thin.

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
from fastapi.routing import APIRoute

from service.core import docs, openapi_examples
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


def operation_id(route: APIRoute) -> str:
    """`create_decline` -> `createDecline`: FastAPI's `generate_unique_id_function`."""
    first, *rest = route.name.split("_")
    return first + "".join(word.capitalize() for word in rest)


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


def document_examples(document: dict[str, Any]) -> dict[str, Any]:
    """Add each operation's examples: request body, 2xx responses, error problems."""
    for item in document.get("paths", {}).values():
        for op in item.values():
            examples = openapi_examples.EXAMPLES.get(op.get("operationId", ""))
            if examples is None:
                continue  # tests/api/test_openapi_examples.py names it
            if examples.request is not None and "requestBody" in op:
                _set_example(op["requestBody"], examples.request)
            for status, response in op.get("responses", {}).items():
                code = int(status)
                _set_example(
                    response, examples.responses.get(code) if code < 400 else examples.problem(code)
                )
    return document


def _set_example(entry: dict[str, Any], example: Any) -> None:
    if example is not None:
        for media in entry.get("content", {}).values():
            media["example"] = example


def install(app: FastAPI) -> None:
    """Serve the document at /openapi.json from the first request on, and its pages at
    /docs and /redoc."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_examples(document_errors(generate()))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    docs.install(app)
