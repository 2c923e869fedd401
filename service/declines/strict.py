"""Requests that say exactly what the caller meant: a field the API does not know is
refused, never ignored, and the refusal names the field that was probably meant."""

from __future__ import annotations

from difflib import get_close_matches
from typing import Any, get_args

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from service.declines import validation


class RequestModel(BaseModel):
    """A part of a request: a misspelt option ("personal_noet") is a 422, so it can never
    send a message other than the one meant."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _stored_extras(cls, data: Any, info: ValidationInfo) -> Any:
        # A request stored earlier may hold a field since removed: read it without it.
        if isinstance(data, dict) and validation.is_stored(info):
            return {key: value for key, value in data.items() if key in cls.model_fields}
        return data


def naming_unknown_fields(exc: ValidationError, root: type[BaseModel]) -> ValidationError:
    """The same errors, each unknown field's saying which field of `root` it resembles."""
    if not any(error["type"] == "extra_forbidden" for error in exc.errors()):
        return exc
    try:
        details = [_with_suggestion(error, root) for error in exc.errors()]
        return ValidationError.from_exception_data(exc.title, details)
    except (KeyError, TypeError, ValueError):  # an error type that cannot be rebuilt
        return exc


def _with_suggestion(error: Any, root: type[BaseModel]) -> InitErrorDetails:
    loc = tuple(error["loc"])
    if error["type"] != "extra_forbidden":
        details: InitErrorDetails = {"type": error["type"], "loc": loc, "input": error["input"]}
        if "ctx" in error:
            details["ctx"] = error["ctx"]
        return details
    name = str(loc[-1])
    close = get_close_matches(name, _fields_at(root, loc[:-1]), n=1, cutoff=0.6)
    message = (
        f"unknown field {name}; did you mean {close[0]}?"
        if close
        else f"unknown field {name}: fields this API does not know are refused, not ignored"
    )
    return {
        "type": PydanticCustomError("extra_forbidden", message),
        "loc": loc,
        "input": error["input"],
    }


def _fields_at(model: type[BaseModel], path: tuple[Any, ...]) -> list[str]:
    """The field names of the request part at `path` ("contacts", 0 -> a contact's)."""
    for part in path:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        inner = _model_in(field.annotation) if field else None
        if inner is None:
            return []
        model = inner
    return list(model.model_fields)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None
