"""What a careful job seeker would catch in a decline before sending it, one test each:
punctuation around names, a reason that judges the role, one body for every role,
greetings, the threaded subject, a title that already says "role", the rejection letter's
stock phrase. Each renders the email the contact would receive."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from service.declines.compose import ComposedMessage, compose
from service.declines.schemas import DeclineCreate
from tests.declines.rules import doubled_punctuation, visible_text

DATE = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)
LANGUAGES = ["en", "de", "fr", "es"]

BODY: dict[str, Any] = {
    "candidate": {"name": "Jordan Avery Lee", "email": "jordan.lee@example.org"},
    "company": "Northwind Analytics",
    "job_title": "Senior Platform Engineer",
    "contacts": [
        {"name": "Priya Raman", "email": "priya@northwind.example", "role": "recruiter"},
        {"name": "Charles Babbage", "email": "charles@northwind.example", "role": "hiring_manager"},
        {"name": "Tomás Okafor", "email": "tomas@northwind.example", "role": "interviewer"},
    ],
}
REFERRAL = {
    "name": "Samantha Ortega",
    "email": "sam.ortega@example.net",
    "phone": "+1 415 555 0123",
    "permission_confirmed": True,
}


def request(**overrides: Any) -> DeclineCreate:
    return DeclineCreate.model_validate({**BODY, **overrides})


def build(req: DeclineCreate, index: int = 0) -> ComposedMessage:
    return compose(
        request=req,
        contact_index=index,
        mail_from="Decline Service <decline@mail.example.com>",
        message_id=f"<m{index}@mail.example.com>",
        date=DATE,
    )


def every_part(message: ComposedMessage) -> list[str]:
    return [message.subject, message.text, visible_text(message.html)]


PUNCTUATED = ["Acme Corp.", "Yahoo!", "Who Dares?", "Fabrikam Inc. (Berlin)."]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("company", PUNCTUATED)
def test_a_company_ending_in_punctuation_keeps_one_mark(language: str, company: str) -> None:
    req = request(
        company=company,
        language=language,
        job_title="Senior Engineer (m/w/d).",
        future_interest={"functional_area": "data engineering."},
        referral={**REFERRAL, "name": "Sam O.", "share_with": [0, 1, 2]},
    )
    for index in range(len(req.contacts)):
        message = build(req, index)
        assert company in message.text  # named as written
        for part in every_part(message):
            assert doubled_punctuation(part) == [], part


def test_the_old_request_shape_with_a_dotted_company_reads_right() -> None:
    # No new field at all: the company ends the open door's sentence.
    req = request(company="Acme Corp.", future_interest={})
    assert "at Acme Corp.." not in build(req).text
    assert "Acme Corp.\n" in build(req).text


def test_not_a_fit_speaks_of_my_direction_never_of_their_role() -> None:
    for index in range(3):
        text = build(request(reason="not_a_fit"), index).text
        assert "This role is not" not in text and "role is not the right" not in text
        assert "this direction is not right for me at this point in my career" in text


def test_each_role_is_thanked_for_its_own_part() -> None:
    req = request()
    recruiter, manager, interviewer = (build(req, i).text.split("\n\n")[1] for i in range(3))
    assert len({recruiter, manager, interviewer}) == 3
    assert "considering my application" in recruiter
    assert "in your team" in manager
    assert "time" in interviewer and "interview me" in interviewer
    other = build(request(contacts=[{**BODY["contacts"][0], "role": "other"}])).text
    assert "Thank you for the invitation to interview for" in other
    assert "your team" not in other and "application" not in other


def test_the_referral_goes_to_the_primary_contact_unless_told_otherwise() -> None:
    req = request(referral=REFERRAL)
    texts = [build(req, i).text for i in range(3)]
    assert "Samantha Ortega" in texts[0] and "sam.ortega@example.net" in texts[0]
    assert all("Samantha" not in t and "sam.ortega" not in t for t in texts[1:])
    chosen = request(referral={**REFERRAL, "share_with": [1, 2]})
    assert ["Samantha Ortega" in build(chosen, i).text for i in range(3)] == [False, True, True]


def test_greetings_use_the_first_name_and_no_address() -> None:
    req = request(
        contacts=[
            {"name": "Charles Babbage", "email": "charles@engines.example"},
            {"name": "jobs@acme.example", "email": "jobs@acme.example"},
            {"name": "Recruiting Team", "email": "talent@acme.example"},
            {"name": "Mary Somerville", "email": "mary@acme.example", "title": "Dr."},
        ]
    )
    firsts = [build(req, i).text.split("\n", 1)[0] for i in range(4)]
    assert firsts == ["Dear Charles,", "Hello,", "Hello,", "Dear Dr. Somerville,"]


def test_the_threaded_reply_carries_the_invitations_own_subject_to_its_sender() -> None:
    req = request(
        invitation_message_id="<invite-42@northwind.example>",
        invitation_subject="AW: Your interview with Northwind – next steps",
        invitation_from=1,
    )
    primary, sender = build(req, 0), build(req, 1)
    assert sender.subject == "Re: Your interview with Northwind – next steps"
    assert sender.headers["In-Reply-To"] == "<invite-42@northwind.example>"
    assert "In-Reply-To" not in primary.headers
    assert primary.subject == "Interview invitation: Senior Platform Engineer"


@pytest.mark.parametrize(
    ("language", "title", "named", "never"),
    [
        ("en", "Data Scientist role", "the Data Scientist role at", "role position"),
        ("en", "Data Scientist Position", "the Data Scientist Position at", "Position position"),
        ("de", "Werkstudentenstelle Data Science", "die Werkstudentenstelle", "Stelle als Werk"),
        ("de", "Data Scientist role", "die Stelle als Data Scientist bei", "role"),
        ("fr", "Poste de Data Scientist", "le poste de Data Scientist chez", "poste de Poste"),
        ("fr", "Ingénieure logicielle", "le poste d'Ingénieure", "de Ingénieure"),
        ("es", "Puesto de Analista", "el puesto de Analista en", "puesto de Puesto"),
    ],
)
def test_a_title_that_already_says_position_is_not_said_twice(
    language: str, title: str, named: str, never: str
) -> None:
    text = build(request(language=language, job_title=title)).text
    assert named in text and never not in text


def test_no_stock_phrase_beside_the_reason() -> None:
    for reason in ("none", "accepted_offer", "timing", "not_a_fit", "other_opportunities"):
        text = build(request(reason=reason, round="follow_up")).text
        assert "careful consideration" not in text.lower()
    assert "I have accepted another offer." in build(request(reason="accepted_offer")).text
