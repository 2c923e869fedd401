"""One contact's decline as a printed letter: the email's own words, in the same language,
with the blocks a posted letter has (sender, recipient, date, subject, signature)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlalchemy.orm import Session

from service.core.errors import NotFound, Unprocessable
from service.declines import service
from service.declines.compose import subject_for
from service.declines.language import Language
from service.declines.letter import letter_for, plain
from service.declines.letter_pdf import PrintedLetter
from service.declines.schemas import DeclineCreate
from service.declines.validation import display_phone
from service.declines.wording import WORDING
from service.models import ApiKey, Contact, Decline

# How the recipient block names each role; "other" says nothing.
ROLE_LABELS: dict[Language, dict[str, str]] = {
    Language.en: {
        "recruiter": "Recruiter",
        "hiring_manager": "Hiring Manager",
        "interviewer": "Interviewer",
    },
    Language.de: {
        "recruiter": "Recruiting",
        "hiring_manager": "Hiring Manager",
        "interviewer": "Interviewteam",
    },
    Language.fr: {
        "recruiter": "Recrutement",
        "hiring_manager": "Responsable du recrutement",
        "interviewer": "Équipe d’entretien",
    },
    Language.es: {
        "recruiter": "Selección de personal",
        "hiring_manager": "Responsable de contratación",
        "interviewer": "Equipo de entrevistas",
    },
}
_REPLY = "Re: "


def contact_of(*, session: Session, decline: Decline, contact_id: str) -> Contact:
    """The contact, which must be one of this decline's."""
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFound(f"no contact with id {contact_id}")
    if contact.decline_id != decline.id:
        raise Unprocessable(
            f"contact {contact_id} belongs to another decline; "
            f"use a contact id of decline {decline.id}",
            errors=[{"field": "query.contact", "message": "not a contact of this decline"}],
        )
    return contact


def printed_letter(
    *, session: Session, decline_id: str, contact_id: str, api_key: ApiKey | None, now: datetime
) -> PrintedLetter:
    """The letter to `contact_id`, dated `now` in their time zone, worded as the email was
    when the decline was made."""
    decline = service.get(session=session, decline_id=decline_id, api_key=api_key)
    contact = contact_of(session=session, decline=decline, contact_id=contact_id)
    request = DeclineCreate.model_validate(decline.request)
    index = contact.position
    words = letter_for(request, index, now=decline.created_at)
    language = words.language
    candidate = request.candidate
    zone = contact.timezone or candidate.timezone
    today = now.astimezone(ZoneInfo(zone) if zone else UTC)
    role = ROLE_LABELS[language].get(contact.role)
    return PrintedLetter(
        sender=tuple(x for x in (candidate.name, candidate.email, _phone(candidate.phone)) if x),
        recipient=tuple(x for x in (contact.name, role, decline.company) if x),
        date=format_date(today, "long", locale=WORDING[language].locale),
        subject=subject_for(request, index).removeprefix(_REPLY),
        greeting=words.greeting,
        paragraphs=tuple(plain(p) for p in words.paragraphs),
        sign_off=words.sign_off,
        signature=candidate.name,
        language=language.value,
        title=f"{candidate.name} – {decline.company}: {decline.job_title}",
    )


def _phone(phone: str | None) -> str | None:
    return display_phone(phone) if phone else None
