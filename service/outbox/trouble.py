"""A delivery error in plain words: pure, no I/O.

The stored error is what the transport saw ("SMTPConnectError: Error connecting to
127.0.0.1 on port 2525; [Errno 111] Connect call failed"). People need to know first
whether the trouble is ours (the mail server or its settings: every email waits) or this
one recipient's. The raw text stays stored, and shown one click away.
"""

from __future__ import annotations

import re

from service.follow_ups.bounces import Bounce, explain

# Ours: the same for every message, so the whole outbox waits until it is fixed.
_SERVER: tuple[tuple[str, str], ...] = (
    (r"^SMTP sign-in", "the mailbox sign-in has expired or was revoked: sign in again"),
    (
        r"SMTP authentication failed",
        "the mail server refused our user name or password (DECLINE_SMTP_USERNAME, "
        "DECLINE_SMTP_PASSWORD)",
    ),
    (r"^sender refused", "the mail server refused our sender address (DECLINE_MAIL_FROM)"),
    (
        r"Name or service not known|nodename nor servname|Errno -[235]\b|getaddrinfo|"
        r"Temporary failure in name resolution",
        "the mail server's name could not be found (DECLINE_SMTP_HOST)",
    ),
    (
        r"certificate|\bSSL\b|\bTLS\b|STARTTLS",
        "a secure connection to the mail server failed (DECLINE_SMTP_SECURITY, the certificate)",
    ),
    (
        r"Errno 111\b|Connection refused|Connect call failed|ConnectionRefused|"
        r"SMTPConnectError|Errno 113\b|No route to host|Network is unreachable",
        "nothing answers at the mail server's address and port: is it running, is the port right?",
    ),
    (
        r"SMTPTimeoutError|TimeoutError|timed? ?out",
        "the mail server did not answer in time",
    ),
    (
        r"SMTPServerDisconnected|Connection lost|reset by peer|Broken pipe",
        "the mail server closed the connection",
    ),
    (r"^could not write to", "the email files could not be written to the capture folder"),
)
_SERVER_PATTERNS = tuple((re.compile(p, re.I), words) for p, words in _SERVER)
_GAVE_UP = re.compile(r"^gave up after ([^:]+): ", re.I)
_TRY_LATER = re.compile(r"^4\d\d\b")


def server_problem(raw: str | None) -> str | None:
    """What is wrong on our side, when the error is about the mail server or its settings."""
    text = _GAVE_UP.sub("", raw or "")
    return next((words for pattern, words in _SERVER_PATTERNS if pattern.search(text)), None)


def gave_up_after(raw: str | None) -> str | None:
    """ "2 days" for an error the outbox stopped retrying, else None."""
    found = _GAVE_UP.match(raw or "")
    return found.group(1) if found else None


def asked_to_wait(raw: str | None) -> bool:
    """The receiving server answered 4xx: it asked us to try again later."""
    return bool(_TRY_LATER.match(_GAVE_UP.sub("", raw or "")))


def recipient_problem(raw: str | None, address: str) -> Bounce:
    """The recipient's side of it, as the reminders explain a bounce."""
    return explain(_GAVE_UP.sub("", raw or ""), address)
