"""The dashboard in a real browser (Chromium via Playwright) against a live server.

One operator's session, end to end: log in, compose a decline to two contacts, preview it,
send it, watch both emails reach the SMTP sink and turn `sent`, mark one contact replied,
log a call to the other, visit every page, log out. Every page is screenshotted at laptop
and phone sizes into artifacts/screenshots/, and the browser must report no console error
and no Content-Security-Policy violation along the way.
"""

from __future__ import annotations

import re
import time

import httpx
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select
from sqlmodel import col

from service.core.db import session_scope
from service.models import CallAttempt, Contact, Decline, FollowUp
from tests.browser import (  # noqa: F401 - fixtures
    DashboardBrowser,
    LiveServer,
    browser,
    chromium,
    live_server,
)
from tests.dashboard.conftest import PASSWORD
from tests.factories import auth, decline_body, new_api_key
from tests.smtp_sink import SmtpServer
from tests.waiting import wait_until

SUBJECT = "Interview invitation: Principal Engineer (REQ-1843)"
FIRST = {"name": "Charles Babbage", "email": "charles@engines.example", "role": "recruiter"}
SECOND = {"name": "Mary Somerville", "email": "mary@engines.example", "role": "hiring_manager"}
REFUSED = {
    "name": "Luigi Menabrea",
    "email": "luigi@difference.example",
    "phone": "+44 20 7946 0002",
    "role": "interviewer",
}
DECLINE_URL = re.compile(r"/dashboard/declines/([0-9a-f-]{36})$")


