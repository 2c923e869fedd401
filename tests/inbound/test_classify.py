"""Classifying inbound mail: a table over a corpus of real-shaped messages, and the promise
that no malformed input raises (return dates: test_return_dates.py)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from service.inbound.classify import (
    MAX_SUBJECT_CHARS,
    Detected,
    InboundMail,
    message_ids,
    parse,
)

CORPUS = Path(__file__).parent / "corpus"


@dataclass(frozen=True)
class Expected:
    detected: Detected
    reason: str  # a substring of InboundMail.reason
    message_id: str | None
    from_address: str | None
    subject: str
    date: datetime | None
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    bounced_message_ids: tuple[str, ...] = ()
    bounced_recipients: tuple[str, ...] = ()
    return_date: date | None = None


def utc(day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, second, tzinfo=UTC)


EXPECTED: dict[str, Expected] = {
    # --- human replies ------------------------------------------------------------------------
    "human_gmail.eml": Expected(
        Detected.reply,
        "human reply",
        "<CAF3xq9Zk2W+reply.5551@mail.example.com>",
        "jordan.recruiter@example.com",
        "Re: Interview invitation: Senior Data Engineer (REQ-4411)",
        utc(1, 10, 14, 48),
        in_reply_to=("<decline.1234@mail.example.org>",),
        references=("<invite.77@ats.example.com>", "<decline.1234@mail.example.org>"),
    ),
    # Outlook: no In-Reply-To, and X-Auto-Response-Suppress: All on a human message.
    "human_outlook.eml": Expected(
        Detected.reply,
        "human reply",
        "<AM9PR04MB8412A1B2C3D4E5F6A7B8C9D0E1F2A@AM9PR04MB8412.eurprd04.prod.outlook.example>",
        "morgan.lee@example.net",
        "RE: Interview invitation: Product Analyst",
        utc(1, 14, 3, 11),
    ),
    "human_apple_mail.eml": Expected(
        Detected.reply,
        "human reply",
        "<6B1F0C2E-3A4D-4E5F-8A9B-0C1D2E3F4A5B@example.com>",
        "sam.taylor@example.com",
        "Re: Interview invitation: UX Researcher",
        utc(2, 14, 41, 27),
        in_reply_to=("<decline.2002@mail.example.org>",),
        references=("<decline.2002@mail.example.org>",),
    ),
    # A person mentioning a holiday in the body is still a person.
    "human_german_aw.eml": Expected(
        Detected.reply,
        "human reply",
        "<000a01db4433$5e6f7a80$1b2c3d40$@example.net>",
        "k.schneider@example.net",
        "AW: Einladung zum Vorstellungsgespräch: Projektleitung",
        utc(2, 7, 12, 40),
        in_reply_to=("<decline.3003@mail.example.org>",),
        references=("<decline.3003@mail.example.org>",),
    ),
    "human_one_line.eml": Expected(
        Detected.reply,
        "human reply",
        "<20261203162005.7781@example.net>",
        "hr@example.net",
        "Re: Interview invitation: Office Manager",
        utc(3, 16, 20, 5),
        in_reply_to=("<decline.4004@mail.example.org>",),
    ),
    # iso-8859-1 with a windows-1252 dash (0x96) and a no-break space, quoted-printable.
    "human_latin1_qp.eml": Expected(
        Detected.reply,
        "human reply",
        "<5f2a9c1e-77b0-4e12-9a33-0c8d1e2f3a4b@example.net>",
        "renee.dupre@example.net",
        "Re : Invitation à un entretien – Chef de projet",
        utc(3, 8, 30),
        in_reply_to=("<decline.5005@mail.example.org>",),
        references=("<candidature.9@jobs.example.net>", "<decline.5005@mail.example.org>"),
    ),
    # "Out of office" in a human subject, not as a responder's tag.
    "human_ooo_plans.eml": Expected(
        Detected.reply,
        "human reply",
        "<SN6PR11MB3344AABBCCDDEEFF@SN6PR11MB3344.namprd11.prod.outlook.example>",
        "lee.park@example.com",
        "Re: Out of office plans for next year?",
        utc(4, 12, 0),
        in_reply_to=("<decline.6006@mail.example.org>",),
        references=("<decline.6006@mail.example.org>",),
    ),
    # --- auto-replies -------------------------------------------------------------------------
    # "until 4 December 2026" is the last day away; the signature's "valid until" is ignored.
    "ooo_exchange.eml": Expected(
        Detected.auto_reply,
        "Auto-Submitted: auto-generated",
        "<DB7PR02MB5555F1E2D3C4B5A6978ABCDEF0123@DB7PR02MB5555.eurprd02.prod.outlook.example>",
        "priya.natarajan@example.com",
        "Automatic reply: Interview invitation: Backend Developer",
        utc(1, 10, 2, 44),
        in_reply_to=("<decline.1300@mail.example.org>",),
        references=("<decline.1300@mail.example.org>",),
        return_date=date(2026, 12, 5),
    ),
    "ooo_gmail_vacation.eml": Expected(
        Detected.auto_reply,
        "Auto-Submitted: auto-replied",
        "<CAB9vac7Qx+ZmFyb2ZmaWNl.42@mail.example.com>",
        "chris.morgan@example.com",
        "Away until next week",
        utc(1, 10, 3, 4),
        in_reply_to=("<decline.1400@mail.example.org>",),
        references=("<decline.1400@mail.example.org>",),
        return_date=date(2026, 12, 7),
    ),
    # "bis einschließlich 4.12.2026" and "ab dem 7.12. wieder": the explicit return wins.
    "ooo_german.eml": Expected(
        Detected.auto_reply,
        "Auto-Submitted: auto-replied",
        "<OF1A2B3C4D.5E6F7A8B-ONC1258A00.00123456-C1258A00.00123457@example.net>",
        "juergen.mueller@example.net",
        "Abwesenheitsnotiz: Einladung zum Vorstellungsgespräch",
        utc(1, 10, 0),
        in_reply_to=("<decline.1500@mail.example.org>",),
        references=("<decline.1500@mail.example.org>",),
        return_date=date(2026, 12, 7),
    ),
    "ooo_french.eml": Expected(
        Detected.auto_reply,
        "Auto-Submitted: auto-replied",
        "<auto.77aa88bb@mail.example.org>",
        "camille.laurent@example.org",
        "Réponse automatique : Invitation à un entretien",
        utc(1, 9, 5),
        in_reply_to=("<decline.1600@mail.example.org>",),
        references=("<decline.1600@mail.example.org>",),
        return_date=date(2026, 12, 7),
    ),
    "ooo_spanish.eml": Expected(
        Detected.auto_reply,
        "Auto-Submitted: auto-generated",
        "<a1b2c3d4e5f6.respuesta@example.com>",
        "lucia.gomez@example.com",
        "Respuesta automática: Invitación a entrevista",
        utc(1, 10, 30),
        in_reply_to=("<decline.1700@mail.example.org>",),
        references=("<decline.1700@mail.example.org>",),
        return_date=date(2026, 12, 5),
    ),
    # English slash date: 12/04/2026 is 4 December.
    "ooo_x_autoreply.eml": Expected(
        Detected.auto_reply,
        "X-Autoreply: yes",
        "<autoresponder.20261201140000.31337@mail.example.com>",
        "taylor.brooks@example.com",
        "Re: Interview invitation: Data Scientist",
        utc(1, 14, 0),
        in_reply_to=("<decline.1800@mail.example.org>",),
        return_date=date(2026, 12, 5),
    ),
    "ooo_subject_only_dutch.eml": Expected(
        Detected.auto_reply,
        "out-of-office subject: automatisch antwoord",
        "<20261201091010.AB12CD34@example.net>",
        "d.jansen@example.net",
        "Automatisch antwoord: Uitnodiging voor sollicitatiegesprek",
        utc(1, 9, 10, 10),
        in_reply_to=("<decline.1900@mail.example.org>",),
        return_date=date(2026, 12, 7),
    ),
    # "will not return until 08/12/2026": read as 12 August that would be stale, so 8 December.
    "ooo_subject_only_lotus.eml": Expected(
        Detected.auto_reply,
        "out-of-office subject: out of the office",
        "<OFAB12CD34.EF56AB78-ON80258A00.0056789A@example.com>",
        "dana.whitfield@example.com",
        "Dana Whitfield is out of the office.",
        utc(1, 15, 45),
        in_reply_to=("<decline.2100@mail.example.org>",),
        return_date=date(2026, 12, 8),
    ),
    # HTML only; the date in the style sheet is not text.
    "ooo_italian_html.eml": Expected(
        Detected.auto_reply,
        "Precedence: auto_reply",
        "<risposta.5566@example.org>",
        "giulia.rossi@example.org",
        "Risposta automatica: Invito a colloquio",
        utc(1, 11, 0),
        in_reply_to=("<decline.2200@mail.example.org>",),
        references=("<decline.2200@mail.example.org>",),
        return_date=date(2026, 12, 5),
    ),
    "dsn_delayed_postfix.eml": Expected(
        Detected.auto_reply,
        "delivery delayed",
        "<20261202100200.7F1A2B3C4D@mx.mail.example.org>",
        "mailer-daemon@mail.example.org",
        "Delayed Mail (still being retried)",
        utc(2, 10, 2),
    ),
    "mdn_read_receipt.eml": Expected(
        Detected.auto_reply,
        "read receipt",
        "<mdn.8899@example.com>",
        "robin.shaw@example.com",
        "Read: Interview invitation: QA Lead",
        utc(1, 13, 13, 13),
    ),
    # --- bounces ------------------------------------------------------------------------------
    # Carries Auto-Submitted too: bounce checks come first.
    "bounce_postfix.eml": Expected(
        Detected.bounce,
        "RFC 3464 delivery-status: failed 5.1.1",
        "<20261201100205.3C2B1A0F9E@mx.mail.example.org>",
        "mailer-daemon@mail.example.org",
        "Undelivered Mail Returned to Sender",
        utc(1, 10, 2, 5),
        bounced_message_ids=("<decline.1234@mail.example.org>",),
        bounced_recipients=("bob.smith@example.com",),
    ),
    "bounce_exchange_ndr.eml": Expected(
        Detected.bounce,
        "RFC 3464 delivery-status: failed 5.1.10",
        "<9a8b7c6d-5e4f-3a2b-1c0d-ef9876543210@AS8PR07MB7777.eurprd07.prod.outlook.example>",
        "postmaster@example.net",
        "Undeliverable: Interview invitation: Marketing Manager",
        utc(1, 10, 2, 9),
        in_reply_to=("<decline.2500@mail.example.org>",),
        references=("<decline.2500@mail.example.org>",),
        bounced_message_ids=("<decline.2500@mail.example.org>",),
        bounced_recipients=("casey.hr@example.net", "dana.hr@example.net"),
    ),
    "bounce_gmail_dsn.eml": Expected(
        Detected.bounce,
        "RFC 3464 delivery-status: failed 5.1.1",
        "<674c3a42.050a0220.1a2b3c.4d5eGMR@mx.mail.example.com>",
        "mailer-daemon@googlemail.example.com",
        "Delivery Status Notification (Failure)",
        utc(1, 10, 2, 10),
        in_reply_to=("<decline.2600@mail.example.org>",),
        references=("<decline.2600@mail.example.org>",),
        bounced_message_ids=("<decline.2600@mail.example.org>",),
        bounced_recipients=("jamie.ortiz@example.org",),
    ),
    # The original is quoted inline as text, after Exim's marker line.
    "bounce_exim.eml": Expected(
        Detected.bounce,
        "X-Failed-Recipients",
        "<E1tHq2a-00AbCd-3x@relay.example.net>",
        "mailer-daemon@relay.example.net",
        "Mail delivery failed: returning message to sender",
        utc(1, 10, 2, 20),
        bounced_message_ids=("<decline.2700@mail.example.org>",),
        bounced_recipients=("morgan.blake@example.com", "riley.chen@example.com"),
    ),
    "bounce_qmail.eml": Expected(
        Detected.bounce,
        "bounce from mail system: failure notice",
        None,
        "mailer-daemon@mx.example.net",
        "failure notice",
        utc(1, 10, 2, 30),
        bounced_message_ids=("<decline.2800@mail.example.org>",),
        bounced_recipients=("quinn.adams@example.net",),
    ),
    # No copy of the original: still a bounce, with no ids for the caller to match.
    "bounce_sendmail_no_original.eml": Expected(
        Detected.bounce,
        "bounce from mail system: Returned mail",
        "<202612011002.5B1A2CDE012345@mail.example.com>",
        "mailer-daemon@mail.example.com",
        "Returned mail: see transcript for details",
        utc(1, 10, 2, 40),
        bounced_recipients=("hiring@example.com",),
    ),
}


def test_every_corpus_file_has_an_expectation() -> None:
    assert sorted(p.name for p in CORPUS.glob("*.eml")) == sorted(EXPECTED)
    assert len(EXPECTED) >= 20


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus(name: str) -> None:
    want = EXPECTED[name]
    got = parse((CORPUS / name).read_bytes())
    assert got.detected is want.detected
    assert want.reason in got.reason
    assert got.message_id == want.message_id
    assert got.from_address == want.from_address
    assert got.subject == want.subject
    assert got.date == want.date
    assert got.date is None or got.date.tzinfo is not None
    assert got.in_reply_to == want.in_reply_to
    assert got.references == want.references
    assert got.bounced_message_ids == want.bounced_message_ids
    assert got.bounced_recipients == want.bounced_recipients
    assert got.return_date == want.return_date


# --- building messages for the narrower tests ------------------------------------------------


def mail(
    *headers: str,
    subject: str = "Re: Interview invitation: Analyst",
    body: str = "Thanks, noted.\n",
    content_type: str = "text/plain; charset=utf-8",
) -> bytes:
    lines = [
        "From: Pat Example <pat@example.com>",
        "To: alex@mail.example.org",
        f"Subject: {subject}",
        "Date: Tue, 01 Dec 2026 10:00:00 +0000",
        "Message-ID: <m.1@example.com>",
        "In-Reply-To: <decline.9000@mail.example.org>",
        "MIME-Version: 1.0",
        f"Content-Type: {content_type}",
        *headers,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n" + body.replace("\n", "\r\n")).encode()


def classify(raw: bytes) -> tuple[Detected, str]:
    got = parse(raw)
    return got.detected, got.reason


# --- auto-reply headers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "detected", "reason"),
    [
        ((), Detected.reply, "human reply"),
        (("Auto-Submitted: auto-replied",), Detected.auto_reply, "Auto-Submitted: auto-replied"),
        (("Auto-Submitted: Auto-Generated",), Detected.auto_reply, "auto-generated"),
        (
            ("Auto-Submitted: auto-replied; owner-email=pat@example.com",),
            Detected.auto_reply,
            "Auto-Submitted: auto-replied",
        ),
        (("Auto-Submitted: auto-notified (vacation)",), Detected.auto_reply, "auto-notified"),
        (("Auto-Submitted: no",), Detected.reply, "human reply"),
        (("Auto-Submitted: No (sent by a person)",), Detected.reply, "human reply"),
        (("Auto-Submitted:",), Detected.auto_reply, "(empty)"),
        (("X-Autoreply: yes",), Detected.auto_reply, "X-Autoreply: yes"),
        (("X-Autorespond: Out of office",), Detected.auto_reply, "X-Autorespond"),
        (("X-Autoresponder: true",), Detected.auto_reply, "X-Autoresponder"),
        (("X-Autoreply: no",), Detected.reply, "human reply"),
        (("X-Autoreply: False",), Detected.reply, "human reply"),
        (("Precedence: bulk",), Detected.auto_reply, "Precedence: bulk"),
        (("Precedence: junk",), Detected.auto_reply, "Precedence: junk"),
        (("Precedence: list",), Detected.auto_reply, "Precedence: list"),
        (("Precedence: auto_reply",), Detected.auto_reply, "Precedence: auto_reply"),
        (("Precedence: first-class",), Detected.reply, "human reply"),
        # A request, not a sign: Outlook puts it on human mail.
        (("X-Auto-Response-Suppress: All",), Detected.reply, "human reply"),
        (("X-Auto-Response-Suppress: DR, RN, NRN, OOF",), Detected.reply, "human reply"),
        (
            ("X-MS-Exchange-Inbox-Rules-Loop: pat@example.com",),
            Detected.auto_reply,
            "Inbox-Rules-Loop",
        ),
        (
            ("X-MS-Exchange-Generated-Message-Source: Mailbox Rules Agent",),
            Detected.auto_reply,
            "Mailbox Rules Agent",
        ),
        (("Return-Path: <>",), Detected.reply, "human reply"),
    ],
)
def test_auto_reply_headers(headers: tuple[str, ...], detected: Detected, reason: str) -> None:
    got_detected, got_reason = classify(mail(*headers))
    assert got_detected is detected
    assert reason in got_reason


# --- auto-reply subjects -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "subject",
    [
        "Out of Office",
        "Out of the office",
        "OUT OF OFFICE: Interview invitation: Analyst",
        "Out of Office AutoReply: Interview invitation",
        "Out of office until 4 December",
        "Automatic reply: Interview invitation: Analyst",
        "Auto-Reply: Interview invitation",
        "[Auto-Reply] Interview invitation",
        "Autoreply: Interview invitation",
        "On vacation",
        "Away from the office - back Monday",
        "Pat Example is out of the office.",
        "[EXTERNAL] Automatic reply: Interview invitation",
        "Re: Out of Office",
        "Abwesenheitsnotiz: Einladung",
        "Automatische Antwort: Einladung",
        "AW: Automatische Antwort: Einladung",
        "Réponse automatique : Invitation",
        "Reponse automatique: Invitation",
        "Absence du bureau",
        "Respuesta automática: Invitación",
        "Fuera de la oficina",
        "Automatisch antwoord: Uitnodiging",
        "Afwezig",
        "Risposta automatica: Invito",
        "Fuori sede",
        "=?utf-8?Q?R=C3=A9ponse_automatique_:_Invitation?=",
    ],
)
def test_out_of_office_subjects(subject: str) -> None:
    detected, reason = classify(mail(subject=subject))
    assert detected is Detected.auto_reply
    assert reason.startswith("out-of-office subject")


@pytest.mark.parametrize(
    "subject",
    [
        "Re: Out of office plans for next year?",
        "Re: Our out of office policy",
        "Re: Interview invitation: Automatic reply handling engineer",
        "Automatically replying is not my style",
        "Re: Afwezigheid van het team",
        "Fwd: Interview invitation",
        "Re: The vacation request form",
        "Re: Holiday schedule",
        "",
    ],
)
def test_human_subjects_that_merely_mention_absence(subject: str) -> None:
    assert classify(mail(subject=subject)) == (Detected.reply, "human reply")


# --- delivery reports built by hand --------------------------------------------------------------


def report(status_blocks: str, *, sender: str = "MAILER-DAEMON@mx.example.net") -> bytes:
    return f"""From: {sender}
