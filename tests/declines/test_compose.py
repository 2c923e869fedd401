"""Composition is pure: every combination renders, reads well and encodes correctly."""

from __future__ import annotations

import email
import email.policy
import html
import itertools
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
    subject_for,
)
from service.declines.schemas import DeclineCreate

MAIL_FROM = "Decline Service <decline@mail.example.com>"
DATE = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)
INVITATION_ID = "<invite-42@northwind.example>"

# What each reason may say in the email; every other reason's marker must be absent.
REASON_MARKERS = {
    "accepted_offer": "accepted another position",
    "not_a_fit": "not the right direction for me",
    "timing": "timing is not right",
    "other_opportunities": "pursuing other opportunities",
}
FORBIDDEN = [
    *(
        "unfortunately salary pay paid compensation commute culture bad poor hate hated review "
        "reviews rude rudely negative toxic disappointed disappointing manager management worse "
        "sorry regret however but lie"
    ).split(),
    "because the",
]
_FORBIDDEN = re.compile(r"\b(" + "|".join(re.escape(w) for w in FORBIDDEN) + r")\b", re.I)

REFERRALS: dict[str, dict[str, Any] | None] = {
    "no_referral": None,
    "referral_no_phone": {
        "name": "Samantha Ortega",
        "email": "sam.ortega@example.net",
        "permission_confirmed": True,
    },
    "referral_phone": {
        "name": "Samantha Ortega",
        "email": "sam.ortega@example.net",
        "phone": "+1 415 555 0123",
        "permission_confirmed": True,
    },
}
FUTURES: dict[str, dict[str, Any] | None] = {
    "no_future": None,
    "future_no_area": {},
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


def visible_text(markup: str) -> str:
    """The words a reader of the HTML part sees, spaces normalised."""
    body = re.sub(r"(?s)<head>.*?</head>", " ", markup)
    body = re.sub(r"<(br|/?p|/?div|/?body)\b[^>]*>", " ", body)  # line and block breaks
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", body)).split())


COMBINATIONS = list(
    itertools.product(
        ["none", *REASON_MARKERS],
        ["first", "follow_up"],
        list(REFERRALS),
        list(FUTURES),
        [None, INVITATION_ID],
    )
)


@pytest.mark.parametrize(("reason", "round_", "referral", "future", "invitation"), COMBINATIONS)
def test_every_combination_reads_well(
    reason: str, round_: str, referral: str, future: str, invitation: str | None
) -> None:
    request = make_request(
        reason=reason,
        round=round_,
        referral=REFERRALS[referral],
        future_interest=FUTURES[future],
        invitation_message_id=invitation,
    )
    for index, contact in enumerate(request.contacts):
        message = build(request, index)
        text = message.text
        assert len(text.split()) < 150
        assert text.startswith(f"Dear {contact.name},")
        assert "Senior Platform Engineer" in text and "Northwind Analytics Group" in text
        assert "Could you reply briefly so I know this reached you?" in text
        assert text.rstrip().endswith("Jordan Avery Lee\n+1 415-555-0100\njordan.lee@example.org")
        for other, marker in REASON_MARKERS.items():
            assert (marker in text) == (other == reason), (other, text)
        for part in (
            text,
            visible_text(message.html),
            render_call_script(request=request, contact_index=index),
        ):
            assert not _FORBIDDEN.search(part), _FORBIDDEN.findall(part)
        assert ("Samantha Ortega" in text) == (referral != "no_referral")
        assert ("sam.ortega@example.net" in text) == (referral != "no_referral")
        assert ("+1 415-555-0123" in text) == (referral == "referral_phone")
        assert ("future roles" in text) == (future != "no_future")
        assert ("in data engineering" in text) == (future == "future_area")
        # Both parts carry the same words, so neither can drift from the other.
        assert visible_text(message.html) == " ".join(text.split())
        threaded = invitation is not None and index == 0
        assert message.subject.startswith("Re: ") == threaded
        assert ("In-Reply-To" in message.headers) == threaded


def test_longest_options_stay_short() -> None:
    request = make_request(
        reason="not_a_fit",
        round="follow_up",
        referral=REFERRALS["referral_phone"],
        future_interest=FUTURES["future_area"],
    )
    assert len(build(request).text.split()) < 130


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
    assert subject_for(request, threaded=False) == "Interview invitation: Senior Engineer (REQ-123)"
    assert (
        subject_for(request, threaded=True) == "Re: Interview invitation: Senior Engineer (REQ-123)"
    )
    follow_up = make_request(job_title="Senior Engineer", requisition_id=None, round="follow_up")
    assert subject_for(follow_up, threaded=False) == "Follow-up interview: Senior Engineer"


def test_message_ids_use_the_given_domain_and_are_unique() -> None:
    ids = {make_message_id("mail.example.com") for _ in range(100)}
    assert len(ids) == 100
    assert all(re.fullmatch(r"<[^<>@\s]+@mail\.example\.com>", i) for i in ids)


def test_call_script_repeats_the_email_for_the_phone() -> None:
    request = make_request(
        reason="timing",
        contacts=[
            {"name": "Priya Raman", "email": "priya@northwind.example", "phone": "+44 20 7946 0000"}
        ],
        referral=REFERRALS["referral_phone"],
        future_interest=FUTURES["future_area"],
    )
    script = render_call_script(request=request, contact_index=0)
    assert "Call Priya Raman on +44 20 7946 0000" in script
    assert "Hello Priya Raman, this is Jordan Avery Lee." in script
    assert "received my email about the Senior Platform Engineer position" in script
    assert "I must respectfully decline this invitation. The timing is not right for me." in script
    assert "Samantha Ortega" in script and "sam.ortega@example.net" in script
    assert "+1 415-555-0123" in script
    assert "future roles in data engineering" in script
    assert "timing just isn't right" in script and "pursuing other opportunities" in script


def test_call_script_without_options_has_no_referral_or_open_door() -> None:
    script = render_call_script(request=make_request(), contact_index=1)
    assert "Hello Tomás Okafor" in script
    assert "recommend" not in script and "future roles" not in script
    assert "Call Tomás Okafor about" in script
