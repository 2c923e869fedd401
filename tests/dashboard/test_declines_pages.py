"""The Declines list, a decline's page, the kept copies and their downloads, over HTTP."""

from __future__ import annotations

import html
import io
import mailbox
import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from service.core.db import session_scope
from service.dashboard.security import CSP_MESSAGE_VIEW
from service.declines import service as declines
from tests.dashboard.conftest import Dashboard
from tests.factories import (
    accept_quietly,
    auth,
    decline_body,
    make_settings,
    run_due_at,
    running_app,
)
from tests.inbound.mail import human_reply, out_of_office
from tests.waiting import wait_settled

FAR = datetime(2030, 1, 1, tzinfo=UTC)
RFC822 = {"Content-Type": "message/rfc822"}
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'


# --- helpers ------------------------------------------------------------------------------


def create(dash: Dashboard, **overrides: Any) -> dict[str, Any]:
    """One decline over the API, sent (capture mode)."""
    response = dash.client.post(
        "/v1/declines", json=decline_body(**overrides), headers=auth(dash.token)
    )
    assert response.status_code == 201, response.text
    return wait_settled(dash.client, dash.token, response.json()["id"])


def seed(dash: Dashboard, count: int, *, start: datetime, **overrides: Any) -> list[str]:
    """Many declines at once through the service (stored, queued, one minute apart)."""
    return accept_quietly(
        dash.client, dash.token, dash.settings, now=start, count=count, **overrides
    )


def raw_of(dash: Dashboard, message_id: str) -> bytes:
    response = dash.client.get(f"/v1/messages/{message_id}/raw", headers=auth(dash.token))
    assert response.status_code == 200
    return response.content


def post_inbound(dash: Dashboard, raw: bytes) -> dict[str, Any]:
    response = dash.client.post("/v1/inbound", content=raw, headers=auth(dash.token) | RFC822)
    assert response.status_code == 200, response.text
    return response.json()


def detail_links(text: str) -> list[str]:
    return re.findall(r'href="/dashboard/declines/([0-9a-f-]{36})"', text)


def section(text: str, contact_id: str) -> str:
    match = re.search(rf'<section [^>]*id="contact-{contact_id}".*?</section>', text, re.S)
    assert match is not None, f"no section for {contact_id}"
    return match.group(0)


# --- the list -----------------------------------------------------------------------------


def test_the_list_shows_each_decline_with_status_and_a_chip_per_contact(
    dashboard: Dashboard,
) -> None:
    decline = create(dashboard)
    charles = decline["contacts"][0]
    post_inbound(
        dashboard,
        human_reply(raw_of(dashboard, charles["message"]["id"]), sender="charles@engines.example"),
    )
    page = dashboard.client.get("/dashboard/declines")
    assert page.status_code == 200
    assert 'aria-current="page">Declines' in page.text
    assert detail_links(page.text) == [decline["id"]]
    assert "Analytical Engines Ltd" in page.text and "Principal Engineer" in page.text
    assert '<span class="chip sent">sent</span>' in page.text  # the decline's status
    row = page.text[page.text.index("Charles Babbage") :]
    assert re.match(r"Charles Babbage\s*<span class=\"chip sent\"", row)
    assert '<span class="chip reply">replied</span>' in row.split("</li>")[0]
    mary = page.text[page.text.index("Mary Somerville") :].split("</li>")[0]
    assert "call scheduled" in mary
    assert '<th scope="col">Company</th>' in page.text


