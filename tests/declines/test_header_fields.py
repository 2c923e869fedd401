"""Every field that reaches a header refuses text a mail reader would decode as a header."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from service.declines.schemas import DeclineCreate
from tests.declines.hostile import HEADER_FIELDS, PAYLOADS, hostile_value, with_field
from tests.factories import decline_body


def _errors(body: dict) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        DeclineCreate.model_validate(body)
    found = {}
    for error in caught.value.errors():
        path = ""
        for part in error["loc"]:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else part)
        found[path] = error["msg"]
    return found


@pytest.mark.parametrize("payload", list(PAYLOADS.values()), ids=list(PAYLOADS))
@pytest.mark.parametrize("field", HEADER_FIELDS)
def test_encoded_word_text_is_refused_naming_the_field(field: str, payload: str) -> None:
    body = with_field(decline_body(), field, hostile_value(field, payload))
    errors = _errors(body)
    assert list(errors) == [field]
    assert "RFC 2047 encoded word" in errors[field] and "plain text" in errors[field]


@pytest.mark.parametrize(
    "name", ["José Müller", "李雷", "Smith, Jane", 'Pat "PJ" O\'Brien', "A = B? Maybe"]
)
def test_real_names_pass(name: str) -> None:
    body = decline_body(
        candidate={"name": name, "email": "ada@home.example"},
        contacts=[{"name": name, "email": "bob@corp.example"}],
        company=name,
        job_title=name,
    )
    request = DeclineCreate.model_validate(body)
    assert request.candidate.name == request.contacts[0].name == name


@pytest.mark.parametrize("message_id", ["<a,b@corp.example>", '<"a"@corp.example>', "<é@x.y>"])
def test_invitation_message_ids_must_be_plain(message_id: str) -> None:
    errors = _errors(decline_body(invitation_message_id=message_id))
    assert "cannot hold" in errors["invitation_message_id"]


def test_real_message_ids_pass() -> None:
    for value in ["<CAF+x=Yq_9@mail.gmail.com>", "abc.123$x@[10.0.0.1]", "<a..b@c.d>"]:
        assert DeclineCreate.model_validate(decline_body(invitation_message_id=value))


def test_a_request_stored_before_the_refusal_stays_readable() -> None:
    # Its reminders must still go out (written safely); refusing it would stop them.
    body = decline_body()
    for field in HEADER_FIELDS:
        with_field(body, field, hostile_value(field, PAYLOADS["crlf_q"]))
    request = DeclineCreate.from_stored(body)
    assert request.contacts[0].name == PAYLOADS["crlf_q"]
    with pytest.raises(ValidationError):
        DeclineCreate.model_validate(body)