def nav(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()


def fill_compose_form(page: Page) -> None:
    page.locator('[name="company"]').fill("Analytical Engines Ltd")
    page.locator('[name="job_title"]').fill("Principal Engineer")
    page.locator('[name="requisition_id"]').fill("REQ-1843")
    page.locator('select[name="reason"]').select_option("accepted_offer")
    page.locator('select[name="round"]').select_option("first")
    page.locator('[name="candidate_name"]').fill("Ada Lovelace")
    page.locator('[name="candidate_email"]').fill("ada@home.example")
    page.locator('[name="candidate_phone"]').fill("+44 20 7946 0958")
    page.locator('[name="candidate_timezone"]').fill("Europe/London")
    for index, (person, phone) in enumerate(
        [(FIRST, "+44 20 7946 0000"), (SECOND, "+44 20 7946 0001")]
    ):
        page.locator(f'[name="contacts-{index}-name"]').fill(person["name"])
        page.locator(f'[name="contacts-{index}-email"]').fill(person["email"])
        page.locator(f'[name="contacts-{index}-phone"]').fill(phone)
        page.locator(f'select[name="contacts-{index}-role"]').select_option(person["role"])


def reload_until(page: Page, locator: Locator, timeout: float = 15.0) -> None:
    """Reload the page until `locator` shows (the outbox works in the background)."""
    deadline = time.monotonic() + timeout
    while not locator.count():
        if time.monotonic() > deadline:
            raise AssertionError(f"{locator} did not show within {timeout}s on {page.url}")
        page.wait_for_timeout(250)
        page.reload()
    expect(locator.first).to_be_visible()


def contact_sections(page: Page) -> Locator:
    return page.locator('section[id^="contact-"]')


def status_chip(section: Locator, status: str) -> Locator:
    return section.locator(".chip").filter(has_text=re.compile(rf"^\s*{status}\s*$"))


def test_an_operator_declines_follows_up_and_logs_out_in_a_real_browser(
    browser: DashboardBrowser,  # noqa: F811 - the fixture
    live_server: LiveServer,  # noqa: F811
    smtp_server: SmtpServer,
) -> None:
    page = browser.page

    # 1. Log in: the dashboard sends a visitor without a session to the login form.
    page.goto("/dashboard/")
    expect(page).to_have_url(re.compile(r"/dashboard/login\?next=/dashboard/$"))
    browser.shoot("login")
    page.get_by_label("Admin password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_role("heading", name="Today", level=1)).to_be_visible()
    browser.shoot("today-empty")

    # 2. Compose a decline to two contacts.
    nav(page, "Compose")
    expect(page).to_have_url(re.compile(r"/dashboard/compose$"))
    fill_compose_form(page)

    # 3. Preview: one message per contact, each with its To and Subject.
    page.get_by_role("button", name="Preview").click()
    preview = page.locator("#preview")
    for person in (FIRST, SECOND):
        expect(preview.get_by_text(person["email"]).first).to_be_visible()
    expect(preview.get_by_text(SUBJECT).first).to_be_visible()
    assert preview.get_by_text(SUBJECT).count() >= 2, "one subject line per contact"
    frames = preview.locator("iframe")
    expect(frames).to_have_count(2)
    for i in range(2):  # the email's HTML, inert: no scripts, no same-origin
        sandbox = frames.nth(i).get_attribute("sandbox")
        assert sandbox is not None and "allow-scripts" not in sandbox, sandbox
        assert frames.nth(i).get_attribute("srcdoc")
    expect(page.frame_locator("#preview iframe").first.get_by_text("Charles").first).to_be_visible()
    # On a laptop the preview sits beside the form, not 2,000 px below it.
    form_box = page.locator("form.compose").bounding_box()
    preview_box = page.locator("#preview").bounding_box()
    assert form_box is not None and preview_box is not None
    assert preview_box["x"] >= form_box["x"] + form_box["width"], (form_box, preview_box)
    browser.shoot("compose-preview")

    # 4. Send asks first, naming both recipients; confirmed, the decline's page; both emails
    # reach the sink and turn `sent`.
    page.get_by_role("button", name="Send", exact=True).click()
    confirm = page.get_by_role("button", name="Send 2 emails now")
    expect(confirm).to_be_visible()
    assert smtp_server.sink.received == []
    browser.shoot("compose-confirm")
    confirm.click()
    expect(page).to_have_url(DECLINE_URL)
    match = DECLINE_URL.search(page.url)
    assert match is not None
    decline_id = match.group(1)
    assert smtp_server.sink.wait_for(2, timeout=20), "both emails reach the SMTP server"
    assert sorted(r.rcpt_tos[0] for r in smtp_server.sink.received) == sorted(
        [FIRST["email"], SECOND["email"]]
    )
    sections = contact_sections(page)
    expect(sections).to_have_count(2)
    for i in range(2):
        reload_until(page, status_chip(contact_sections(page).nth(i), "sent"))
    first, second = sections.nth(0), sections.nth(1)
    expect(first).to_contain_text(FIRST["name"])
    expect(second).to_contain_text(SECOND["name"])
    for section in (first, second):
        expect(status_chip(section, "sent").first).to_be_visible()
    browser.shoot("decline-sent")

    # 5. The first contact replied (by phone, say): mark it; their call is canceled.
    first.get_by_role("button", name="Mark replied").click()
    first = contact_sections(page).nth(0)
    expect(first).to_contain_text(re.compile(r"replied", re.IGNORECASE))
    expect(status_chip(first, "canceled").first).to_be_visible()

    # 6. Call the second contact: no answer. The attempt shows in their timeline.
    second = contact_sections(page).nth(1)
    second.get_by_role("button", name="No answer").click()
    second = contact_sections(page).nth(1)
    expect(second).to_contain_text(re.compile(r"no answer", re.IGNORECASE))
    expect(first).to_contain_text(re.compile(r"replied", re.IGNORECASE))
    browser.shoot("decline-detail")

    with session_scope(live_server.engine) as db:
        decline = db.get(Decline, decline_id)
        assert decline is not None
        contacts = list(
            db.scalars(
                select(Contact)
                .where(col(Contact.decline_id) == decline_id)
                .order_by(col(Contact.position))
            )
        )
        assert contacts[0].replied_at is not None and contacts[1].replied_at is None
        follow_ups = {
            f.contact_id: f
            for f in db.scalars(select(FollowUp).where(col(FollowUp.decline_id) == decline_id))
        }
        assert follow_ups[contacts[0].id].status == "canceled"
        assert follow_ups[contacts[1].id].status == "scheduled"  # tried again next business day
        calls = list(
            db.scalars(select(CallAttempt).where(col(CallAttempt.decline_id) == decline_id))
        )
        assert [(c.contact_id, c.outcome) for c in calls] == [(contacts[1].id, "no_answer")]

    # 7. Meanwhile another tool declines over the API to an address the mail server refuses:
    #    the email fails for good, and that contact's call falls due at once.
    smtp_server.sink.rcpt_replies[REFUSED["email"]] = "550 5.1.1 no such user here"
    token = new_api_key(live_server.settings.database_url)
    body = decline_body(
        company="Difference Engines plc", job_title="Staff Engineer", contacts=[REFUSED]
    )
    response = httpx.post(
        f"{live_server.url}/v1/declines", json=body, headers=auth(token), timeout=10
    )
    assert response.status_code == 201, response.text
    wait_until(lambda: bool(smtp_server.sink.refused), "the server to refuse the recipient")

    # 8. The kept copy of the first email, then every other page.
    page.goto(f"/dashboard/declines/{decline_id}")
    contact_sections(page).nth(0).get_by_role("link", name="View").first.click()
    expect(page).to_have_url(re.compile(r"/dashboard/messages/[0-9a-f-]{36}$"))
    expect(page.get_by_text(SUBJECT).first).to_be_visible()
    browser.shoot("message")

    nav(page, "Declines")
    expect(page).to_have_url(re.compile(r"/dashboard/declines$"))
    expect(page.get_by_role("link", name="Analytical Engines Ltd")).to_be_visible()
    expect(page.get_by_role("link", name="Difference Engines plc")).to_be_visible()
    browser.shoot("declines")

    nav(page, "Outbox")
    expect(page).to_have_url(re.compile(r"/dashboard/outbox"))
    failed = page.locator("tr").filter(has_text=REFUSED["email"])
    reload_until(page, failed.locator(".chip").filter(has_text="failed"))
    expect(failed).to_contain_text("550 5.1.1 no such user here")
    # The address itself was refused: sending the same email again cannot help.
    expect(failed.get_by_role("button", name="Retry")).to_have_count(0)
    expect(failed.get_by_role("link", name=re.compile("^Correct the address"))).to_be_visible()
    browser.shoot("outbox")

    nav(page, "Calls")
    expect(page).to_have_url(re.compile(r"/dashboard/calls"))
    call = page.locator("article.call-row").filter(has_text=REFUSED["name"])
    reload_until(page, call)
    expect(call.get_by_text("email did not arrive")).to_be_visible()
    expect(call.get_by_role("link", name=re.compile(r"^Call \+44"))).to_be_visible()
    browser.shoot("calls")

    nav(page, "System")
    expect(page).to_have_url(re.compile(r"/dashboard/system"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    browser.shoot("system")

    nav(page, "Today")
    expect(page.get_by_role("heading", name="Today", level=1)).to_be_visible()
    expect(page.get_by_text(re.compile(r"Call to Mary Somerville: no answer"))).to_be_visible()
    browser.shoot("today")

    # 9. Log out: the dashboard is closed again.
    browser.logout()
    page.goto("/dashboard/")
    expect(page).to_have_url(re.compile(r"/dashboard/login"))

    browser.assert_clean()