def test_filters_by_company_contact_status_and_dates(dashboard: Dashboard) -> None:
    day = datetime(2026, 3, 10, 12, tzinfo=UTC)
    (engines,) = seed(dashboard, 1, start=day)
    other_contacts = [{"name": "Grace Hopper", "email": "grace@navy.example", "role": "recruiter"}]
    (navy,) = seed(
        dashboard, 1, start=day + timedelta(days=5), company="US Navy", contacts=other_contacts
    )
    canceled = seed(dashboard, 1, start=day + timedelta(days=9), company="Difference Co")[0]
    with session_scope(dashboard.client.app.state.engine) as db:  # type: ignore[attr-defined]
        declines.cancel(session=db, decline_id=canceled, api_key=None, now=day)

    def found(**params: str) -> list[str]:
        response = dashboard.client.get("/dashboard/declines", params=params)
        assert response.status_code == 200, response.text
        return detail_links(response.text)

    assert found() == [canceled, navy, engines]  # newest first
    assert found(q="NAVY") == [navy]
    assert found(q="engines") == [engines]
    assert found(q="100%_") == []  # LIKE wildcards are literal
    assert found(contact="GRACE@navy") == [navy]
    assert found(contact="somerville") == [canceled, engines]  # by name, any case
    assert found(status="canceled") == [canceled]
    assert found(status="queued") == [navy, engines]
    assert found(since="2026-03-15") == [canceled, navy]
    assert found(until="2026-03-15") == [navy, engines]
    assert found(since="2026-03-11", until="2026-03-18") == [navy]
    # A plain GET form sends every field, empty or not; a nonsense status is ignored.
    assert found(q="", contact="", status="nonsense", since="", until="") == [
        canceled,
        navy,
        engines,
    ]
    bad = dashboard.client.get("/dashboard/declines", params={"since": "last tuesday"})
    assert bad.status_code == 200 and "use a date like" in bad.text
    assert detail_links(bad.text) == [canceled, navy, engines]
    page = dashboard.client.get("/dashboard/declines", params={"q": "navy", "status": "queued"})
    assert 'value="navy"' in page.text and '<option value="queued" selected>' in page.text
    empty = dashboard.client.get("/dashboard/declines", params={"q": "nobody"})
    assert "No declines match these filters." in empty.text


def test_the_list_pages_newest_first_with_a_cursor_that_keeps_the_filters(
    dashboard: Dashboard,
) -> None:
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    ids = seed(dashboard, 60, start=start)
    seed(dashboard, 2, start=start, company="Elsewhere Inc")
    first = dashboard.client.get("/dashboard/declines", params={"q": "analytical"})
    assert detail_links(first.text) == list(reversed(ids))[:50]
    older = re.search(r'<a href="([^"]+)" rel="next"', first.text)
    assert older is not None
    url = html.unescape(older.group(1))
    assert "q=analytical" in url and "cursor=" in url
    second = dashboard.client.get(url)
    assert detail_links(second.text) == list(reversed(ids))[50:]
    assert 'rel="next"' not in second.text
    assert ">Newest</a>" in second.text
    assert dashboard.client.get("/dashboard/declines?cursor=garbage").status_code == 422


def test_an_htmx_filter_gets_only_the_results(dashboard: Dashboard) -> None:
    create(dashboard)
    headers = {"HX-Request": "true", "HX-Target": "declines-results"}
    response = dashboard.client.get("/dashboard/declines?q=analytical", headers=headers)
    assert response.status_code == 200
    assert "<html" not in response.text and "<form" not in response.text
    assert 'id="declines-results"' in response.text and "<table>" in response.text
    assert "HX-Target" in response.headers["vary"]
    full = dashboard.client.get("/dashboard/declines?q=analytical")
    assert "<html" in full.text and 'hx-push-url="true"' in full.text


def test_names_and_values_are_escaped_on_the_list_and_the_detail(dashboard: Dashboard) -> None:
    contacts = decline_body()["contacts"]
    contacts[0]["name"] = f"Eve {IMG}"
    decline = create(dashboard, company=SCRIPT, job_title=f"Engineer {SCRIPT}", contacts=contacts)
    for url in ("/dashboard/declines", f"/dashboard/declines/{decline['id']}"):
        text = dashboard.client.get(url).text
        assert SCRIPT not in text and "<img src=x" not in text, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text, url
        assert "&lt;img src=x onerror=alert(1)&gt;" in text, url
    message = dashboard.client.get(f"/dashboard/messages/{decline['contacts'][0]['message']['id']}")
    assert SCRIPT not in message.text and "<img src=x" not in message.text


# --- one decline --------------------------------------------------------------------------


