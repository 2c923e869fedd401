"""A spam complaint about our email, posted to /v1/inbound as real feedback loops and Amazon SES
write it: the email arrived, so it stays sent and the contact has not replied; the call falls
due at once, and the reminder says why in plain words."""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.core.config import Settings
from tests.factories import auth, run_due_at
from tests.inbound.mail import human_reply
from tests.inbound.posting import post_inbound, sent_decline

REAL = Path(__file__).parents[1] / "inbound" / "real_mail" / "bsd"
FAR = datetime(2030, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class RealReport:
    """A report of the corpus and what in it names the message it complains about."""

    name: str
    recipient: str
    message_id: str | None  # None: the report keeps no id, only the recipient
    redate: bool = False  # written now, so the recipient alone can match our recent email

    def about(self, *, recipient: str, message_id: str) -> bytes:
        """The same bytes, about our email to `recipient` instead of theirs."""
        raw = (REAL / self.name).read_bytes().replace(self.recipient.encode(), recipient.encode())
        if self.message_id is not None:
            raw = raw.replace(self.message_id.encode(), message_id.encode())
        elif self.name.startswith("lhost-amazonses"):  # SES repeats our header in commonHeaders
            common = f'"commonHeaders":{{"messageId":"{message_id}",'
            raw = raw.replace(b'"commonHeaders":{', common.encode(), 1)
        if self.redate:
            now = f"Date: {format_datetime(datetime.now(UTC))}".encode()
            raw = re.sub(rb"(?m)^Date: [^\r\n]*", lambda _: now, raw, count=1)
        return raw


REPORTS = [
    RealReport(  # Yahoo's ARF
        "arf-02.eml",
        "this-local-part-does-not-exist-on-yahoo@yahoo.com",
        "<000000000000000000000000.smtp@example.com>",
    ),
    RealReport(  # Hotmail JMRP: no ARF at all
        "arf-22.eml", "kijitora@example.com", "<0000000000fffffffff0000000000000@example.com>"
    ),
    RealReport("lhost-amazonses-11.eml", "complaint@simulator.amazonses.com", None),
    RealReport(  # Rackspace's ARF with the original redacted: the recipient is all there is
        "arf-25.eml", "hashed@example.com", None, redate=True
    ),
]


def _contacts(client: TestClient, token: str, decline_id: str) -> list[dict]:
    return client.get(f"/v1/declines/{decline_id}", headers=auth(token)).json()["contacts"]


def _reminders(settings: Settings) -> list[EmailMessage]:
    found = [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in settings.mail_capture_dir.glob("*.eml")
    ]
    return [m for m in found if "ada@home.example" in str(m["To"])]


def _complaint(report: RealReport, contact: dict) -> bytes:
    return report.about(recipient=contact["email"], message_id=contact["message"]["message_id"])


@pytest.mark.parametrize("report", REPORTS, ids=[r.name for r in REPORTS])
def test_a_complaint_makes_the_call_due_at_once_and_the_reminder_says_why(
    client: TestClient, token: str, settings: Settings, report: RealReport
) -> None:
    decline, _ = sent_decline(client, token)
    charles, mary = decline["contacts"]
    result = post_inbound(client, token, _complaint(report, mary))
    assert result["classification"] == "auto_reply" and result["contact_id"] == mary["id"]
    assert result["message_id"] == mary["message"]["id"]
    assert "spam complaint" in result["reason"]

    after = _contacts(client, token, decline["id"])
    assert after[1]["replied_at"] is None  # a complaint is nobody's answer
    assert after[1]["message"]["status"] == "sent"  # it arrived
    assert after[1]["follow_up"]["status"] == "due"
    assert after[0]["follow_up"]["status"] == "scheduled"  # Charles's call is untouched
    due = client.get("/v1/follow-ups?status=due", headers=auth(token)).json()["items"]
    assert [(i["contact_id"], i["complained_at"] is not None) for i in due] == [(mary["id"], True)]
    assert "it may have landed in your spam folder" in due[0]["call_script"]

    run_due_at(client)  # the reminder was queued with the complaint; this only sends it
    (reminder,) = _reminders(settings)
    assert str(reminder["Subject"]).strip() == (
        "Call Mary Somerville (Analytical Engines Ltd): your email was marked as spam"
    )
    for kind in ("plain", "html"):
        body = " ".join(reminder.get_body(preferencelist=(kind,)).get_content().split())
        assert "arrived, but their mail system reported it as spam" in body
        assert "so they may not have read it" in body
        assert "A phone call is now the way to reach them" in body
        assert "it may have landed in your spam folder" in body  # the call script


def test_a_repeated_complaint_changes_nothing_more(
    client: TestClient, token: str, settings: Settings
) -> None:
    decline, _ = sent_decline(client, token)
    mary = decline["contacts"][1]
    complaint = _complaint(REPORTS[0], mary)
    post_inbound(client, token, complaint)
    first = _contacts(client, token, decline["id"])[1]["follow_up"]
    assert post_inbound(client, token, complaint)["contact_id"] == mary["id"]
    assert _contacts(client, token, decline["id"])[1]["follow_up"] == first
    assert run_due_at(client, FAR)["follow_ups"]["reminders_queued"] == 1  # Charles's only


def test_a_complaint_after_the_contact_replied_reopens_nothing(
    client: TestClient, token: str
) -> None:
    decline, raws = sent_decline(client, token)
    mary = decline["contacts"][1]
    post_inbound(client, token, human_reply(raws[1], sender="Mary <mary@engines.example>"))
    result = post_inbound(client, token, _complaint(REPORTS[1], mary))
    assert result["contact_id"] == mary["id"]
    after = _contacts(client, token, decline["id"])[1]
    assert after["replied_at"] is not None and after["follow_up"]["status"] == "canceled"
    assert after["message"]["status"] == "sent"


def test_a_reply_after_a_complaint_still_closes_the_call(client: TestClient, token: str) -> None:
    decline, raws = sent_decline(client, token)
    mary = decline["contacts"][1]
    post_inbound(client, token, _complaint(REPORTS[2], mary))
    post_inbound(client, token, human_reply(raws[1], sender="Mary <mary@engines.example>"))
    after = _contacts(client, token, decline["id"])[1]
    assert after["replied_at"] is not None and after["follow_up"]["status"] == "canceled"