To: alex@mail.example.org
Subject: Delivery report
Date: Tue, 01 Dec 2026 10:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="RB"

--RB
Content-Type: text/plain

A report.

--RB
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

{status_blocks}
--RB
Content-Type: text/rfc822-headers

From: alex@mail.example.org
Message-ID:
 <decline.9100@mail.example.org>

--RB--
""".encode()


@pytest.mark.parametrize(
    ("blocks", "detected", "reason", "recipients"),
    [
        (
            "Final-Recipient: rfc822; a@example.com\nAction: failed\nStatus: 5.2.2\n",
            Detected.bounce,
            "failed 5.2.2",
            ("a@example.com",),
        ),
        # No Final-Recipient: the Original-Recipient stands in.
        (
            "Original-Recipient: rfc822;<B@Example.com>\nAction: failed\nStatus: 5.1.1\n",
            Detected.bounce,
            "failed 5.1.1",
            ("b@example.com",),
        ),
        # No Action: the 5.x.x Status says failed.
        ("Final-Recipient: rfc822; c@example.com\nStatus: 5.7.1\n", Detected.bounce, "5.7.1", ()),
        # One failed and one delayed recipient: a bounce for the failed one only.
        (
            "Final-Recipient: rfc822; d@example.com\nAction: delayed\nStatus: 4.4.7\n\n"
            "Final-Recipient: rfc822; e@example.com\nAction: failed\nStatus: 5.1.1\n",
            Detected.bounce,
            "failed 5.1.1",
            ("e@example.com",),
        ),
        (
            "Final-Recipient: rfc822; f@example.com\nAction: delayed\nStatus: 4.4.7\n",
            Detected.auto_reply,
            "delivery delayed",
            (),
        ),
        (
            "Final-Recipient: rfc822; g@example.com\nAction: delivered\nStatus: 2.0.0\n",
            Detected.auto_reply,
            "delivery report: delivered",
            (),
        ),
        (
            "Final-Recipient: rfc822; h@example.com\nAction: relayed\nStatus: 2.0.0\n",
            Detected.auto_reply,
            "delivered",
            (),
        ),
    ],
)
def test_delivery_status(
    blocks: str, detected: Detected, reason: str, recipients: tuple[str, ...]
) -> None:
    got = parse(report(blocks))
    assert got.detected is detected
    assert reason in got.reason
    if detected is Detected.bounce:
        assert got.bounced_message_ids == ("<decline.9100@mail.example.org>",)
        if recipients:
            assert got.bounced_recipients == recipients
    else:
        assert got.bounced_message_ids == ()
        assert got.bounced_recipients == ()
        assert got.return_date is None


def test_a_base64_delivery_status_part_is_still_read() -> None:
    raw = report("X").replace(
        b"Content-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\nX\n",
        b"Content-Type: message/delivery-status\nContent-Transfer-Encoding: base64\n\n"
        b"UmVwb3J0aW5nLU1UQTogZG5zOyBteAoKRmluYWwtUmVjaXBpZW50OiByZmM4MjI7IGlAZXhhbXBs"
        b"ZS5jb20KQWN0aW9uOiBmYWlsZWQKU3RhdHVzOiA1LjEuMQo=\n",
    )
    got = parse(raw)
    assert got.detected is Detected.bounce, got.reason


def test_bounce_without_a_copy_names_the_original_in_the_report() -> None:
    raw = report(
        "X-Original-Message-ID: <decline.9300@mail.example.org>\n\n"
        "Final-Recipient: rfc822; k@example.com\nAction: failed\nStatus: 5.1.1\n"
    ).replace(b"Content-Type: text/rfc822-headers", b"Content-Type: text/plain")
    raw = raw.replace(b"Message-ID:\n <decline.9100@mail.example.org>", b"X-Nothing: here")
    got = parse(raw)
    assert got.detected is Detected.bounce
    assert got.bounced_message_ids == ("<decline.9300@mail.example.org>",)


def test_bounce_recipients_from_text_when_the_report_names_none() -> None:
    raw = report("Action: failed\nStatus: 5.1.1\n").replace(
        b"A report.", b"Your message wasn't delivered to Jo@Example.org because it was refused."
    )
    assert parse(raw).bounced_recipients == ("jo@example.org",)


def test_a_forwarded_bounce_is_a_human_message() -> None:
    bounce = (CORPUS / "bounce_postfix.eml").read_bytes()
    raw = (
        b"From: Pat Example <pat@example.com>\nTo: alex@mail.example.org\n"
        b"Subject: Fwd: Undelivered Mail Returned to Sender\n"
        b"Date: Tue, 01 Dec 2026 12:00:00 +0000\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/mixed; boundary="FW"\n\n'
        b"--FW\nContent-Type: text/plain\n\nYour mail to Bob bounced, his new address is below.\n"
        b"--FW\nContent-Type: message/rfc822\n\n" + bounce + b"\n--FW--\n"
    )
    assert classify(raw) == (Detected.reply, "human reply")


def test_a_read_receipt_by_part_type_alone() -> None:
    raw = mail(
        content_type='multipart/mixed; boundary="X"',
        body="--X\nContent-Type: message/disposition-notification\n\n"
        "Disposition: manual-action/MDN-sent-manually; displayed\n\n--X--\n",
    )
    assert classify(raw)[0] is Detected.auto_reply


@pytest.mark.parametrize(
    ("sender", "subject", "body", "detected"),
    [
        ("Mail Delivery System <MAILER-DAEMON@example.net>", "Undeliverable: Hi", "", "bounce"),
        ("postmaster@example.net", "Unzustellbar: Einladung", "", "bounce"),
        ("postmaster@example.net", "Non remis : Invitation", "", "bounce"),
        ("MAILER-DAEMON", "Mail delivery failed", "", "bounce"),
        # A mail system whose subject says nothing: its text decides.
        ("postmaster@example.net", "Notice", "The message could not be delivered.", "bounce"),
        ("postmaster@example.net", "Notice", "Delivery has been delayed.", "auto_reply"),
        (
            "Mail Delivery System <Mailer-Daemon@example.net>",
            "Warning: message 1tHq2a-00AbCd-3x delayed 24 hours",
            "",
            "auto_reply",
        ),
        (
            "Mail Delivery Subsystem <mailer-daemon@example.net>",
            "Delivery Status Notification (Delay)",
            "",
            "auto_reply",
        ),
        # A person may use failure words; only a mail system's mail is read that way.
        ("Pat <pat@example.com>", "Re: Undeliverable: Hi", "It could not be delivered.", "reply"),
        ("Pat <pat@example.com>", "Undeliverable: Hi", "", "reply"),
        # Nothing says it failed, but no person wrote it either.
        ("postmaster@example.net", "Hello", "A note from your mail system.", "auto_reply"),
    ],
)
def test_nonstandard_bounces(sender: str, subject: str, body: str, detected: str) -> None:
    raw = mail(subject=subject, body=body + "\n").replace(
        b"From: Pat Example <pat@example.com>", f"From: {sender}".encode()
    )
    got = parse(raw)
    assert got.detected == detected, got.reason


def test_null_sender_with_a_failure_subject_is_a_bounce() -> None:
    raw = mail("Return-Path: <>", subject="Undelivered Mail Returned to Sender")
    assert classify(raw)[0] is Detected.bounce


def test_null_sender_vacation_notice_mentioning_delay_keeps_its_return_date() -> None:
    # RFC 3834 responders send with a null Return-Path too; only a mail system's "delay"
    # subject means a delayed delivery.
    raw = mail(
        "Return-Path: <>",
        "Auto-Submitted: auto-replied",
        subject="Expect a delay in my answers",
        body="I am on holiday until 4 December.\n",
    )
    got = parse(raw)
    assert (got.detected, got.reason) == (Detected.auto_reply, "Auto-Submitted: auto-replied")
    assert got.return_date == date(2026, 12, 5)


def test_bounce_ids_from_body_lines_and_recipients_from_text() -> None:
    body = (
        "Delivery to the following recipient failed permanently:\n\n"
        "     Lee@Example.com\n\n"
        "Technical details: 550 5.1.1 user unknown\n\n"
        "----- Original message -----\n\n"
        "From: alex@mail.example.org\nTo: lee@example.com\n"
        "Message-ID: <decline.9200@mail.example.org>\n"
        "In-Reply-To: <not.this.one@example.com>\n"
    )
    raw = mail(subject="Delivery Status Notification (Failure)", body=body).replace(
        b"From: Pat Example <pat@example.com>", b"From: Mail Delivery Subsystem <x@example.com>"
    )
    got = parse(raw)
    assert got.detected is Detected.bounce
    assert got.bounced_message_ids == ("<decline.9200@mail.example.org>",)
    assert got.bounced_recipients == ("lee@example.com",)


# --- message ids -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "ids"),
    [
        (None, ()),
        ("", ()),
        ("<a@b>", ("<a@b>",)),
        ("  <a@b>  <c@d>\r\n\t<e@f>", ("<a@b>", "<c@d>", "<e@f>")),
        ("<a@b><c@d>", ("<a@b>", "<c@d>")),
        ("<a@b> <a@b> <c@d>", ("<a@b>", "<c@d>")),
        ("<a@b> (Pat's message of Tue, 1 Dec 2026)", ("<a@b>",)),
        ("bare.id@example.com", ("<bare.id@example.com>",)),
        ("not an id", ()),
        ("<>", ()),
        ("<broken <a@b>", ("<a@b>",)),
    ],
)
def test_message_ids(value: str | None, ids: tuple[str, ...]) -> None:
    assert message_ids(value) == ids


# --- return dates ------------------------------------------------------------------------------


def test_return_date_only_for_auto_replies() -> None:
    # A person who answers and mentions an absence has answered: no return date to wait for.
    body = "Thanks for letting me know. I am out of the office until 4 December.\n"
    assert parse(mail(body=body)).detected is Detected.reply
    assert parse(mail(body=body)).return_date is None
    assert parse(mail("Auto-Submitted: auto-replied", body=body)).return_date == date(2026, 12, 5)


def test_return_date_from_the_subject() -> None:
    raw = mail("Auto-Submitted: auto-replied", subject="Out of office until 4 December")
    assert parse(raw).return_date == date(2026, 12, 5)


def test_return_date_uses_the_senders_calendar_day() -> None:
    # 23:30 on 4 December in New York is already 5 December in UTC.
    raw = mail("Auto-Submitted: auto-replied", body="I am away until 4 December.\n").replace(
        b"Date: Tue, 01 Dec 2026 10:00:00 +0000", b"Date: Fri, 04 Dec 2026 23:30:00 -0500"
    )
    assert parse(raw).return_date == date(2026, 12, 5)


# --- header fields -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Date: Tue, 01 Dec 2026 10:00:00 +0100", datetime(2026, 12, 1, 9, 0, tzinfo=UTC)),
        ("Date: Tue, 01 Dec 2026 10:00:00 -0000", datetime(2026, 12, 1, 10, 0, tzinfo=UTC)),
        ("Date: 1 Dec 2026 10:00:00 GMT", datetime(2026, 12, 1, 10, 0, tzinfo=UTC)),
        ("Date: 1 Dec 2026 10:00", datetime(2026, 12, 1, 10, 0, tzinfo=UTC)),
        ("Date: yesterday-ish", None),
        ("Date: Tue, 99 Dec 2026 10:00:00 +0000", None),
        ("Date: Tue, 01 Dec 99999 10:00:00 +0000", None),
        ("Date: Fri, 31 Dec 9999 23:30:00 -0100", None),  # no UTC instant for that
        ("Date:", None),
        ("X-No-Date: 1", None),
    ],
)
def test_date(header: str, expected: datetime | None) -> None:
    raw = mail().replace(b"Date: Tue, 01 Dec 2026 10:00:00 +0000", header.encode())
    got = parse(raw).date
    assert got == expected
    if got is not None:
        assert got.tzinfo is not None
        assert got.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("From: Pat Example <Pat.Example@EXAMPLE.com>", "pat.example@example.com"),
        ("From: pat@example.com (Pat Example)", "pat@example.com"),
        ('From: "Example, Pat" <pat@example.com>', "pat@example.com"),
        ("From: =?utf-8?Q?P=C3=A4t?= <pat@example.com>", "pat@example.com"),
        ("From: Pat Example", None),
        ("From: <>", None),
        ("From: <<<@@>>>", None),
        ("From:", None),
        ("X-No-From: 1", None),
    ],
)
def test_from_address(header: str, expected: str | None) -> None:
    raw = mail().replace(b"From: Pat Example <pat@example.com>", header.encode())
    assert parse(raw).from_address == expected


def test_subject_is_decoded_unfolded_and_capped() -> None:
    folded = mail(subject="=?utf-8?Q?Gr=C3=BC=C3=9Fe?=\r\n =?utf-8?Q?_aus_K=C3=B6ln?=")
    assert parse(folded).subject == "Grüße aus Köln"
    long = mail(subject="Re: " + "x" * 5000)
    assert len(parse(long).subject) == MAX_SUBJECT_CHARS
    assert parse(mail(subject="")).subject == ""
    no_subject = mail().replace(b"Subject: Re: Interview invitation: Analyst\r\n", b"")
    assert parse(no_subject).subject == ""


def test_own_message_id_absent_or_broken() -> None:
    assert parse(mail().replace(b"Message-ID: <m.1@example.com>", b"X-A: 1")).message_id is None
    broken = mail().replace(b"<m.1@example.com>", b"<<<>>>")
    assert parse(broken).message_id is None


# --- robustness ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [b"", b"\r\n\r\n", b"   \n\t\n", b"just some text without any header\n", b"\n\n\nbody"],
)
def test_empty_or_headerless_input_raises_value_error(raw: bytes) -> None:
    with pytest.raises(ValueError):
        parse(raw)


def test_leading_blank_lines_are_skipped() -> None:
    # Some exports put blank lines before the headers; they are not the header/body break.
    assert parse(b"\r\n\nFrom: pat@example.com\n\nhi\n").from_address == "pat@example.com"


MALFORMED: dict[str, bytes] = {
    "unknown charset": mail(content_type="text/plain; charset=x-no-such-charset"),
    "non-text charset": mail(content_type="text/plain; charset=rot13"),
    "wrong charset": mail(content_type="text/plain; charset=us-ascii", body="café ☕\n"),
    "latin-1 bytes in utf-8": mail().replace(b"Thanks, noted.", b"Thanks, not\xe9d."),
    "8-bit headers": mail().replace(b"Subject: Re:", b"Subject: R\xe9\xff:"),
    "bad encoded word": mail(subject="=?x-unknown?Q?abc?= =?utf-8?B?!!!?= =?utf-8?Q?=FF?="),
    "header without colon": mail("This line is not a header"),
    "header with NUL": mail("X-Junk: a\x00b"),
    "broken boundary": mail(
        content_type='multipart/alternative; boundary="NOPE"', body="--WRONG\nhello\n"
    ),
    "missing boundary": mail(content_type="multipart/mixed", body="--X\nhello\n--X--\n"),
    "truncated multipart": mail(
        content_type='multipart/mixed; boundary="B"',
        body="--B\nContent-Type: text/plain\n\nhalf a part",
    ),
    "bad base64": mail("Content-Transfer-Encoding: base64", body="!!!not base64@@@\n"),
    "bad quoted-printable": mail("Content-Transfer-Encoding: quoted-printable", body="=ZZ=\n=4"),
    "unknown transfer encoding": mail("Content-Transfer-Encoding: x-weird", body="hi\n"),
    "garbage content type": mail(content_type=';;;==="""/'),
    "empty body": mail(body=""),
    "empty delivery-status": report(""),
    "garbage delivery-status": report("::::\n\n\x00\x01\n: :\nAction\n"),
    "bounce with garbage recipient": report("Final-Recipient: ;;;\nAction: failed\n"),
    "empty rfc822 attachment": mail(
        content_type='multipart/mixed; boundary="B"',
        body="--B\nContent-Type: message/rfc822\n\n--B--\n",
    ),
    "addresses in every shape": mail(
        'To: ,,,<>, @, "unterminated, <a@b',
        "Cc: =?utf-8?Q?=FF?= <@@>",
        "Reply-To: <",
        "Return-Path: <<>>",
    ),
    "odd id headers": mail("References: <<<a@b>>> <", "In-Reply-To: \t", "Message-ID: <>"),
    "html only, broken": mail(
        "Auto-Submitted: auto-replied",
        content_type="text/html",
        body="<p>back on <b>7 Dec</p><script>until 9 December 2026",
    ),
    "deep nesting": mail(
        content_type='multipart/mixed; boundary="B0"',
        body="".join(
            f'--B{i}\nContent-Type: multipart/mixed; boundary="B{i + 1}"\n\n' for i in range(60)
        )
        + "--B60\nContent-Type: text/plain\n\nhi\n",
    ),
    "only a header": b"Subject: hello",
    "mbox From_ line": b"From pat@example.com Tue Dec  1 10:00:00 2026\nSubject: hi\n\nbody\n",
    "binary junk after a header": b"X-A: 1\n\n" + bytes(range(256)) * 4,
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_input_never_raises(name: str) -> None:
    assert_sane(parse(MALFORMED[name]))


