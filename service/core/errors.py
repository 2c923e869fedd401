"""Domain errors, and their one mapping to RFC 9457 problem+json responses."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.core.methods import allowed_methods
from service.core.numbers import is_ascii_digits

PROBLEM_JSON = "application/problem+json"
DATABASE_BUSY_RETRY_SECONDS = 2

log = logging.getLogger(__name__)


class FieldProblem(BaseModel):
    field: str | None = Field(
        description="Where in the request, e.g. `contacts[1].email` or `query.cursor`; "
        "null when the request as a whole is refused"
    )
    message: str = Field(description="What is wrong with it, and what would be accepted")


class Problem(BaseModel):
    """An RFC 9457 problem detail: what every error response of this API carries."""

    # Some errors add members of their own; RFC 9457 lets clients ignore those they don't know.
    model_config = ConfigDict(extra="allow")

    type: str = Field(description="Always `about:blank`: the status says what kind of error")
    title: str = Field(description="The status in words, e.g. `Not found`")
    status: int = Field(description="The HTTP status code, repeated")
    detail: str = Field(description="What was wrong with this request, and what to do")
    errors: list[FieldProblem] = Field(
        default_factory=list, description="On 422 for invalid input: one entry per refused field"
    )


class AppError(Exception):
    """An error a caller can act on; services raise it, the edge turns it into HTTP."""

    status_code = 400
    title = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(AppError):
    status_code = 404
    title = "Not found"


class Unauthorized(AppError):
    status_code = 401
    title = "Unauthorized"


class Conflict(AppError):
    status_code = 409
    title = "Conflict"


class Unprocessable(AppError):
    status_code = 422
    title = "Unprocessable request"


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    sent = dict(headers or {})
    if status == 401:
        sent.setdefault("WWW-Authenticate", "Bearer")
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=sent or None)


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    out = ""
    for part in parts:
        out += f"[{part}]" if is_ascii_digits(part) else (f".{part}" if out else part)
    return out


def _message(error: dict[str, Any]) -> str:
    msg = str(error.get("msg", "invalid value"))
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if error.get("type") == "json_invalid":
        return f"the body is not valid JSON ({error.get('ctx', {}).get('error', msg)})"
    return msg


def validation_problem(exc: RequestValidationError) -> JSONResponse:
    errors = []
    for error in exc.errors():
        where = _location(error.get("loc", ()))
        errors.append({"field": where or None, "message": _message(error)})
    detail = "; ".join(
        f"{e['field']}: {e['message']}" if e["field"] else str(e["message"]) for e in errors
    )
    return problem(422, "Invalid request", detail or "the request is not valid", errors=errors)


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError) -> JSONResponse:
        return problem(exc.status_code, exc.title, exc.detail, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_problem(exc)

    @app.exception_handler(OperationalError)
    async def _database_busy(_: Request, exc: OperationalError) -> JSONResponse:
        # SQLite's lock wait (busy_timeout) ran out, or PostgreSQL went away: the request
        # was rolled back as a whole, so it is safe to send again. The operator sees why.
        log.warning("answered 503, the database refused: %s", str(exc.orig or exc)[:300])
        return problem(
            503,
            "Database busy",
            "the database is busy or unreachable; retry shortly",
            headers={"Retry-After": str(DATABASE_BUSY_RETRY_SECONDS)},
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            served = request.app
            methods = allowed_methods(
                request.scope["path"], document=served.openapi(), routes=served.router.routes
            )
            headers["Allow"] = ", ".join(methods)
        return problem(exc.status_code, _title(exc.status_code), str(exc.detail), headers=headers)


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
