"""The call script and the voicemail script, in the contact's language: pure, no I/O.

Both are spoken, so they are written to be said: the lines to say aloud start with "> " and
everything else is advice for the caller. `blocks` splits a script along those lines for the
reminder's HTML and the dashboard, which show the lines to say in a box of their own.

The templates take the decline's script context (`compose.script_context`: the people, the
job, and the email's story of the reason, with what to say if pressed) and, on top of it,
what only a spoken script needs: the candidate's number and address, and the referral's, as
they are read aloud. A key the script context already gives is never overridden.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from service.declines import compose
from service.declines.language import Language, template_path
from service.declines.schemas import DeclineCreate
from service.follow_ups import spoken
from service.follow_ups.policy import country_for_timezone
from service.templating import render

SAY = "> "


@dataclass(frozen=True)
class Block:
    """Consecutive lines of a script: to say aloud, or advice for the caller."""

    say: bool
    lines: tuple[str, ...]


def language_of(request: DeclineCreate, contact_index: int) -> Language:
    return request.language_for(contact_index)


def call_script(
    request: DeclineCreate, contact_index: int, *, bounced: bool = False, complained: bool = False
) -> str:
    """What to say when calling this contact: to make sure the email arrived, or, when it
    did not (or was marked as spam), to give the decline in person."""
    return _render(request, contact_index, "call_script.txt", bounced, complained)


def voicemail_script(
    request: DeclineCreate, contact_index: int, *, bounced: bool = False, complained: bool = False
) -> str:
    """What to leave on voicemail: the whole answer, briefly, and how to reply."""
    return _render(request, contact_index, "voicemail_script.txt", bounced, complained)


def blocks(script: str) -> list[Block]:
    """The script as alternating runs of lines to say and advice; blank lines end a run."""
    found: list[Block] = []
    run: list[str] = []
    saying = False
    for line in [*script.splitlines(), ""]:
        say = line.startswith(SAY)
        if run and (not line.strip() or say != saying):
            found.append(Block(saying, tuple(run)))
            run = []
        if line.strip():
            saying = say
            run.append(line[len(SAY) :].strip() if say else line.strip())
    return found


def context(request: DeclineCreate, contact_index: int) -> dict[str, Any]:
    """The script context, plus the spoken forms of numbers and addresses."""
    base = compose.script_context(request, contact_index)
    language = language_of(request, contact_index)
    candidate, referral = request.candidate, request.referral
    listener = _listener_region(request, contact_index)
    extras: dict[str, Any] = {
        "language": language.value,
        "spoken_email": spoken.address(candidate.email, language),
        "spoken_phone": (
            spoken.phone(candidate.phone, language, listener_region=listener)
            if candidate.phone
            else None
        ),
        "spoken_referral_email": spoken.address(referral.email, language) if referral else None,
        "spoken_referral_phone": (
            spoken.phone(referral.phone, language, listener_region=listener)
            if referral and referral.phone
            else None
        ),
    }
    return {**extras, **base}


def _render(
    request: DeclineCreate, contact_index: int, name: str, bounced: bool, complained: bool
) -> str:
    path = template_path(language_of(request, contact_index), name)
    return render(
        path,
        **context(request, contact_index),
        bounced=bounced,
        complained=complained and not bounced,
    )


def _listener_region(request: DeclineCreate, contact_index: int) -> str | None:
    """Where the contact is, to read numbers the way they dial them: their phone's country,
    else their zone's."""
    contact = request.contacts[contact_index]
    return spoken.region_of(contact.phone) or (
        country_for_timezone(contact.timezone) if contact.timezone else None
    )