def assert_sane(got: InboundMail) -> None:
    assert isinstance(got.detected, Detected)
    assert got.reason
    assert len(got.subject) <= MAX_SUBJECT_CHARS
    assert got.date is None or got.date.tzinfo is not None
    for value in (got.subject, got.reason, got.message_id or "", got.from_address or ""):
        value.encode("utf-8")  # no lone surrogates left over from undecodable bytes
    for mid in (*got.in_reply_to, *got.references, *got.bounced_message_ids):
        assert mid.startswith("<") and mid.endswith(">")
        mid.encode("utf-8")
    if got.detected is not Detected.bounce:
        assert got.bounced_message_ids == () and got.bounced_recipients == ()
    if got.detected is not Detected.auto_reply:
        assert got.return_date is None


def test_damaged_corpus_never_raises() -> None:
    """Truncate and corrupt every corpus file in many ways: each result is ValueError (no
    header left) or a sane InboundMail."""
    rng = random.Random(20261201)
    for path in sorted(CORPUS.glob("*.eml")):
        raw = path.read_bytes()
        variants = [raw[:cut] for cut in range(0, len(raw), max(1, len(raw) // 40))]
        for _ in range(40):
            damaged = bytearray(raw)
            for _ in range(rng.randint(1, 30)):
                damaged[rng.randrange(len(damaged))] = rng.randrange(256)
            variants.append(bytes(damaged))
        variants.append(raw.replace(b"\n", b"\r"))
        variants.append(raw.replace(b":", b""))
        variants.append(raw.replace(b"--", b""))
        for variant in variants:
            try:
                got = parse(variant)
            except ValueError:
                continue
            assert_sane(got)


def test_results_are_frozen() -> None:
    got = parse(mail())
    with pytest.raises(AttributeError):
        got.detected = Detected.bounce  # type: ignore[misc]


def test_detected_values_are_the_stored_strings() -> None:
    assert [d.value for d in Detected] == ["reply", "auto_reply", "bounce"]


def test_date_header_zone_is_kept_as_an_instant() -> None:
    raw = mail().replace(b"+0000", b"+0530")
    assert parse(raw).date == datetime(2026, 12, 1, 10, 0, tzinfo=timezone(timedelta(hours=5.5)))