def test_the_detail_shows_facts_timeline_and_actions_per_contact(dashboard: Dashboard) -> None:
    decline = create(dashboard, invitation_received_at="2020-01-01T09:00:00Z")
    charles, mary = decline["contacts"]
    reply = post_inbound(
        dashboard,
        human_reply(raw_of(dashboard, charles["message"]["id"]), sender="charles@engines.example"),
    )
    run_due_at(dashboard.client, FAR)  # Mary's call falls due: a reminder goes out
    logged = dashboard.client.post(
        f"/v1/contacts/{mary['id']}/calls",
        json={"outcome": "no_answer", "notes": "rang out"},
        headers=auth(dashboard.token),
    )
    assert logged.status_code == 200

    page = dashboard.client.get(f"/dashboard/declines/{decline['id']}")
    assert page.status_code == 200
    text = page.text
    assert "<h1>Analytical Engines Ltd" in text and "REQ-1843" in text
    assert "Ada Lovelace" in text and f'href="tel:{decline["candidate"]["phone"]}"' in text
    assert decline["warnings"] and html.escape(decline["warnings"][0]) in text
    # Its emails have left: canceling can only stop the follow-ups, and asks first.
    assert f'href="/dashboard/declines/{decline["id"]}/stop">Stop follow-ups…</a>' in text
    assert f'href="/dashboard/declines/{decline["id"]}.mbox"' in text

    first = section(text, charles["id"])
    assert '<span class="chip sent">sent</span>' in first
    assert f'href="tel:{charles["phone"]}"' in first and "charles@engines.example" in first
    assert '<span class="chip reply">reply</span>' in first
    assert f'href="/dashboard/inbound/{reply["id"]}"' in first
    assert f'href="/dashboard/messages/{charles["message"]["id"]}"' in first
    assert f'href="/dashboard/messages/{charles["message"]["id"]}.eml"' in first
    assert "Email sent to charles@engines.example (1 attempt)" in first
    assert "Delivery: written to " in first  # capture mode: where the copy went
    assert "Mark replied" not in first and "No answer" not in first  # replied: nothing to do
    assert '<span class="chip canceled">canceled</span>' in first  # the call

    second = section(text, mary["id"])
    assert "Call reminder 1 to the candidate" in second
    assert '<span class="chip no_answer">no answer</span> Call attempt 1' in second
    assert "rang out" in second
    for button in (">Reached</button>", ">No answer</button>", ">Left voicemail</button>"):
        assert button in second
    assert ">Mark replied</button>" in second
    assert f'action="/dashboard/contacts/{mary["id"]}/calls"' in second
    assert f'action="/dashboard/contacts/{mary["id"]}/reply"' in second
    assert 'label for="call-notes-' in second and 'label for="reply-notes-' in second
    assert ">Retry</button>" not in second  # sent: nothing to retry
    # Headings in order: h1, h2, h3 per contact, h4 inside.
    levels = [int(h) for h in re.findall(r"<h([1-6])[ >]", text)]
    assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False))


def test_an_auto_reply_and_a_done_flash_show_on_the_detail(dashboard: Dashboard) -> None:
    decline = create(dashboard)
    charles = decline["contacts"][0]
    raw = out_of_office(
        raw_of(dashboard, charles["message"]["id"]),
        sender="charles@engines.example",
        text="I am out of the office until next month.",
    )
    post_inbound(dashboard, raw)
    url = f"/dashboard/declines/{decline['id']}"
    first = section(dashboard.client.get(url).text, charles["id"])
    assert '<span class="chip auto_reply">auto reply</span> Automatic reply from' in first
    flash = dashboard.client.get(url + "?done=call").text
    assert '<p class="flash" role="status">Call logged.</p>' in flash
    forged = dashboard.client.get(url + "?done=%3Cscript%3E").text
    assert 'class="flash"' not in forged


def test_unknown_ids_are_a_readable_404(dashboard: Dashboard) -> None:
    for url in (
        "/dashboard/declines/nope",
        "/dashboard/declines/nope.mbox",
        "/dashboard/messages/nope",
        "/dashboard/messages/nope.eml",
        "/dashboard/inbound/nope",
        "/dashboard/inbound/nope.eml",
        "/dashboard/contacts/nope/letter.pdf",
    ):
        response = dashboard.client.get(url)
        assert response.status_code == 404, url
        assert "<h1>Not found</h1>" in response.text, url


