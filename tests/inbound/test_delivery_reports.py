"""Bounces in mail systems' own formats, delay warnings, and the failed recipient: each rule on
the real message that needs it, and the human replies that must not trip it."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.inbound.classify import Detected, parse
from service.inbound.delivery_reports import checked_address

REAL = Path(__file__).parent / "real_mail"
CORPUS = Path(__file__).parent / "corpus"


def real(name: str) -> bytes:
    return (REAL / name).read_bytes()


# (file, failed recipient it must name): senders that are neither "<>" nor a daemon's name,
# "Re:" subjects, failure wording outside the usual phrases, and broken MIME.
NON_STANDARD_BOUNCES = {
    # post_master@ at a carrier gateway, "Re:" subject, its text part behind a multipart
    # header whose boundary= sits on a line of its own
    "bsd/lhost-verizon-02.eml": "may-be-straycat-nyaaaaaan@vtext.com",
    "bsd/lhost-apachejames-01.eml": "000000000000@vtext.example.com",
    # no-reply@ at a Japanese carrier, Japanese subject and text
    "bsd/lhost-kddi-01.eml": "kijitora@ezweb.ne.jp",
    # "did not reach the following recipient(s)" (Exchange 2003)
    "bsd/lhost-exchange2003-03.eml": "kijitora@example.jp",
    # "An error has occurred ..." with a bare "550 5.1.1" (OpenSMTPD)
    "bsd/lhost-opensmtpd-01.eml": "apdugoaidugoaidugoaeiudggadi@gmail.com",
    # "was aborted after 5.0 hour(s)" (X3)
    "bsd/lhost-x3-02.eml": "kijitora@example.co.jp",
    # "mail failed, returning to sender", "... unknown host"
    "bsd/rfc3464-37.eml": "kijitora@neko.nyaan.example.com",
    # "target mail address:" in a German provider's notice
    "not/rb-issue-368-bug.eml": "xxxx@yyyyyy.net",
    # a mailing list's admin address refusing a non-member
    "bsd/lhost-fml-02.eml": "neko-nyaan-ctl@example.org",
}


@pytest.mark.parametrize("name", sorted(NON_STANDARD_BOUNCES))
def test_a_bounce_in_a_mail_systems_own_format_is_a_bounce(name: str) -> None:
    mail = parse(real(name))
    assert mail.detected is Detected.bounce, mail.reason
    assert NON_STANDARD_BOUNCES[name] in mail.bounced_recipients


@pytest.mark.parametrize(
    "name",
    [
        "bsd/lhost-opensmtpd-04.eml",  # "Delivery status notification: warning", "error" inside
        "bsd/lhost-x1-04.eml",  # "Warning--Could not send mail for past 8.5 hours"
        "bsd/lhost-postfix-75.eml",  # a transcript with only 4.x.x codes
        "bsd/lhost-gmail-06.eml",
        "bsd/lhost-sendmail-29.eml",
    ],
)
def test_a_delay_warning_is_never_a_bounce_nor_a_reply(name: str) -> None:
    mail = parse(real(name))
    assert mail.detected is Detected.auto_reply, mail.reason
    assert mail.bounced_recipients == ()


def test_a_notice_that_gave_up_is_a_bounce_whatever_temporary_trouble_it_quotes() -> None:
    # qmail: "This is a permanent error; I've given up", quoting a 421 "temporarily deferred"
    mail = parse(real("bsd/lhost-qmail-19.eml"))
    assert mail.detected is Detected.bounce, mail.reason
    assert mail.bounced_recipients == ("pseudo-local-part-of-yahoo-inc@yahoo.com",)


def test_an_internal_alias_in_final_recipient_gives_way_to_the_address_we_sent_to() -> None:
    # Final-Recipient: rfc822; kijitora@mailhub0, Original-Recipient: nekko@c.example.co.jp
    mail = parse(real("bsd/lhost-postfix-79.eml"))
    assert mail.detected is Detected.bounce
    assert mail.bounced_recipients == ("nekko@c.example.co.jp",)


@pytest.mark.parametrize(
    ("name", "recipient"),
    [
        ("bsd/lhost-messagingserver-02.eml", "kijitora@example.net"),  # a source route
        ("bsd/lhost-postfix-32.eml", "neko....nyaan....@libsisimai.org"),  # a quoted local part
        ("bsd/lhost-sendmail-15.eml", "kijitora@example.org"),  # "@mx.example.org" refused
    ],
)
def test_a_malformed_recipient_is_cleaned_or_refused(name: str, recipient: str) -> None:
    mail = parse(real(name))
    assert mail.detected is Detected.bounce
    assert recipient in mail.bounced_recipients
    assert all(checked_address(a) == a for a in mail.bounced_recipients)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("<Bob@Example.COM>", "bob@example.com"),
        ("@relay.example.net:bob@example.com", "bob@example.com"),
        ('"bob smith"@example.com', None),  # a space survives the quotes: not one of ours
        ('"bob..x"@example.com', "bob..x@example.com"),
        ("bob@mailhub0", None),
        ("@mx.example.org", None),
        ("bob", None),
        ("bob@exa mple.com", None),
    ],
)
def test_checked_address(value: str, expected: str | None) -> None:
    assert checked_address(value) == expected


def test_an_empty_from_is_a_mail_system() -> None:
    raw = real("bsd/lhost-x3-02.eml").replace(
        b"From: Mail Delivery System <Mail.Delivery.System@mx44.example.com>", b"From: <>"
    )
    assert b"From: <>" in raw
    mail = parse(raw)
    assert mail.detected is Detected.bounce
    assert mail.bounced_recipients == ("kijitora@example.co.jp",)


def test_a_returned_original_names_the_contact_when_the_text_does_not() -> None:
    # "Delivery report unavailable": the attached original's To is the one we wrote to.
    mail = parse(real("bsd/lhost-postfix-64.eml"))
    assert mail.detected is Detected.bounce
    assert "xxxx@wanadoo.fr" in mail.bounced_recipients


def human(text: str, sender: str = "Jordan Recruiter <jordan.recruiter@example.com>") -> bytes:
    raw = (CORPUS / "human_gmail.eml").read_bytes()
    head, _, _ = raw.partition(b"\n\n")
    head = head.replace(
        b"From: Jordan Recruiter <Jordan.Recruiter@Example.com>", b"From: " + sender.encode()
    )
    head = b"\n".join(
        line
        for line in head.split(b"\n")
        if not line.startswith(b"Content-Type") and not line.startswith(b"MIME")
    )
    return head + b"\nContent-Type: text/plain; charset=utf-8\n\n" + text.encode() + b"\n"


@pytest.mark.parametrize(
    "text",
    [
        "Sorry, there was an error in our system and your application was rejected by mistake. "
        "Could you call me at 550 1234?",
        "Thanks. The hiring round failed to find anyone, so the role is aborted for now.",
        "Our mail server said the invitation could not be delivered to Sam, but he saw it.",
    ],
)
def test_a_person_writing_about_errors_is_still_a_person(text: str) -> None:
    mail = parse(human(text))
    assert mail.detected is Detected.reply, mail.reason


def test_an_address_no_person_answers_from_is_never_a_reply() -> None:
    raw = human(
        "Thank you for your message. This mailbox is not monitored.",
        sender="Acme Careers <no-reply@careers.acme.example>",
    )
    mail = parse(raw)
    assert mail.detected is Detected.auto_reply, mail.reason
    assert mail.return_date is None


def test_a_person_relayed_by_a_no_reply_system_is_still_a_person() -> None:
    raw = human(
        "Thanks for letting me know, and best of luck.",
        sender="Jordan via Hiring <no-reply@ats.example>",
    ).replace(b"\nTo:", b"\nReply-To: Jordan Recruiter <jordan.recruiter@example.com>\nTo:", 1)
    assert b"Reply-To" in raw
    assert parse(raw).detected is Detected.reply
