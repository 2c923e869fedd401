"""Compose lets the operator choose the language (for the whole decline and per contact),
each contact's role, greeting and title, who gets the referral, and the wording options;
the preview shows each email as that contact will read it, and Send sends exactly that."""

from __future__ import annotations

import email
import email.policy
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from service.dashboard import compose_form
from service.declines.schemas import DeclineCreate
from tests.browser import (  # noqa: F401 - fixtures
    DashboardBrowser,
    LiveServer,
    browser,
    chromium,
    live_server,
)
from tests.dashboard.conftest import Dashboard
from tests.declines import rules
from tests.factories import decline_body
from tests.waiting import wait_until

VALID: dict[str, str] = {
    "company": "Analytical Engines Ltd",
    "job_title": "Principal Engineer",
    "candidate_name": "Ada Lovelace",
    "candidate_email": "ada@home.example",
    "contacts-0-name": "Charles Babbage",
    "contacts-0-email": "charles@engines.example",
    "contacts-0-role": "recruiter",
    "contacts-1-name": "Mary Somerville",
    "contacts-1-email": "mary@engines.example",
    "contacts-1-role": "hiring_manager",
}
REFERRAL = {
    "referral_name": "Grace Hopper",
    "referral_email": "grace@personal.example",
    "referral_permission": "yes",
}


def form(**overrides: str) -> dict[str, str]:
    values = compose_form.blank(**VALID)
    values.update({key.replace("__", "-"): value for key, value in overrides.items()})
    return values


def post(dash: Dashboard, url: str, **data: str) -> httpx.Response:
    response = dash.client.post(url, data={"csrf_token": dash.csrf, **data}, follow_redirects=False)
    assert isinstance(response, httpx.Response)
    return response


def previews(page_text: str) -> list[str]:
    """Each preview card's heading and facts, as text."""
    cards = re.findall(r'(?s)<article class="card preview-mail".*?</dl>', page_text)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", card)) for card in cards]


def test_the_form_offers_each_choice(dashboard: Dashboard) -> None:
    text = dashboard.client.get("/dashboard/compose").text
    assert re.search(r'<select id="language" name="language"', text)
    for value, label in compose_form.LANGUAGE_CHOICES:
        assert f'<option value="{value}"' in text and label in text
    assert re.search(r'<select id="contacts-1-greeting" name="contacts-1-greeting"', text)
    assert '<option value="title_surname">Title and surname (Dear Dr. Raman,)</option>' in text
    assert re.search(r'<select id="contacts-1-language" name="contacts-1-language"', text)
    assert re.search(
        r'<textarea id="personal_note" name="personal_note" rows="3" maxlength="400"', text
    )
    # The referral goes to the first contact unless the operator ticks others.
    assert re.search(
        r'id="contacts-0-referral" name="contacts-0-referral" value="yes" checked', text
    )
    assert not re.search(
        r'id="contacts-1-referral" name="contacts-1-referral" value="yes" checked', text
    )


def test_the_preview_shows_each_contact_in_their_language_role_and_greeting(
    dashboard: Dashboard,
) -> None:
    values = form(
        language="de",
        contacts__0__title="Herr",
        contacts__1__language="fr",
        contacts__1__greeting="title_surname",
        contacts__1__title="Mme",
    )
    response = post(dashboard, "/dashboard/compose", **values, action="preview")
    assert response.status_code == 200, response.text
    first, second = previews(response.text)
    assert "Charles Babbage · recruiter · Deutsch (Sie)" in first
    assert "Sehr geehrter Herr Babbage, (title surname)" in first
    assert "Einladung zum Vorstellungsgespräch: Principal Engineer" in first
    assert "Mary Somerville · hiring manager · Français (vous)" in second
    assert "Bonjour Madame Somerville, (title surname)" in second
    assert "Invitation à un entretien" in second


def test_only_the_ticked_contacts_get_the_referral_and_send_sends_what_was_previewed(
    dashboard: Dashboard,
) -> None:
    values = form(
        **REFERRAL,
        referral_relationship="my former colleague",
        contacts__0__referral="",
        contacts__1__referral="yes",
        personal_note="It was good to meet\nyour team in May.",
        sign_off="kind_regards",
        they_approached_me="yes",
    )
    parsed = compose_form.parse(values, default_zone="UTC")
    assert parsed.request is not None, parsed.errors
    assert parsed.request.referral is not None and parsed.request.referral.share_with == [1]
    response = post(dashboard, "/dashboard/compose", **values, action="confirm")
    assert response.status_code == 303, response.text
    wait_until(lambda: len(captured(dashboard)) == 2, "both emails in the capture dir")
    sent = captured(dashboard)
    assert "Grace Hopper" not in sent["charles@engines.example"]
    assert "my former colleague Grace Hopper" in sent["mary@engines.example"]
    for text in sent.values():
        assert "It was good to meet your team in May." in text
        assert "Kind regards,\nAda Lovelace" in text
        assert "application" not in text.split("\n\n")[1]  # they approached: no application


