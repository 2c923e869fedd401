"""Warnings for the caller: pure checks on the request's timing and its referral."""

from __future__ import annotations

from datetime import datetime, timedelta

from service.declines.schemas import DeclineCreate

LATE_AFTER = timedelta(days=2)
SOON_WITHIN = timedelta(hours=48)


def warnings_for(request: DeclineCreate, *, now: datetime) -> list[str]:
    """Each warning starts with a stable code, then says what to do about it."""
    out: list[str] = []
    if request.invitation_received_at and now - request.invitation_received_at > LATE_AFTER:
        days = (now - request.invitation_received_at).days
        out.append(
            f"late_reply: the invitation arrived {days} days ago; a prompt phone call will "
            "help the decline reach them before plans are made around you"
        )
    if request.interview_at:
        ahead = request.interview_at - now
        if ahead < timedelta(0):
            out.append("interview_passed: the interview time given is already in the past")
        elif ahead <= SOON_WITHIN:
            hours = int(ahead.total_seconds() // 3600)
            out.append(
                f"interview_soon: the interview is in {hours} hours; call the contact now "
                "rather than waiting for the email to be read"
            )
    if request.invitation_message_id and not request.invitation_subject:
        out.append(
            "invitation_subject_missing: the reply to the invitation is threaded by its "
            "Message-ID but carries a subject of ours; give invitation_subject so that mail "
            "programs that also match subjects keep it in the same conversation"
        )
    out.extend(_referral_warnings(request))
    return out


# Where anyone can have an address: sharing one of these domains says nothing about work.
PUBLIC_MAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
        "yahoo.com", "ymail.com", "aol.com", "icloud.com", "me.com", "mac.com", "proton.me",
        "protonmail.com", "pm.me", "gmx.com", "gmx.de", "gmx.net", "web.de", "t-online.de",
        "mail.com", "fastmail.com", "zoho.com", "yandex.com", "yandex.ru", "mail.ru",
        "orange.fr", "free.fr", "laposte.net", "libero.it", "hey.com", "tutanota.com",
    }
)  # fmt: skip


def _referral_warnings(request: DeclineCreate) -> list[str]:
    """A referral is passed on with that person's own, non-work contact details: an address
    at the hiring company or at the candidate's own workplace (or the candidate's own) is
    almost always a mistake the candidate would regret sending."""
    if request.referral is None:
        return []
    email = request.referral.email.casefold()
    domain = email.rpartition("@")[2]
    candidate = request.candidate.email.casefold()
    if email == candidate:
        return [
            "referral_is_candidate: the referral's email is your own address; give the "
            "referral's own contact details"
        ]
    company_domains = {c.email.casefold().rpartition("@")[2] for c in request.contacts}
    if domain in company_domains:
        return [
            f"referral_work_address: {request.referral.email} is at {domain}, the hiring "
            "company's domain; pass on the referral's personal address instead"
        ]
    if domain == candidate.rpartition("@")[2] and domain not in PUBLIC_MAIL_DOMAINS:
        return [
            f"referral_work_address: {request.referral.email} is at {domain}, the same "
            "workplace domain as your own address; pass on the referral's personal address"
        ]
    return []
