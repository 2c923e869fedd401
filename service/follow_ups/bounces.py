"""Why an email did not arrive, in terms a candidate can act on: pure, no I/O.

The stored error is whatever the remote server or its delivery report said ("550 5.1.1
<bob@acme.example>: Recipient address rejected: User unknown in virtual mailbox table").
The enhanced status code (RFC 3463) decides first; the words decide when a server gave no
code or a vague one. The reminder states the kind in plain words and keeps the raw text as
a detail line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    no_such_user = "no_such_user"  # the address does not exist
    no_such_domain = "no_such_domain"  # nothing receives mail for the domain
    mailbox_full = "mailbox_full"
    mailbox_disabled = "mailbox_disabled"
    spam = "spam"  # refused as spam, or the sender is on a blocklist
    authentication = "authentication"  # SPF, DKIM or DMARC did not pass: the sender's setup
    policy = "policy"  # refused by the receiving server's rules
    too_large = "too_large"
    suppressed = "suppressed"  # the sending provider no longer sends to this address
    gave_up = "gave_up"  # never got through: the server kept deferring, or was unreachable
    unknown = "unknown"


# Kinds where the address itself is the likely fault: worth checking for a typo.
ADDRESS_KINDS = frozenset({Kind.no_such_user, Kind.no_such_domain, Kind.mailbox_disabled})


@dataclass(frozen=True)
class Bounce:
    kind: Kind
    address: str  # where the email went
    domain: str
    raw: str | None  # the server's own words, as stored


_STATUS = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_BY_CODE: dict[str, Kind] = {
    "5.1.1": Kind.no_such_user,
    "5.1.0": Kind.no_such_user,
    "5.1.6": Kind.no_such_user,  # the mailbox has moved
    "5.1.3": Kind.no_such_user,  # the address is not even well formed
    "5.1.2": Kind.no_such_domain,
    "5.1.10": Kind.no_such_domain,  # null MX: the domain accepts no mail
    "5.4.4": Kind.no_such_domain,
    "5.2.1": Kind.mailbox_disabled,
    "5.2.2": Kind.mailbox_full,
    "4.2.2": Kind.mailbox_full,
    "5.2.3": Kind.too_large,
    "5.3.4": Kind.too_large,
    "5.7.23": Kind.authentication,
    "5.7.25": Kind.authentication,
    "5.7.26": Kind.authentication,
    "5.7.27": Kind.authentication,
}
_REFUSALS: tuple[tuple[Kind, str], ...] = (
    (Kind.authentication, r"\b(dmarc|spf|dkim)\b|unauthenticated"),
    (Kind.spam, r"spam|junk|block ?list|black ?list|blocked using|\brbl\b|spamhaus|reputation"),
)
# Checked in this order: the first that matches decides (spam before "rejected", and so on).
_WORDS: tuple[tuple[Kind, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.I))
    for kind, pattern in (
        (Kind.suppressed, r"suppression list|\(suppressed\)"),
        *_REFUSALS,
        (Kind.mailbox_full, r"quota|mailbox ?(is )?full|insufficient (system )?storage"),
        (
            Kind.mailbox_disabled,
            r"disabled|deactivated|inactive|suspended|no longer (in use|active)",
        ),
        (
            Kind.no_such_domain,
            r"host (or domain name )?not found|domain not found|unknown host|no mx|"
            r"name or service not known|unrouteable|nxdomain|domain does not exist",
        ),
        (
            Kind.no_such_user,
            r"user unknown|unknown user|no such (user|mailbox|recipient)|does not exist|"
            r"recipient not found|invalid recipient|address rejected|not a valid mailbox|"
            r"mailbox unavailable|unknown recipient|no mailbox|\bnoemail\b",
        ),
        (Kind.too_large, r"too (large|big)|size (limit|exceed)"),
        (Kind.gave_up, r"^gave up after|timed? ?out|connection refused|could not connect"),
    )
)


def explain(raw: str | None, address: str) -> Bounce:
    """What kind of failure `raw` reports for mail to `address`."""
    return Bounce(
        kind=kind_of(raw or ""), address=address, domain=address.rpartition("@")[2], raw=raw
    )


def kind_of(text: str) -> Kind:
    code = _enhanced_code(text)
    if code in _BY_CODE:
        return _BY_CODE[code]
    if code.startswith("5.7."):
        # Security or policy: whatever else the text says ("address rejected: access
        # denied"), the address is not what was refused.
        refusal = (k for k, p in _REFUSALS if re.search(p, text, re.I))
        return next(refusal, Kind.policy)
    for kind, pattern in _WORDS:
        if pattern.search(text):
            return kind
    return Kind.unknown


def _enhanced_code(text: str) -> str:
    """The first permanent enhanced status code, else the first of any class; "" if none."""
    codes = [".".join(m.groups()) for m in _STATUS.finditer(text)]
    return next((c for c in codes if c.startswith("5.")), codes[0] if codes else "")


def retry_can_help(raw: str | None) -> bool:
    """Whether sending the same email again, unchanged, can arrive. Not when the address
    itself was refused (no such user or domain, a disabled mailbox): only a corrected
    address helps then. A full mailbox, a policy or a server problem may clear."""
    return kind_of(raw or "") not in ADDRESS_KINDS
