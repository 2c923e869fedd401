"""What a remote server's refusal means, read from its enhanced status code and its words."""

from __future__ import annotations

import pytest

from service.declines.status import aggregate
from service.follow_ups.bounces import Kind, explain, kind_of, retry_can_help

CASES = [
    ("550 5.1.1 <bob@acme.example>: Recipient address rejected: User unknown", Kind.no_such_user),
    ("RFC 3464 delivery-status: failed 5.1.1 (550 5.1.1 No such user)", Kind.no_such_user),
    ("550 Requested action not taken: mailbox unavailable", Kind.no_such_user),
    ("Amazon SES notification: permanent bounce (NoEmail)", Kind.no_such_user),
    ("RFC 3464 delivery-status: failed 5.1.2 (Host or domain name not found)", Kind.no_such_domain),
    ("550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found", Kind.no_such_domain),
    ("552 5.2.2 Mailbox full", Kind.mailbox_full),
    ("gave up after 2 days: 452 4.2.2 The email account is over quota", Kind.mailbox_full),
    ("550 5.2.1 The email account that you tried to reach is disabled", Kind.mailbox_disabled),
    ("554 5.7.1 Service unavailable; Client host blocked using zen.spamhaus.org", Kind.spam),
    ("550 5.7.26 Unauthenticated email is not accepted due to DMARC policy", Kind.authentication),
    ("554 5.7.1 <bob@acme.example>: Recipient address rejected: Access denied", Kind.policy),
    ("552 5.3.4 Message size exceeds fixed limit", Kind.too_large),
    ("not sent: the address is on the account's suppression list", Kind.suppressed),
    ("gave up after 2 days: 421 4.7.0 Try again later, closing connection", Kind.gave_up),
    ("X-Failed-Recipients header (non-standard bounce)", Kind.unknown),
    ("", Kind.unknown),
]


@pytest.mark.parametrize(("raw", "kind"), CASES)
def test_a_refusal_is_read_as_what_it_means(raw: str, kind: Kind) -> None:
    assert kind_of(raw) is kind


def test_the_explanation_names_the_address_and_its_domain() -> None:
    bounce = explain(None, "bob@acme.example")
    assert (bounce.kind, bounce.address, bounce.domain, bounce.raw) == (
        Kind.unknown,
        "bob@acme.example",
        "acme.example",
        None,
    )


@pytest.mark.parametrize(("raw", "kind"), CASES)
def test_a_retry_is_offered_unless_the_address_itself_was_refused(raw: str, kind: Kind) -> None:
    address_refused = kind in (Kind.no_such_user, Kind.no_such_domain, Kind.mailbox_disabled)
    assert retry_can_help(raw) is not address_refused


@pytest.mark.parametrize(
    ("statuses", "overall"),
    [
        (["sent", "sent"], "sent"),
        (["sent", "bounced", "sent"], "partly_delivered"),
        (["failed", "sent"], "partly_delivered"),
        (["failed", "bounced"], "failed"),
        (["sent", "queued", "failed"], "sending"),  # not settled yet
        (["queued", "queued"], "queued"),
    ],
)
def test_a_decline_with_some_emails_delivered_says_partly_delivered(
    statuses: list[str], overall: str
) -> None:
    assert aggregate(statuses, canceled=False) == overall
    assert aggregate(statuses, canceled=True) == "canceled"
