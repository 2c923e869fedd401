"""Today is a summary: the few calls that need me now as compact rows (scripts one click
away), the emails that did not arrive and still matter, and what happened. Real SMTP."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.dashboard.test_calls_outbox_system import dashboard_with
from tests.factories import auth, decline_body, run_due_at
from tests.waiting import wait_settled

REFUSED = "550 5.1.1 <mary@engines.example>: Recipient address rejected: User unknown"


def _section(page: str, heading: str) -> str:
    start = page.index(f"<h2>{heading}</h2>")
    end = page.find("<h2>", start + 1)
    return page[start : end if end != -1 else len(page)]


def test_today_sums_up_calls_problems_and_activity(
    database_url: str, tmp_path: Path, smtp_server_factory: Any
) -> None:
    server = smtp_server_factory(rcpt_replies={"mary@engines.example": REFUSED})
    with dashboard_with(database_url, tmp_path, **server.settings()) as dash:
        made = []
        for n in range(4):
            body = decline_body(company=f"Engines {n}", requisition_id=f"REQ-{n}")
            answer = dash.client.post("/v1/declines", json=body, headers=auth(dash.token))
            made.append(wait_settled(dash.client, dash.token, answer.json()["id"]))
        # A week on, nobody replied: every call is due (Mary's at once, her email failed).
        run_due_at(dash.client, now=datetime.now(UTC) + timedelta(days=7))

        page = dash.client.get("/dashboard/").text
        needs = _section(page, "Needs you now")
        assert needs.count('class="call-row"') == 5  # the soonest five, not a wall of cards
        assert '<a href="/dashboard/calls">All 8 calls due</a>' in needs
        assert needs.count("<summary>Call script</summary>") == 5  # one click away, closed
        assert "<details open>" not in needs.replace('class="edit-contact" open', "")

        wrong = _section(page, "What went wrong")
        assert wrong.count('class="chip failed"') == 4
        assert "Not delivered: the address mary@engines.example does not exist" in wrong
        assert html.escape(REFUSED) in wrong  # the raw reply, one click away

        happened = _section(page, "What happened")
        assert "Email sent to Charles Babbage (Engines 3)" in happened

        # Mary's address corrected on one decline: that failure no longer needs anyone.
        mary = next(c for c in made[0]["contacts"] if c["name"] == "Mary Somerville")
        fixed = dash.client.post(
            f"/v1/contacts/{mary['id']}/resend",
            json={"email": "mary.somerville@engines.example"},
            headers=auth(dash.token),
        )
        assert fixed.status_code == 200, fixed.text
        wrong = _section(dash.client.get("/dashboard/").text, "What went wrong")
        assert wrong.count('class="chip failed"') == 3
        assert "(Engines 0)" not in wrong
