"""What the candidate reads in a call reminder, and what they say on the phone: sentences
that are whole, spoken the way people speak, in the order a call goes, and nothing a person
cannot act on (no API paths, no raw server transcripts, no time only one side can use)."""

from __future__ import annotations

import re

import pytest

from service.follow_ups.reminder import scripts
from tests.follow_ups.facts import (
    DUE,
    make_facts,
    make_request,
    reminder_parts,
    say_lines,
    visible_text,
)

DOUBLED = re.compile(r"(?<![.])\.\.(?![.])|[,;:]\s*[.,]|[!?]\.|\.\s+\.|,\s*,")


def _scripts(**overrides: object) -> tuple[str, str]:
    facts = make_facts(attempt=3, **overrides)  # type: ignore[arg-type]
    call, voicemail = scripts(facts)
    assert voicemail is not None
    return call, voicemail


def test_the_voicemail_without_a_candidate_phone_asks_for_a_reply_in_a_whole_sentence() -> None:
    request = make_request(candidate={"phone": None})
    _, voicemail = _scripts(request=request)
    assert ", by email at" not in voicemail
    spoken = " ".join(say_lines(voicemail))
    assert "reply" in spoken.lower()
    assert "ada at home dot example" in spoken  # the address, as it is said aloud


@pytest.mark.parametrize("company", ["Acme Corp.", "Yahoo!", "Who? Inc."])
@pytest.mark.parametrize("bounced", [False, True])
def test_a_name_ending_in_punctuation_never_doubles_it(company: str, bounced: bool) -> None:
    request = make_request(
        company=company,
        requisition_id=None,
        future_interest={"functional_area": None},
        candidate={"name": "Ada Lovelace Jr."},
    )
    call, voicemail = _scripts(request=request, bounced=bounced)
    text, page = reminder_parts(make_facts(request=request, attempt=3, bounced=bounced))
    for rendered in (call, voicemail, text, visible_text(page)):
        assert not DOUBLED.search(rendered), DOUBLED.findall(rendered)


@pytest.mark.parametrize("bounced", [False, True])
def test_no_spoken_line_says_invitation_twice(bounced: bool) -> None:
    call, voicemail = _scripts(bounced=bounced)
    for line in (call + voicemail).splitlines():
        assert line.lower().count("invitation") <= 1, line


def test_the_call_goes_in_the_order_of_a_conversation() -> None:
    request = make_request(future_interest={"functional_area": "data engineering"})
    call, _ = _scripts(request=request)
    lines = say_lines(call)
    assert lines, "the lines to say are set apart"
    opening = lines[0]
    assert opening.startswith("Hello, this is Ada Lovelace")
    assert opening.endswith("Do you have a moment?")
    spoken = "\n".join(lines)
    order = [
        spoken.index("Thank you for inviting me"),
        spoken.index("I've decided not to go ahead with the interview"),
        spoken.index("future roles in data engineering"),
        spoken.index("confirm"),
    ]
    assert order == sorted(order), order
    assert "As I wrote" not in call and "respectfully decline" not in spoken


def test_the_voicemail_asks_for_a_reply_or_a_call_back_on_the_spoken_number() -> None:
    _, voicemail = _scripts()
    assert "no need to call back" not in voicemail.lower()
    spoken = " ".join(say_lines(voicemail))
    assert "call me back" in spoken and "reply" in spoken
    # The number the way it is read out, to a contact in the same country: twice.
    assert spoken.count("oh two oh, seven nine four six, oh nine five eight") == 2


def _pressed(call: str) -> str:
    """What the script says to give if asked for a reason: everything from that advice on."""
    start = re.search(r"^If (asked|they ask)", call, re.M | re.I)
    assert start, call
    return call[start.start() :]


def _plain(sentence: str) -> str:
    words = sentence.casefold().replace("n't", " not").replace("'m", " am").split()
    return " ".join(w.strip('.,:;!?"') for w in words if w not in {"just", "simply", "-"})


def test_if_pressed_never_repeats_the_emails_reason() -> None:
    call, _ = _scripts(request=make_request(reason="timing"))
    assert _plain("The timing is not right for me.") not in _plain(_pressed(call))