def test_every_page_needs_a_session(database_url: str, tmp_path: Path) -> None:
    from tests.dashboard.conftest import set_password

    set_password(database_url)
    with running_app(make_settings(database_url, tmp_path)) as client:
        for url in (
            "/dashboard/declines",
            "/dashboard/declines/x",
            "/dashboard/declines/x.mbox",
            "/dashboard/messages/x",
            "/dashboard/messages/x.eml",
            "/dashboard/inbound/x",
            "/dashboard/inbound/x.eml",
            "/dashboard/contacts/x/letter.pdf",
        ):
            response = client.get(url, follow_redirects=False)
            assert response.status_code == 303, url
            assert response.headers["location"].startswith("/dashboard/login?next=")
        action = client.post("/dashboard/declines/x/cancel", follow_redirects=False)
        assert action.status_code == 303  # actions need the session before the token


# --- kept copies --------------------------------------------------------------------------


def test_the_message_view_shows_headers_a_sandboxed_html_part_text_and_source(
    dashboard: Dashboard,
) -> None:
    decline = create(dashboard)
    message_id = decline["contacts"][0]["message"]["id"]
    response = dashboard.client.get(f"/dashboard/messages/{message_id}")
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == CSP_MESSAGE_VIEW
    text = response.text
    for header in ("From", "To", "Subject", "Date", "Message-ID"):
        assert f"<dt>{header}</dt>" in text
    assert "Interview invitation: Principal Engineer (REQ-1843)" in text
    assert html.escape(decline["contacts"][0]["message"]["message_id"]) in text
    iframe = re.search(r"<iframe [^>]*>", text)
    assert iframe is not None
    tag = iframe.group(0)
    assert 'sandbox=""' in tag and "allow-" not in tag and 'srcdoc="&lt;' in tag and "title=" in tag
    assert '<pre class="source">' in text and "Content-Type: multipart/alternative" in text
    assert '<pre class="script">' in text  # the text part
    assert ">Download .eml</a>" in text
    # Other dashboard pages keep the strict policy.
    strict = dashboard.client.get(f"/dashboard/declines/{decline['id']}")
    assert "unsafe-inline" not in strict.headers["content-security-policy"]


def test_an_inbound_html_body_with_script_is_only_shown_escaped_in_the_sandbox(
    dashboard: Dashboard,
) -> None:
    decline = create(dashboard)
    original = raw_of(dashboard, decline["contacts"][0]["message"]["id"])
    msg = EmailMessage()
    msg["From"] = "Charles <charles@engines.example>"
    msg["To"] = "ada@home.example"
    msg["Subject"] = "RE: thanks"
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain="corp.example")
    in_reply_to = re.search(rb"Message-ID: (<[^>]+>)", original, re.I)
    assert in_reply_to is not None
    msg["In-Reply-To"] = in_reply_to.group(1).decode()
    msg.set_content("Thanks, received. <script>alert(1)</script>")
    msg.add_alternative(f"<p>Thanks, received.</p>{SCRIPT}<img src=x onerror=alert(1)>", "html")
    result = post_inbound(dashboard, msg.as_bytes())
    assert result["classification"] == "reply"

    response = dashboard.client.get(f"/dashboard/inbound/{result['id']}")
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == CSP_MESSAGE_VIEW
    text = response.text
    assert "<script>" not in text.replace('<script src="/dashboard/static/htmx.min.js"', "")
    assert "<img src=x" not in text
    iframe = re.search(r'<iframe [^>]*sandbox=""[^>]*srcdoc="([^"]*)"', text)
    assert iframe is not None
    assert html.unescape(iframe.group(1)).endswith(f"{SCRIPT}<img src=x onerror=alert(1)>\n")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text  # the text part and the source
    download = dashboard.client.get(f"/dashboard/inbound/{result['id']}.eml")
    assert download.headers["content-type"] == "message/rfc822"
    assert "attachment;" in download.headers["content-disposition"]
    assert download.content == msg.as_bytes()  # kept exactly as it came in
    assert (
        "Reply from charles@engines.example"
        in dashboard.client.get(f"/dashboard/declines/{decline['id']}").text
    )


