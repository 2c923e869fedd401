"""Spam-complaint reports and provider notifications are never a person's reply: every one of
the real corpus classified, with the complained or failed recipient and the original's
Message-ID where the file carries them; and the rules behind them on reports shaped like
the ones real feedback loops and Amazon SES send."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest

from service.inbound.classify import Detected, parse
from service.inbound.mime import MAX_SCAN_CHARS

REAL = Path(__file__).parent / "real_mail" / "bsd"
CORPUS = Path(__file__).parent / "corpus"


def real(name: str) -> bytes:
    return (REAL / name).read_bytes()


@dataclass(frozen=True)
class Expected:
    detected: Detected
    complaint: bool
    recipients: tuple[str, ...] = ()
    message_id: str | None = None  # the first candidate: the original's own Message-ID


COMPLAINT = Detected.auto_reply
SES_ID = "01010158992bd11e-d46429af-0ec9-4aaf-8503-6f7ca5832ca2-000000"
CORPUS_FILES = {
    # ARF (RFC 5965) from ISP and ESP feedback loops
    "arf-01.eml": Expected(COMPLAINT, True, ("redacted@example.net",)),
    "arf-02.eml": Expected(
        COMPLAINT,
        True,
        ("this-local-part-does-not-exist-on-yahoo@yahoo.com",),
        "<000000000000000000000000.smtp@example.com>",
    ),
    "arf-11.eml": Expected(
        COMPLAINT, True, (), "<ffffffffffffffffffffffffff0000000000@example.net>"
    ),
    "arf-12.eml": Expected(Detected.auto_reply, False),  # opt-out: a report, no complaint
    "arf-14.eml": Expected(
        COMPLAINT,
        True,
        ("kijitora@y.example.com",),
        "<2222222222222222-00000000-eeee-eeee-ffff-222222222222-111111@email.amazonses.com>",
    ),
    "arf-15.eml": Expected(COMPLAINT, True, (), "<ffffffffffffffffffffffff00000000@example.net>"),
    "arf-16.eml": Expected(
        COMPLAINT,
        True,
        (
            "kijitora@example.com",
            "sironeko@example.com",
            "mikeneko@example.com",
            "sabatora@example.com",
            "sirokiji@example.org",
            "kuroneko@example.com",
            "sabineko@example.com",
        ),
        "<ffffffffffffffffffffffff0000000@example.jp>",
    ),
    "arf-17.eml": Expected(
        COMPLAINT,
        True,
        ("kijitora@example.com", "sabatora@example.net"),
        "<EEEEEEEE-0000-0000-0000-EEEEEEEE2222@example.net>",
    ),
    # DMARC forensic reports of mail that was delivered: reports, no complaint
    "arf-18.eml": Expected(Detected.auto_reply, False),
    "arf-19.eml": Expected(Detected.auto_reply, False),
    "arf-20.eml": Expected(Detected.auto_reply, False),
    "arf-21.eml": Expected(
        COMPLAINT,
        True,
        ("kijitora@example.org",),
        "<00000000000000000000000022222222@example.net>",
    ),
    # Hotmail JMRP: no ARF, the original attached with its recipient header
    **{
        f"arf-{n}.eml": Expected(
            COMPLAINT,
            True,
            ("kijitora@example.com",),
            "<0000000000fffffffff0000000000000@example.com>",
        )
        for n in (22, 23, 24)
    },
    "arf-25.eml": Expected(COMPLAINT, True, ("hashed@example.com",)),  # original redacted
    "arf-26.eml": Expected(Detected.auto_reply, False),  # Apple Mail's unsubscribe
    # Amazon SES through SNS email: bare JSON, and SNS's JSON envelope (-10)
    **{
        f"lhost-amazonses-{n}.eml": Expected(
            Detected.bounce, False, ("bounce@simulator.amazonses.com",)
        )
        for n in ("09", "10")
    },
    "lhost-amazonses-11.eml": Expected(
        COMPLAINT,
        True,
        ("complaint@simulator.amazonses.com",),
        f"<{SES_ID}@us-west-2.amazonses.com>",
    ),
    "lhost-amazonses-12.eml": Expected(Detected.auto_reply, False),  # Delivery
    "lhost-amazonses-13.eml": Expected(Detected.auto_reply, False),  # Delivery
}


def test_the_table_covers_every_report_of_the_corpus() -> None:
    labels = json.loads((REAL.parent / "labels.json").read_text())["messages"]
    reports = {
        Path(e["path"]).name
        for e in labels
        if e.get("kind") in ("feedback", "provider_notification")
    }
    assert reports == set(CORPUS_FILES)


@pytest.mark.parametrize("name", sorted(CORPUS_FILES))
def test_a_report_in_the_real_corpus_is_read_for_what_it_says(name: str) -> None:
    expected = CORPUS_FILES[name]
    mail = parse(real(name))
    assert (mail.detected, mail.complaint) == (expected.detected, expected.complaint), mail
    assert mail.return_date is None
    if expected.complaint or expected.detected is Detected.bounce:
        assert set(mail.bounced_recipients) == set(expected.recipients), mail
    if expected.message_id:
        assert mail.bounced_message_ids[0] == expected.message_id, mail


def test_an_ses_id_is_only_a_later_candidate_in_the_forms_ses_writes() -> None:
    mail = parse(real("lhost-amazonses-11.eml"))
    assert mail.bounced_message_ids == (
        f"<{SES_ID}@us-west-2.amazonses.com>",
        f"<{SES_ID}@email.amazonses.com>",
    )
    us_east = real("lhost-amazonses-11.eml").replace(b"ses:us-west-2:", b"ses:us-east-1:")
    assert parse(us_east).bounced_message_ids == (f"<{SES_ID}@email.amazonses.com>",)


# --- ARF: what Feedback-Type and Delivery-Result mean ---------------------------------------


def arf(feedback: str, *, extra: str = "", rcpt: str = "mary@engines.example") -> bytes:
    """The Yahoo report of the corpus with another feedback report part."""
    raw = real("arf-02.eml").decode()
    fields = (
        f"Feedback-Type: {feedback}\nUser-Agent: Test-FBL/1.0\nVersion: 1\n"
        f"Original-Rcpt-To: {rcpt}\n{extra}"
    )
    raw = re.sub(
        r"(Content-Type: message/feedback-report\n\n).*?(\n\n--)",
        lambda m: m.group(1) + fields + m.group(2),
        raw,
        count=1,
        flags=re.S,
    )
    return raw.encode()


@pytest.mark.parametrize("feedback", ["abuse", "fraud", "virus", "other", "Abuse", "unknown-kind"])
def test_a_complaint_of_any_kind_is_a_complaint(feedback: str) -> None:
    mail = parse(arf(feedback))
    assert mail.detected is Detected.auto_reply and mail.complaint
    assert mail.bounced_recipients == ("mary@engines.example",)
    assert mail.bounced_message_ids == ("<000000000000000000000000.smtp@example.com>",)


@pytest.mark.parametrize("feedback", ["not-spam", "opt-out", "unsubscribe"])
def test_a_report_that_is_no_complaint_is_still_no_reply(feedback: str) -> None:
    mail = parse(arf(feedback))
    assert mail.detected is Detected.auto_reply and not mail.complaint
    assert mail.return_date is None


@pytest.mark.parametrize(
    ("result", "detected", "complaint"),
    [
        ("spam", Detected.auto_reply, True),
        ("reject", Detected.bounce, False),
        ("delivered", Detected.auto_reply, False),
        ("policy", Detected.auto_reply, False),
    ],
)
def test_an_authentication_failure_report_follows_its_delivery_result(
    result: str, detected: Detected, complaint: bool
) -> None:
    mail = parse(arf("auth-failure", extra=f"Delivery-Result: {result}\n"))
    assert (mail.detected, mail.complaint) == (detected, complaint)
    if detected is Detected.bounce:
        assert mail.bounced_recipients == ("mary@engines.example",)


def test_a_report_that_names_no_recipient_gives_the_originals_to() -> None:
    mail = parse(arf("abuse", rcpt=""))
    assert mail.complaint
    assert mail.bounced_recipients == ("this-local-part-does-not-exist-on-yahoo@yahoo.com",)


def test_a_report_type_alone_makes_a_report_when_its_parts_are_unreadable() -> None:
    raw = (
        b"From: feedback@isp.example\r\nTo: declines@mailer.example\r\nSubject: Report\r\n"
        b'Content-Type: multipart/report; report-type="feedback-report"; boundary="lost"\r\n'
        b"\r\nnothing here but noise\r\n"
    )
    mail = parse(raw)
    assert mail.detected is Detected.auto_reply and mail.complaint


def test_base64_encoded_report_parts_are_read() -> None:
    msg = EmailMessage()
    msg["From"] = "fbl@isp.example"
    msg["To"] = "declines@mailer.example"
    msg["Subject"] = "Report"
    msg.set_content("This is an email abuse report.")
    msg.add_attachment(
        b"Feedback-Type: abuse\r\nVersion: 1\r\nOriginal-Rcpt-To: mary@engines.example\r\n",
        maintype="message",
        subtype="feedback-report",
        cte="base64",
        disposition="inline",
    )
    msg.add_attachment(
        b"Message-ID: <ours@mailer.example>\r\nTo: mary@engines.example\r\n\r\nDear Mary\r\n",
        maintype="message",
        subtype="rfc822",
        cte="base64",
        disposition="inline",
    )
    msg.replace_header("Content-Type", msg["Content-Type"].replace("mixed", "report"))
    mail = parse(msg.as_bytes())
    assert mail.complaint
    assert mail.bounced_recipients == ("mary@engines.example",)
    assert mail.bounced_message_ids == ("<ours@mailer.example>",)


# --- feedback loops that do not speak ARF --------------------------------------------------


def forwarded_original(*, sender: str, subject: str, extra: str = "") -> bytes:
    """A report that attaches the original and says the rest in its own words."""
    original = (
        f"{extra}Message-ID: <ours@mailer.example>\r\nFrom: Ada <ada@home.example>\r\n"
        "To: mary@engines.example\r\nSubject: Principal Engineer\r\n\r\nDear Mary,\r\n"
    )
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "declines@mailer.example"
    msg["Subject"] = subject
    msg["Message-ID"] = "<report-1@isp.example>"
    msg.set_content("The attached message was received by one of our members.")
    msg.add_attachment(
        original.encode(), maintype="message", subtype="rfc822", disposition="inline"
    )
    return msg.as_bytes()


@pytest.mark.parametrize(
    ("sender", "subject"),
    [
        ("scomp@aol.net", "Client TOS Notification"),  # AOL before ARF
        ("feedbackloop@comcastfbl.senderscore.net", "Report"),
        ("Postmaster <abuse@mail.example>", "FW: Principal Engineer"),
        ("noreply@isp.example", "Spam complaint about message from 192.0.2.1"),
        ("staff@isp.example", "Email Feedback Report for IP 192.0.2.1"),
    ],
)
def test_a_feedback_loop_in_its_own_format_is_a_complaint(sender: str, subject: str) -> None:
    mail = parse(forwarded_original(sender=sender, subject=subject))
    assert mail.detected is Detected.auto_reply and mail.complaint
    assert mail.bounced_recipients == ("mary@engines.example",)
    assert mail.bounced_message_ids == ("<ours@mailer.example>",)


def test_jmrps_recipient_header_makes_a_complaint_whoever_sends_it() -> None:
    raw = forwarded_original(
        sender="someone@outlook.example",
        subject="Nyaan",
        extra="X-HmXmrOriginalRecipient: <Mary@Engines.example>\r\n",
    )
    mail = parse(raw)
    assert mail.complaint and mail.bounced_recipients == ("mary@engines.example",)


def test_a_person_forwarding_our_email_as_an_attachment_is_still_a_person() -> None:
    raw = forwarded_original(sender="Mary <mary@engines.example>", subject="FW: Principal Engineer")
    mail = parse(raw)
    assert mail.detected is Detected.reply and not mail.complaint


@pytest.mark.parametrize("name", ["human_gmail.eml", "human_outlook.eml", "bounce_postfix.eml"])
def test_mail_that_is_no_report_is_not_taken_for_one(name: str) -> None:
    assert not parse((CORPUS / name).read_bytes()).complaint


# --- Amazon SES notifications --------------------------------------------------------------


def ses(event: dict, *, envelope: bool = False) -> bytes:
    """The SES notification of the corpus carrying another event."""
    head = real("lhost-amazonses-09.eml").partition(b"\n\n")[0]
    body = json.dumps(event)
    if envelope:
        topic = "arn:aws:sns:eu-west-1:123456789012:ses-events"
        body = json.dumps({"Type": "Notification", "TopicArn": topic, "Message": body}, indent=2)
    return head + b"\n\n" + body.encode() + b"\n\n--\nIf you wish to stop receiving ...\n"


MAIL = {
    "messageId": "0100018f-ses-own-id-000000",
    "sourceArn": "arn:aws:ses:eu-west-1:123456789012:identity/mailer.example",
    "destination": ["mary@engines.example"],
    "headers": [{"name": "Message-ID", "value": "<ours@mailer.example>"}],
    "commonHeaders": {"to": ["mary@engines.example"], "subject": "Principal Engineer"},
}


def bounce_event(bounce_type: str, key: str = "notificationType") -> dict:
    return {
        key: "Bounce",
        "bounce": {
            "bounceType": bounce_type,
            "bounceSubType": "General",
            "bouncedRecipients": [
                {"emailAddress": "Mary@Engines.example", "diagnosticCode": "smtp; 550 5.1.1"}
            ],
        },
        "mail": MAIL,
    }


@pytest.mark.parametrize("envelope", [False, True])
@pytest.mark.parametrize("key", ["notificationType", "eventType"])
def test_a_permanent_ses_bounce_is_a_bounce_for_its_recipient(envelope: bool, key: str) -> None:
    mail = parse(ses(bounce_event("Permanent", key), envelope=envelope))
    assert mail.detected is Detected.bounce and "550 5.1.1" in mail.reason
    assert mail.bounced_recipients == ("mary@engines.example",)
    assert mail.bounced_message_ids == (
        "<ours@mailer.example>",
        "<0100018f-ses-own-id-000000@eu-west-1.amazonses.com>",
        "<0100018f-ses-own-id-000000@email.amazonses.com>",
    )


def test_a_transient_ses_bounce_is_a_delay_not_a_bounce() -> None:
    mail = parse(ses(bounce_event("Transient")))
    assert mail.detected is Detected.auto_reply and not mail.complaint
    assert "delivery delayed" in mail.reason


def test_an_ses_complaint_names_our_message_from_its_common_headers() -> None:
    event = {
        "notificationType": "Complaint",
        "complaint": {
            "complainedRecipients": [{"emailAddress": "mary@engines.example"}],
            "complaintFeedbackType": "abuse",
        },
        "mail": {**MAIL, "headers": [], "commonHeaders": {"messageId": "<ours@mailer.example>"}},
    }
    mail = parse(ses(event))
    assert mail.detected is Detected.auto_reply and mail.complaint
    assert mail.bounced_recipients == ("mary@engines.example",)
    assert mail.bounced_message_ids[0] == "<ours@mailer.example>"


def test_an_ses_not_spam_report_is_no_complaint() -> None:
    event = {
        "notificationType": "Complaint",
        "complaint": {"complainedRecipients": [], "complaintFeedbackType": "not-spam"},
        "mail": MAIL,
    }
    mail = parse(ses(event))
    assert mail.detected is Detected.auto_reply and not mail.complaint


@pytest.mark.parametrize("kind", ["Reject", "Rendering Failure"])
def test_a_message_ses_never_sent_is_a_bounce_for_its_destination(kind: str) -> None:
    mail = parse(ses({"eventType": kind, "mail": MAIL}))
    assert mail.detected is Detected.bounce
    assert mail.bounced_recipients == ("mary@engines.example",)


@pytest.mark.parametrize("kind", ["Send", "Open", "Click", "DeliveryDelay"])
def test_other_ses_events_are_never_replies(kind: str) -> None:
    mail = parse(ses({"eventType": kind, "mail": MAIL}))
    assert mail.detected is Detected.auto_reply and not mail.complaint


@pytest.mark.parametrize("cut", [120, 400, 600])
def test_a_cut_off_ses_notification_still_reads_without_raising(cut: int) -> None:
    raw = real("lhost-amazonses-09.eml")
    head, _, body = raw.partition(b"\n\n")
    mail = parse(head + b"\n\n" + body[:cut])
    assert mail.detected is Detected.bounce
    if cut >= 400:
        assert mail.bounced_recipients == ("bounce@simulator.amazonses.com",)


@pytest.mark.parametrize(
    "body",
    [
        b"{" * 50_000,
        b'{"notificationType": "Bounce", "mail": ' + b"[" * 100_000,
        b'{"Type": "Notification", "Message": "{not json"}',
        b'{"notificationType": 7, "mail": "x"}',
        b'{"notificationType": "Bounce", "bounce": [], "mail": {"headers": "x"}}',
        b'{"notificationType": "Bounce", "x": "' + b"a" * (MAX_SCAN_CHARS * 2) + b'"}',
    ],
    ids=["braces", "deep", "sns-broken-message", "wrong-types", "wrong-shapes", "huge"],
)
def test_broken_or_huge_json_never_raises_nor_makes_a_reply(body: bytes) -> None:
    head = real("lhost-amazonses-09.eml").partition(b"\n\n")[0]
    mail = parse(head + b"\n\n" + body)
    assert mail.detected is not Detected.reply


def test_a_person_pasting_json_is_still_a_person() -> None:
    msg = EmailMessage()
    msg["From"] = "Mary <mary@engines.example>"
    msg["To"] = "ada@home.example"
    msg["Subject"] = "Re: Principal Engineer"
    msg.set_content('Thanks! The payload you asked about:\n{"Type": "Notification", "id": 4}\n')
    assert parse(msg.as_bytes()).detected is Detected.reply