@pytest.mark.parametrize(
    ("reason", "other_reasons"),
    [
        ("accepted_offer", ("timing", "other opportunities", "direction")),
        ("not_a_fit", ("timing", "another position", "another offer", "another role")),
        ("other_opportunities", ("timing", "another position", "another offer", "direction")),
    ],
)
def test_if_pressed_tells_the_same_story_as_the_email(
    reason: str, other_reasons: tuple[str, ...]
) -> None:
    call, _ = _scripts(request=make_request(reason=reason))
    pressed = _pressed(call).lower()
    for other in other_reasons:
        assert other not in pressed, (other, pressed)


@pytest.mark.parametrize("log_url", [None, "https://declines.example/dashboard/declines/d-1"])
def test_the_reminder_never_speaks_api(log_url: str | None) -> None:
    text, page = reminder_parts(make_facts(log_url=log_url))
    for rendered in (text, page):
        assert "/v1/" not in rendered and "POST " not in rendered
    if log_url:
        assert log_url in text and f'href="{log_url}"' in page
    else:
        assert "Calls page" in text and "whoever runs this service" in text


def test_the_reminder_shows_the_contacts_local_time_beside_the_candidates() -> None:
    request = make_request(contact={"phone": "+1 415 555 0134"})
    text, page = reminder_parts(make_facts(request=request, due_at=DUE))
    assert "09:00" in text and "Europe/London" in text
    assert "01:00" in text and "Los Angeles" in text  # guessed from the +1 415 number
    assert "01:00" in visible_text(page) and "Los Angeles" in visible_text(page)


def test_a_contact_without_zone_or_phone_has_an_unknown_local_time() -> None:
    request = make_request(contact={"phone": None, "timezone": None})
    text, _ = reminder_parts(make_facts(request=request))
    assert "Their local time: unknown" in text


def test_the_contacts_own_zone_wins_over_the_phone_number() -> None:
    request = make_request(contact={"phone": "+1 415 555 0134", "timezone": "America/New_York"})
    text, _ = reminder_parts(make_facts(request=request, due_at=DUE))
    assert "04:00" in text and "New York" in text


def test_the_reminder_greets_by_first_name_and_sets_the_lines_apart() -> None:
    text, page = reminder_parts(make_facts())
    assert text.startswith("Hello Ada,\n") and "Hello Ada Lovelace" not in text
    assert "> Hello, this is Ada Lovelace" in text
    assert "<blockquote" in page
    said = re.findall(r"(?s)<blockquote\b[^>]*>(.*?)</blockquote>", page)
    assert any("Do you have a moment?" in block for block in said)
    assert not any("Keep it short" in block for block in said)  # advice stays outside


BOUNCES = [
    (
        "550 5.1.1 <charles@engines.example>: Recipient address rejected: User unknown in "
        "virtual mailbox table",
        "the address charles@engines.example does not exist at engines.example",
    ),
    (
        "RFC 3464 delivery-status: failed 5.2.2 (552 5.2.2 The email account that you tried to "
        "reach is over quota)",
        "the mailbox charles@engines.example is full",
    ),
    (
        "554 5.7.1 Service unavailable; Client host [203.0.113.9] blocked using zen.spamhaus.org",
        "refused it as spam",
    ),
    (
        "RFC 3464 delivery-status: failed 5.1.2 (Host or domain name not found. Name service "
        "error for name=engines.example type=A: Host not found)",
        "no mail server for engines.example",
    ),
]


@pytest.mark.parametrize(("reason", "says"), BOUNCES)
def test_the_bounce_reminder_says_what_happened_in_plain_words(reason: str, says: str) -> None:
    text, page = reminder_parts(make_facts(bounced=True, bounce_reason=reason, sent_at=None))
    first_paragraph = text.split("\n\n")[1]
    assert says in first_paragraph and reason not in first_paragraph
    assert f"Details: {reason}" in text  # the server's words stay available
    assert "resend" in text.lower()
    assert says in visible_text(page)
