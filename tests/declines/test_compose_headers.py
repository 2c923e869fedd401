"""The composer is safe on its own: text that skipped validation still shows literally, in
exactly the headers we set, to exactly one recipient."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from email.header import decode_header, make_header

import pytest

from service.declines.compose import ComposedMessage, compose
from service.declines.schemas import DeclineCreate
from service.mail.header_writer import UnsafeHeader
from tests.declines.hostile import PAYLOADS, TEXT_FIELDS, hostile_value, past_validation
from tests.factories import decline_body

MAIL_FROM = "Decline Service <declines@mailer.example>"
OURS = ["From", "To", "Reply-To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type"]


def build(request: DeclineCreate, index: int = 0) -> ComposedMessage:
    return compose(
        request=request,
        contact_index=index,
        mail_from=MAIL_FROM,
        message_id=f"<m{index}@mailer.example>",
        date=datetime(2025, 3, 4, 9, 30, tzinfo=UTC),
    )


def header_lines(raw: bytes) -> dict[str, str]:
    """Header name -> unfolded wire value, straight from the bytes (each name once)."""
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii").replace("\r\n ", " ")
    names = [line.split(":", 1)[0] for line in head.split("\r\n")]
    assert len(names) == len(set(names)), names
    return {line.split(":", 1)[0]: line.split(":", 1)[1].strip() for line in head.split("\r\n")}


def readable(value: str) -> str:
    """An encoded value as an RFC 2047 reader shows it (the legacy decoder follows 6.2)."""
    return str(make_header(decode_header(value)))


@pytest.mark.parametrize("payload", list(PAYLOADS.values()), ids=list(PAYLOADS))
@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_encoded_word_text_past_validation_shows_literally(field: str, payload: str) -> None:
    request = past_validation(field, payload)
    message = build(request)
    wire = header_lines(message.raw)
    assert list(wire) == OURS
    parsed = email.message_from_bytes(message.raw, policy=email.policy.default)
    (to,) = parsed["To"].addresses
    assert to.addr_spec == "charles@engines.example" == message.envelope_to
    assert [a.addr_spec for a in parsed["Reply-To"].addresses] == ["ada@home.example"]
    assert payload.encode() not in message.raw  # never raw, where a reader would decode it
    names = {
        "From": readable(wire["From"].rsplit("<", 1)[0].strip()),
        "To": readable(wire["To"].rsplit("<", 1)[0].strip()),
        "Subject": readable(wire["Subject"]),
    }
    if field == "candidate.name":
        assert names["From"] == payload
    if field == "contacts[0].name":
        assert names["To"] == payload
    if field in ("job_title", "requisition_id"):
        assert payload in names["Subject"] and names["Subject"] == message.subject
    body = parsed.get_body(preferencelist=("plain",))
    assert body is not None and "Could you reply briefly" in body.get_content()


@pytest.mark.parametrize(
    ("name", "wire"),
    [
        ("José Müller", None),  # encoded: the wire form is the writer's to choose
        ("李雷", None),
        ("Smith, Jane", '"Smith, Jane" <bob@corp.example>'),
        ("Lee, Jordan (HR)", '"Lee, Jordan (HR)" <bob@corp.example>'),
    ],
)
def test_real_names_display_as_written_with_one_address(name: str, wire: str | None) -> None:
    contacts = [{"name": name, "email": "bob@corp.example"}]
    message = build(DeclineCreate.model_validate(decline_body(contacts=contacts)))
    to_wire = header_lines(message.raw)["To"]
    if wire is None:
        assert to_wire.startswith("=?utf-8?")
        assert readable(to_wire[: to_wire.rindex("<")].strip()) == name
    else:
        assert to_wire == wire
    (to,) = email.message_from_bytes(message.raw, policy=email.policy.default)["To"].addresses
    assert (to.display_name, to.addr_spec) == (name, "bob@corp.example")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("candidate.email", hostile_value("candidate.email", PAYLOADS["crlf_q"])),
        ("contacts[0].email", hostile_value("contacts[0].email", PAYLOADS["comma_q"])),
        ("invitation_message_id", hostile_value("invitation_message_id", PAYLOADS["crlf_b"])),
        ("invitation_message_id", "<a>, <b@evil.example>"),
        ("contacts[0].name", "Eve\r\nBcc: spy@evil.example"),
    ],
)
def test_what_cannot_be_written_safely_is_refused_naming_the_field(field: str, value: str) -> None:
    with pytest.raises(UnsafeHeader) as caught:
        build(past_validation(field, value))
    assert caught.value.status_code == 422
    assert field in caught.value.detail.split(":", 1)[0]
    assert caught.value.detail.endswith("nothing was stored or sent")