def test_a_reply_marked_by_hand_has_no_copy_to_show(dashboard: Dashboard) -> None:
    decline = create(dashboard)
    contact = decline["contacts"][1]
    dashboard.post(f"/dashboard/contacts/{contact['id']}/reply", notes="Rang me back")
    page = dashboard.client.get(f"/dashboard/declines/{decline['id']}").text
    link = re.search(r'href="(/dashboard/inbound/[0-9a-f-]{36})"', section(page, contact["id"]))
    assert link is not None
    view = dashboard.client.get(link.group(1))
    assert view.status_code == 200
    assert "Recorded by hand" in view.text and "Rang me back" in view.text
    assert "<iframe" not in view.text
    assert dashboard.client.get(link.group(1) + ".eml").status_code == 404


def test_the_eml_download_is_the_kept_copy_byte_for_byte(dashboard: Dashboard) -> None:
    decline = create(dashboard)
    message_id = decline["contacts"][0]["message"]["id"]
    response = dashboard.client.get(f"/dashboard/messages/{message_id}.eml")
    assert response.status_code == 200
    assert response.headers["content-type"] == "message/rfc822"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="message-{message_id}.eml"'
    )
    assert response.content == raw_of(dashboard, message_id)


def test_the_mbox_holds_every_message_out_and_in(dashboard: Dashboard, tmp_path: Path) -> None:
    decline = create(dashboard)
    charles, mary = decline["contacts"]
    reply = human_reply(
        raw_of(dashboard, charles["message"]["id"]),
        sender="charles@engines.example",
        text="From what I read, you are all set.\n>From here on, thanks.",
    )
    post_inbound(dashboard, reply)
    run_due_at(dashboard.client, FAR)  # a reminder for Mary joins the decline's messages
    dashboard.post(f"/dashboard/contacts/{mary['id']}/reply")  # manual: nothing to export
    response = dashboard.client.get(f"/dashboard/declines/{decline['id']}.mbox")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/mbox"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="decline-{decline["id"]}.mbox"'
    )
    assert response.content.startswith(b"From declines@mailer.example ")
    path = tmp_path / "decline.mbox"
    path.write_bytes(response.content)
    box = mailbox.mbox(path)
    try:
        ids = [str(m["Message-ID"]).strip() for m in box]
    finally:
        box.close()
    expected = {charles["message"]["message_id"], mary["message"]["message_id"]}
    assert len(ids) == 4  # two emails, Mary's reminder, Charles's reply
    assert expected <= set(ids)
    assert re.search(rb"^>From what I read", response.content, re.M)
    assert re.search(rb"^>>From here on", response.content, re.M)


def test_each_contact_has_a_printable_letter(dashboard: Dashboard) -> None:
    decline = create(dashboard)
    page = dashboard.client.get(f"/dashboard/declines/{decline['id']}").text
    for contact in decline["contacts"]:
        link = f'<a href="/dashboard/contacts/{contact["id"]}/letter.pdf">Letter (PDF)</a>'
        assert link in section(page, contact["id"])
    mary = decline["contacts"][1]
    response = dashboard.client.get(f"/dashboard/contacts/{mary['id']}/letter.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    assert "Mary Somerville" in reader.pages[0].extract_text()


@pytest.mark.parametrize("path", ["/dashboard/messages/{id}", "/dashboard/messages/{id}.eml"])
def test_reminders_can_be_viewed_and_downloaded(dashboard: Dashboard, path: str) -> None:
    decline = create(dashboard, contacts=decline_body()["contacts"][:1])
    run_due_at(dashboard.client, FAR)
    page = dashboard.client.get(f"/dashboard/declines/{decline['id']}").text
    found = re.search(r'href="/dashboard/messages/([0-9a-f-]{36})">View reminder', page)
    assert found is not None
    response = dashboard.client.get(path.format(id=found.group(1)))
    assert response.status_code == 200
    assert b"ada@home.example" in response.content
