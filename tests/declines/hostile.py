"""Header-injection payloads and the request fields they are aimed at, shared by tests."""

from __future__ import annotations

import base64
from typing import Any

from service.declines.schemas import DeclineCreate
from tests.factories import decline_body


def _b64(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


# Each decodes to CR/LF + a Bcc line, or to commas that would split an address list.
PAYLOADS = {
    "crlf_q": "=?utf-8?q?Ada=0D=0ABcc=3A_x=40evil=2Eexample?=",
    "crlf_b": _b64("Ada\r\nBcc: x@evil.example"),
    "crlf_upper": "=?UTF-8?Q?Ada=0D=0ABcc=3A_x=40evil=2Eexample?=",
    "comma_q": "=?utf-8?q?x=2C_evil=40evil=2Eexample=2C?=",
    "comma_b": _b64("x, evil@evil.example,"),
}
# What text fields would carry them; addresses and Message-IDs carry them as their own shapes.
TEXT_FIELDS = ["candidate.name", "contacts[0].name", "company", "job_title", "requisition_id"]
HEADER_FIELDS = [*TEXT_FIELDS, "candidate.email", "contacts[0].email", "invitation_message_id"]


def hostile_value(field: str, payload: str) -> str:
    if field.endswith(".email"):
        return f"{payload}@corp.example"
    if field == "invitation_message_id":
        return f"<{payload}@evil.example>"
    return payload


def with_field(body: dict[str, Any], field: str, value: str) -> dict[str, Any]:
    """The body with one field (a dotted path, `contacts[0]` style) set to `value`."""
    target: Any = body
    *path, last = field.replace("[0]", ".0").split(".")
    for part in path:
        target = target[int(part)] if part.isdigit() else target[part]
    target[last] = value
    return body


def past_validation(field: str, value: str, **overrides: Any) -> DeclineCreate:
    """A request holding `value` in `field` as code that skips the API's validation would
    build it (or as a request stored before the refusal of such text)."""
    request = DeclineCreate.model_validate(decline_body(**overrides))
    if field.startswith(("candidate.", "contacts[0].")):
        owner, attr = field.split(".")
        if owner == "candidate":
            return request.model_copy(
                update={"candidate": request.candidate.model_copy(update={attr: value})}
            )
        first = request.contacts[0].model_copy(update={attr: value})
        return request.model_copy(update={"contacts": [first, *request.contacts[1:]]})
    return request.model_copy(update={field: value})
