"""One contact's decline as words: the greeting, the paragraphs and the sign-off, in that
contact's language. Pure: the text and HTML parts are both laid out from this, so they
always say the same thing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

from service.declines.advice import SOON_WITHIN
from service.declines.greeting import Addressee, addressee, greeting_line
from service.declines.language import Language
from service.declines.schemas import DeclineCreate, Role, Round
from service.declines.validation import display_phone
from service.declines.wording import WORDING, Story, Wording, job_phrase


@dataclass(frozen=True)
class Segment:
    """A run of text; with `href`, a link (mailto:, tel:) in the HTML part."""

    text: str
    href: str | None = None


Paragraph = tuple[Segment, ...]


@dataclass(frozen=True)
class Letter:
    language: Language
    greeting: str
    paragraphs: tuple[Paragraph, ...]
    sign_off: str


_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_ENDS_SENTENCE = (".", "!", "?", "…")


def fill(template: str, **values: str | Segment) -> Paragraph:
    """The template with its placeholders filled. A value that ends a sentence itself
    ("Acme Corp.", "Yahoo!") takes the place of the template's own full stop."""
    out: list[Segment] = []
    previous = ""
    for index, piece in enumerate(_PLACEHOLDER.split(template)):
        if index % 2:  # a placeholder's name
            value = values[piece]
            segment = value if isinstance(value, Segment) else Segment(value)
            out.append(segment)
            previous = segment.text
            continue
        if piece.startswith(".") and previous.endswith(_ENDS_SENTENCE):
            piece = piece[1:]
        if piece:
            out.append(Segment(piece))
    return _merged(out)


def _merged(segments: list[Segment]) -> Paragraph:
    merged: list[Segment] = []
    for segment in segments:
        if merged and segment.href is None and merged[-1].href is None:
            merged[-1] = Segment(merged[-1].text + segment.text)
        elif segment.text:
            merged.append(segment)
    return tuple(merged)


def _sentences(*parts: Paragraph) -> Paragraph:
    """Sentences of one paragraph, a space apart."""
    out: list[Segment] = []
    for part in parts:
        if out:
            out.append(Segment(" "))
        out.extend(part)
    return _merged(out)


def wording_for(request: DeclineCreate, index: int) -> Wording:
    return WORDING[request.language_for(index)]


def addressee_for(request: DeclineCreate, index: int) -> Addressee:
    contact = request.contacts[index]
    return addressee(
        name=contact.name,
        email=contact.email,
        language=request.language_for(index),
        choice=contact.greeting,
        title=contact.title,
        greeting_name=contact.greeting_name,
    )


def story(request: DeclineCreate, index: int) -> Story:
    """The reason as this contact's language tells it, in the email and on the phone."""
    return wording_for(request, index).stories[request.reason]


def shares_referral(request: DeclineCreate, index: int) -> bool:
    return request.referral is not None and index in request.referral.share_with


def job(request: DeclineCreate, index: int) -> str:
    return job_phrase(request.language_for(index), request.job_title)


# Closer than this, an interview's date goes without its year.
_SAME_SEASON = timedelta(days=150)


def interview_when(
    request: DeclineCreate, index: int, *, now: datetime | None = None
) -> str | None:
    """The interview's date and time, in the contact's time zone if known, else the
    candidate's; in UTC, and saying so, when neither is known."""
    if request.interview_at is None:
        return None
    zone_name = request.contacts[index].timezone or request.candidate.timezone
    moment = request.interview_at.astimezone(ZoneInfo(zone_name) if zone_name else UTC)
    wording = wording_for(request, index)
    near = now is not None and abs(request.interview_at - now) < _SAME_SEASON
    return wording.when.format(
        date=format_date(moment, wording.dates[0 if near else 1], locale=wording.locale),
        time=format_time(moment, "short", locale=wording.locale),
        zone="" if zone_name else " (UTC)",
    )


def _moment(request: DeclineCreate, index: int) -> str:
    if request.round is Round.follow_up:
        return "follow_up"
    return "approached" if request.they_approached_me else "first"


def _decline(request: DeclineCreate, index: int, now: datetime) -> Paragraph:
    wording = wording_for(request, index)
    when = interview_when(request, index, now=now)
    ahead = request.interview_at - now if request.interview_at else None
    if when is None or ahead is None or ahead < timedelta(0):
        parts = [fill(wording.decline[request.round])]
    else:
        parts = [fill(wording.decline_on[request.round], when=when)]
    line = story(request, index).email
    if line:
        parts.append(fill(line))
    if ahead is not None and timedelta(0) <= ahead <= SOON_WITHIN:
        parts.append(fill(wording.short_notice))
    return _sentences(*parts)


def _referral(request: DeclineCreate, index: int) -> Paragraph | None:
    referral = request.referral
    if referral is None or not shares_referral(request, index):
        return None
    wording = wording_for(request, index)
    who = f"{referral.relationship} {referral.name}" if referral.relationship else referral.name
    email = Segment(referral.email, f"mailto:{referral.email}")
    if referral.phone is None:
        return fill(wording.referral, who=who, name=referral.name, email=email)
    phone = Segment(display_phone(referral.phone), f"tel:{referral.phone}")
    return fill(wording.referral_phone, who=who, name=referral.name, email=email, phone=phone)


def _open_door(request: DeclineCreate, index: int) -> Paragraph | None:
    if not request.open_door:
        return None
    wording = wording_for(request, index)
    area = request.future_interest.functional_area if request.future_interest else None
    role = request.contacts[index].role
    kind = "stay" if role in (Role.hiring_manager, Role.interviewer) else "hear"
    area_part = wording.area.format(area=area) if area else ""
    return fill(wording.open_door[kind], area=area_part, company=request.company)


def letter_for(request: DeclineCreate, index: int, *, now: datetime) -> Letter:
    """Thanks, the decline (with the reason), the referral, the personal note, the open
    door, the request to reply: each only where this contact's message calls for it."""
    contact = request.contacts[index]
    language = request.language_for(index)
    wording = WORDING[language]
    thanks = wording.thanks[(contact.role, _moment(request, index))]
    paragraphs = [
        fill(thanks, job=job(request, index), company=request.company),
        _decline(request, index, now),
        _referral(request, index),
        (Segment(request.personal_note),) if request.personal_note else None,
        _open_door(request, index),
        fill(wording.reply),
    ]
    return Letter(
        language=language,
        greeting=greeting_line(language, addressee_for(request, index)),
        paragraphs=tuple(p for p in paragraphs if p),
        sign_off=wording.sign_offs[request.sign_off],
    )


def plain(paragraph: Paragraph) -> str:
    return "".join(segment.text for segment in paragraph)


LONG_AFTER = 150  # words before the signature: the career guides' "short and sweet"


def word_count(words: Letter) -> int:
    """Words before the signature, as a reader counts them (not "?" alone)."""
    text = " ".join([words.greeting, *(plain(p) for p in words.paragraphs)])
    return sum(1 for token in text.split() if any(c.isalnum() for c in token))


def length_warnings(request: DeclineCreate, *, now: datetime) -> list[str]:
    """A warning when the longest message is no longer short, naming what makes it long."""
    counts = [word_count(letter_for(request, i, now=now)) for i in range(len(request.contacts))]
    longest = max(range(len(counts)), key=counts.__getitem__)
    if counts[longest] <= LONG_AFTER:
        return []
    cut = "shorten the personal note" if request.personal_note else "leave out an option"
    return [
        f"long_message: the email to contacts[{longest}] runs to {counts[longest]} words "
        f"before the signature; a decline reads best under {LONG_AFTER}: {cut}"
    ]
