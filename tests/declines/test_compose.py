"""Composition is pure: every combination renders, reads well and encodes correctly."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage
from typing import Any

import pytest

from service.declines.compose import (
    ComposedMessage,
    compose,
    make_message_id,
    render_call_script,
    script_context,
    subject_for,
)
from service.declines.schemas import DeclineCreate

MAIL_FROM = "Decline Service <decline@mail.example.com>"
DATE = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)
INVITATION_ID = "<invite-42@northwind.example>"

REFERRALS: dict[str, dict[str, Any] | None] = {
    "no_referral": None,
    "referral_phone": {
        "name": "Samantha Ortega",
        "email": "sam.ortega@example.net",
        "phone": "+1 415 555 0123",
        "permission_confirmed": True,
    },
}
FUTURES: dict[str, dict[str, Any] | None] = {
    "no_future": None,
    "future_area": {"functional_area": "data engineering"},
}


def make_request(**overrides: Any) -> DeclineCreate:
    data: dict[str, Any] = {
        "candidate": {
            "name": "Jordan Avery Lee",
            "email": "jordan.lee@example.org",
            "phone": "+1 415 555 0100",
        },
        "company": "Northwind Analytics Group",
        "job_title": "Senior Platform Engineer",
        "requisition_id": "REQ-2024-0193",
        "contacts": [
            {"name": "Priya Raman", "email": "priya@northwind.example", "role": "recruiter"},
            {"name": "Tomás Okafor", "email": "tomas@northwind.example", "role": "interviewer"},
        ],
    }
    data.update(overrides)
    return DeclineCreate.model_validate(data)


def build(request: DeclineCreate, contact_index: int = 0, **kwargs: Any) -> ComposedMessage:
    args: dict[str, Any] = {
        "mail_from": MAIL_FROM,
        "message_id": f"<m{contact_index}@mail.example.com>",
        "date": DATE,
    }
    args.update(kwargs)
    return compose(request=request, contact_index=contact_index, **args)


def parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_round_changes_the_thanks_and_the_decline() -> None:
    first = build(make_request(round="first")).text
    again = build(make_request(round="follow_up")).text
    assert "invitation to interview for the Senior Platform Engineer position" in first
    assert "respectfully decline" in first
    assert "further interview" in again and "withdraw" in again


def test_headers_address_one_contact_from_the_service_mailbox() -> None:
    request = make_request()
    message = build(request, 1)
    parsed = parse(message.raw)
    assert [a.addr_spec for a in parsed["To"].addresses] == ["tomas@northwind.example"]
    assert parsed["To"].addresses[0].display_name == "Tomás Okafor"
    assert parsed["Cc"] is None and parsed["Bcc"] is None
    (sender,) = parsed["From"].addresses
    assert (sender.display_name, sender.addr_spec) == (
        "Jordan Avery Lee",
        "decline@mail.example.com",
    )
    assert [a.addr_spec for a in parsed["Reply-To"].addresses] == ["jordan.lee@example.org"]
    assert parsed["Message-ID"] == "<m1@mail.example.com>" == message.message_id
    assert parsed["Date"].datetime == DATE
    assert (
        parsed["Subject"]
        == message.subject
        == "Interview invitation: Senior Platform Engineer (REQ-2024-0193)"
    )
    assert message.envelope_from == "decline@mail.example.com"
    assert message.envelope_to == "tomas@northwind.example"
    assert list(message.headers) == ["From", "To", "Reply-To", "Subject", "Date", "Message-ID"]
    assert message.headers["To"] == "Tomás Okafor <tomas@northwind.example>"


def test_display_names_with_specials_are_quoted_and_round_trip() -> None:
    request = make_request(
        candidate={"name": 'Pat "PJ" O\'Brien, Jr.', "email": "pat@example.org"},
        contacts=[{"name": "Lee, Jordan (HR)", "email": "jordan@northwind.example"}],
    )
    parsed = parse(build(request).raw)
    assert parsed["From"].addresses[0].display_name == 'Pat "PJ" O\'Brien, Jr.'
    assert len(parsed["To"].addresses) == 1
    assert parsed["To"].addresses[0].display_name == "Lee, Jordan (HR)"


@pytest.mark.parametrize(
    "mail_from", ["jordan.lee@example.org", "Someone <JORDAN.LEE@Example.org>"]
)
def test_no_reply_to_when_the_candidate_sends_from_their_own_address(mail_from: str) -> None:
    message = build(make_request(), mail_from=mail_from)
    parsed = parse(message.raw)
    assert parsed["Reply-To"] is None and "Reply-To" not in message.headers
    assert parsed["From"].addresses[0].display_name == "Jordan Avery Lee"


def test_threading_only_for_the_primary_contact() -> None:
    request = make_request(invitation_message_id="invite-42@northwind.example")
    primary, other = parse(build(request, 0).raw), parse(build(request, 1).raw)
    assert primary["In-Reply-To"] == primary["References"] == INVITATION_ID
    assert primary["Subject"].startswith("Re: Interview invitation:")
    assert other["In-Reply-To"] is None and other["References"] is None
    assert not other["Subject"].startswith("Re:")


def test_body_is_multipart_alternative_with_crlf_line_endings() -> None:
    message = build(make_request())
    parsed = parse(message.raw)
    assert parsed.get_content_type() == "multipart/alternative"
    parts = list(parsed.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    # The parser keeps the wire's CRLF; the parts match once line endings are set aside.
    assert parts[0].get_content().replace("\r\n", "\n") == message.text
    assert parts[1].get_content().replace("\r\n", "\n") == message.html
    assert b"\r\n" in message.raw
    assert re.search(rb"(?<!\r)\n", message.raw) is None


def test_non_ascii_names_round_trip_and_raw_stays_ascii() -> None:
    request = make_request(
        candidate={"name": "Zoë Müller", "email": "zoe@example.org"},
        company="Société Générale",
        job_title="Ingénieure logicielle",
        requisition_id=None,
        contacts=[{"name": "李雷", "email": "li@bücher.de"}],
    )
    message = build(request)
    assert message.raw.isascii()
    assert b"=?utf-8?" in message.raw
    parsed = parse(message.raw)
    assert parsed["From"].addresses[0].display_name == "Zoë Müller"
    (to,) = parsed["To"].addresses
    # The internationalised domain goes out as punycode; header encoding would mangle it.
    assert (to.display_name, to.addr_spec) == ("李雷", "li@xn--bcher-kva.de")
    assert message.envelope_to == "li@xn--bcher-kva.de"
    assert parsed["Subject"] == "Interview invitation: Ingénieure logicielle"
    text = parsed.get_body(preferencelist=("plain",))
    assert text is not None and "Dear 李雷," in text.get_content()


def test_non_ascii_local_part_is_refused_at_validation() -> None:
    # We do not speak SMTPUTF8, so such an address is refused up front (a 422), not at send.
    with pytest.raises(ValueError, match="not a valid email address"):
        make_request(contacts=[{"name": "Zoë", "email": "zoë@example.com"}])


def test_header_injection_is_refused_even_past_validation() -> None:
    request = make_request()
    bad = request.contacts[0].model_copy(update={"name": "Eve\r\nBcc: spy@evil.example"})
    with pytest.raises(ValueError):
        build(request.model_copy(update={"contacts": [bad]}))
    with pytest.raises(ValueError):
        build(request, message_id="<a@b>\r\nBcc: spy@evil.example")


def test_html_escapes_markup_in_values_and_text_keeps_them() -> None:
    message = build(make_request(company="A&B <Labs>"))
    assert "A&amp;B &lt;Labs&gt;" in message.html
    assert "<Labs>" not in message.html
    assert "at A&B <Labs>," in message.text


def test_naive_date_is_taken_as_utc_and_offsets_are_kept() -> None:
    naive = parse(build(make_request(), date=datetime(2025, 3, 4, 9, 30)).raw)
    assert naive["Date"].datetime == DATE
    paris = timezone(timedelta(hours=1))
    local = build(make_request(), date=datetime(2025, 3, 4, 10, 30, tzinfo=paris))
    assert local.headers["Date"] == "Tue, 04 Mar 2025 10:30:00 +0100"


def test_subject_names_the_interview_job_and_requisition() -> None:
    request = make_request(job_title="Senior Engineer", requisition_id="REQ-123")
    assert subject_for(request, 0) == "Interview invitation: Senior Engineer (REQ-123)"
    threaded = make_request(job_title="Senior Engineer", requisition_id="REQ-123",
                            invitation_message_id=INVITATION_ID)  # fmt: skip
    assert subject_for(threaded, 0) == "Re: Interview invitation: Senior Engineer (REQ-123)"
    assert subject_for(threaded, 1) == "Interview invitation: Senior Engineer (REQ-123)"
    follow_up = make_request(job_title="Senior Engineer", requisition_id=None, round="follow_up")
    assert subject_for(follow_up, 0) == "Follow-up interview: Senior Engineer"


@pytest.mark.parametrize(
    ("language", "subject"),
    [
        ("de", "Einladung zum Vorstellungsgespräch: Senior Engineer (REQ-123)"),
        ("fr", "Invitation à un entretien\u00a0: Senior Engineer (REQ-123)"),
        ("es", "Invitación a entrevista: Senior Engineer (REQ-123)"),
    ],
)
def test_subject_in_the_contacts_language(language: str, subject: str) -> None:
    request = make_request(job_title="Senior Engineer", requisition_id="REQ-123")
    contact = {**request.contacts[1].model_dump(), "language": language}
    mixed = make_request(
        job_title="Senior Engineer",
        requisition_id="REQ-123",
        contacts=[request.contacts[0].model_dump(), contact],
    )
    assert subject_for(mixed, 0) == "Interview invitation: Senior Engineer (REQ-123)"
    assert subject_for(mixed, 1) == subject
    assert parse(build(mixed, 1).raw)["Subject"] == subject


@pytest.mark.parametrize(
    ("theirs", "ours"),
    [
        ("Interview: Senior Engineer", "Re: Interview: Senior Engineer"),
        ("RE: Interview", "Re: Interview"),
        ("AW: Re: Ihr Vorstellungsgespräch", "Re: Ihr Vorstellungsgespräch"),
        ("RE : Entretien", "Re: Entretien"),
        ("Fwd: Interview", "Re: Fwd: Interview"),
    ],
)
def test_the_reply_to_the_invitation_answers_its_own_subject(theirs: str, ours: str) -> None:
    request = make_request(invitation_message_id=INVITATION_ID, invitation_subject=theirs)
    assert subject_for(request, 0) == ours
    assert subject_for(request, 1) == subject_for(make_request(), 1)  # ours, not theirs


def test_message_ids_use_the_given_domain_and_are_unique() -> None:
    ids = {make_message_id("mail.example.com") for _ in range(100)}
    assert len(ids) == 100
    assert all(re.fullmatch(r"<[^<>@\s]+@mail\.example\.com>", i) for i in ids)


@pytest.mark.parametrize("language", ["en", "de", "fr", "es"])
def test_call_script_carries_the_story_and_the_referral_only_where_the_email_did(
    language: str,
) -> None:
    request = make_request(
        language=language,
        reason="timing",
        referral=REFERRALS["referral_phone"],
        future_interest=FUTURES["future_area"],
    )
    scripts = [render_call_script(request=request, contact_index=i) for i in range(2)]
    contexts = [script_context(request, i) for i in range(2)]
    for script, context in zip(scripts, contexts, strict=True):
        assert context["pressed"] in script
        assert context["language"] == language
    assert "Samantha Ortega" in scripts[0] and "sam.ortega@example.net" in scripts[0]
    assert "Samantha Ortega" not in scripts[1] and contexts[1]["referral"] is None


def test_script_context_keeps_what_the_scripts_name() -> None:
    request = make_request(
        reason="accepted_offer", interview_at="2025-03-05T15:30:00Z", open_door=False
    )
    context = script_context(request, 1)
    assert context["contact"]["name"] == "Tomás Okafor"
    assert context["decline"] == "I must respectfully decline this invitation."
    assert context["reason"] == "I have accepted another offer."
    assert context["pressed"] != context["reason"] != context["pressed_further"]
    assert context["greeting"] == "Dear Tomás," and context["greeting_name"] == "Tomás"
    assert context["job"] == "the Senior Platform Engineer position"
    assert context["interview_when"] == "Wednesday, March 5, 2025, at 3:30\u202fPM (UTC)"
    assert context["future"] is False and context["follow_up"] is False
