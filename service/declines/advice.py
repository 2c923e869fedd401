"""Warnings for the caller: pure checks on the request's timing."""

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
    return out
