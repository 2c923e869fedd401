"""Correct a contact's phone, time zone or email after the decline was made. Services flush;
the caller's unit of work commits.

A phone or time zone is a plain change: the call list and scripts read them when shown. An
email that really changes (not only its case) is the resend: the decline is composed again
to the new address, under the same rules, so a changed address never leaves the contact
without their email.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from service.core.config import Settings
from service.core.errors import Unprocessable
from service.follow_ups import resend
from service.follow_ups.schemas import ContactPatch
from service.follow_ups.service import get_contact
from service.models import ApiKey, Contact


def edit_contact(
    *,
    session: Session,
    contact_id: str,
    api_key: ApiKey | None,
    patch: ContactPatch,
    settings: Settings,
    now: datetime,
) -> Contact:
    """Apply the fields the patch names (a `null` phone or time zone clears it)."""
    given = patch.model_fields_set
    if not given:
        raise Unprocessable(
            "nothing to change: send phone, timezone or email",
            errors=[{"field": "body", "message": "name at least one of phone, timezone, email"}],
        )
    contact, _ = get_contact(session, contact_id, api_key)
    if "email" in given:
        if patch.email is None:
            raise Unprocessable(
                "email: a contact always has an address; send the corrected one",
                errors=[{"field": "email", "message": "may not be null"}],
            )
        email = resend.checked_address(patch.email)
        if email.casefold() != contact.email_key:
            contact = resend.resend(
                session=session,
                contact_id=contact.id,
                api_key=api_key,
                email=email,
                settings=settings,
                now=now,
            )
        else:
            contact.email = email  # the same mailbox, spelled as the person prefers
    if "phone" in given:
        contact.phone = patch.phone
    if "timezone" in given:
        contact.timezone = patch.timezone
    session.flush()
    return contact