def captured(dash: Dashboard) -> dict[str, str]:
    out = {}
    for path in sorted(Path(dash.settings.mail_capture_dir).glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
        out[message["To"].addresses[0].addr_spec] = body.get_content().replace("\r\n", "\n")
    return out


def test_the_open_door_can_be_left_out(dashboard: Dashboard) -> None:
    on = compose_form.parse(form(), default_zone="UTC").request
    off = compose_form.parse(form(no_open_door="yes"), default_zone="UTC").request
    assert on is not None and on.open_door and off is not None and not off.open_door
    both = compose_form.parse(
        form(no_open_door="yes", future_interest="yes", functional_area="compilers"),
        default_zone="UTC",
    )
    assert both.request is None
    assert "open_door: false leaves out" in both.errors[0].message


def test_the_invitations_sender_is_a_form_row(dashboard: Dashboard) -> None:
    values = form(
        contacts__0__name="",
        contacts__0__email="",
        contacts__3__name="Late Row",
        contacts__3__email="late@engines.example",
        invitation_message_id="<inv@engines.example>",
        invitation_subject="Interview next week",
        invitation_from="3",
    )
    parsed = compose_form.parse(values, default_zone="UTC")
    assert parsed.request is not None and parsed.request.invitation_from == 1
    empty = compose_form.parse({**values, "invitation_from": "4"}, default_zone="UTC")
    assert empty.request is None
    assert compose_form.errors_by_field(empty.errors) == {
        "invitation_from": ["Contact 5 is empty; choose the contact whose invitation your email "
                            "answers"]
    }  # fmt: skip
    response = post(dashboard, "/dashboard/compose", **values, action="preview")
    assert response.text.count("Re: Interview next week") == 1


ROUND_TRIPS: list[dict[str, Any]] = [
    decline_body(
        language="es",
        sign_off="sincerely",
        they_approached_me=True,
        open_door=False,
        personal_note="Fue un placer conocerle.",
        invitation_subject="Entrevista",
        invitation_message_id="<e@x.example>",
        invitation_from=1,
        contacts=[
            {"name": "Ana Pérez", "email": "ana@x.example", "role": "recruiter", "title": "Sra."},
            {"name": "Luis", "email": "luis@x.example", "language": "en", "greeting": "first_name"},
        ],
        referral={"name": "G", "email": "g@p.example", "permission_confirmed": True,
                  "relationship": "mi antigua compañera", "share_with": [0, 1]},
    ),
]  # fmt: skip


@pytest.mark.parametrize("body", ROUND_TRIPS, ids=["every choice"])
def test_to_form_then_parse_keeps_every_choice(body: dict[str, Any]) -> None:
    request = DeclineCreate.model_validate(body)
    values = compose_form.to_form(request, default_zone="UTC")
    assert compose_form.parse(values, default_zone="UTC").request == request


def test_an_operator_picks_languages_and_greetings_in_a_real_browser(
    browser: DashboardBrowser,  # noqa: F811 - the fixture
    live_server: LiveServer,  # noqa: F811
) -> None:
    page = browser.page
    browser.login()
    page.goto("/dashboard/compose")
    for name, value in VALID.items():
        if name.endswith("-role"):
            page.locator(f'select[name="{name}"]').select_option(value)
        else:
            page.locator(f'[name="{name}"]').fill(value)
    page.locator('select[name="language"]').select_option("de")
    page.locator('[name="contacts-0-title"]').fill("Herr")
    page.locator('select[name="contacts-1-language"]').select_option("es")
    page.locator('select[name="contacts-1-greeting"]').select_option("first_name")
    page.get_by_role("button", name="Preview").click()
    frames = page.frame_locator("#preview iframe")
    expect(frames.first.get_by_text("Sehr geehrter Herr Babbage,")).to_be_visible()
    expect(frames.nth(1).get_by_text("Hola, Mary:")).to_be_visible()
    preview = page.locator("#preview")
    expect(preview.get_by_text("Deutsch (Sie)").first).to_be_visible()
    expect(preview.get_by_text("Español (usted)").first).to_be_visible()
    text = frames.nth(1).locator("body").inner_text()
    assert rules.REPLY["es"] in text
    browser.shoot("compose-preview-languages", phone=False)
    browser.assert_clean()
