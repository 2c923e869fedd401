"""The HTML part in a real browser (headless Chromium) reads like a personal email in each
language: one narrow column of plain paragraphs, the same words as the text part, working
links, nothing wider than a phone. Screenshots go to artifacts/screenshots/decline-*.png."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from service.declines.compose import compose
from service.declines.schemas import DeclineCreate
from tests.browser import SCREENSHOTS, chromium  # noqa: F401 - the fixture
from tests.declines import rules

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

NOW = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)
PEOPLE = {
    "en": ({"name": "Priya Raman", "title": None}, "my former colleague"),
    "de": ({"name": "Charlotte Brandt", "title": "Frau Dr."}, "meine frühere Kollegin"),
    "fr": ({"name": "Camille Moreau", "title": "Mme"}, "mon ancienne collègue"),
    "es": ({"name": "Lucía Fernández", "title": "Sra."}, "mi antigua compañera"),
}
NOTES = {
    "en": "It was a pleasure to meet your team at the meetup in May.",
    "de": "Es hat mich gefreut, Ihr Team im Mai beim Meetup kennenzulernen.",
    "fr": "J'ai été ravie de rencontrer votre équipe lors du meetup de mai.",
    "es": "Fue un placer conocer a su equipo en el encuentro de mayo.",
}


def decline_html(language: str) -> tuple[str, str]:
    person, relationship = PEOPLE[language]
    request = DeclineCreate.model_validate(
        {
            "candidate": {
                "name": "Jordan Avery Lee",
                "email": "jordan.lee@example.org",
                "phone": "+44 20 7946 0958",
                "timezone": "Europe/London",
            },
            "company": "Northwind Analytics Group",
            "job_title": "Senior Platform Engineer",
            "language": language,
            "reason": "accepted_offer",
            "contacts": [
                {
                    **{k: v for k, v in person.items() if v},
                    "email": "hiring@northwind.example",
                    "role": "recruiter",
                    "timezone": "Europe/Berlin",
                }
            ],
            "referral": {
                "name": "Samantha Ortega",
                "email": "sam.ortega@example.net",
                "phone": "+1 415 555 0123",
                "relationship": relationship,
                "permission_confirmed": True,
            },
            "future_interest": {"functional_area": "data engineering"},
            "personal_note": NOTES[language],
            "interview_at": (NOW + timedelta(hours=30)).isoformat(),
            "sign_off": "kind_regards",
        }
    )
    message = compose(
        request=request,
        contact_index=0,
        mail_from="Decline Service <decline@mail.example.com>",
        message_id="<m@mail.example.com>",
        date=NOW,
    )
    return message.html, message.text


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:  # noqa: F811 - the fixture
    context = chromium.new_context(viewport={"width": 760, "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.mark.parametrize("language", ["en", "de", "fr", "es"])
def test_the_html_email_reads_like_a_personal_email(page: Page, language: str) -> None:
    markup, text = decline_html(language)
    page.set_content(markup)
    body: Any = page.evaluate(
        """() => {
            const column = document.querySelector("body > div");
            const style = getComputedStyle(document.body);
            return {
                text: document.body.innerText,
                width: column.getBoundingClientRect().width,
                font: style.fontFamily, size: style.fontSize,
                paragraphs: document.querySelectorAll("p").length,
                links: [...document.querySelectorAll("a")].map(a => a.getAttribute("href")),
                images: document.images.length, tables: document.querySelectorAll("table").length,
                lang: document.documentElement.lang,
            };
        }"""
    )
    assert rules.normalized(body["text"]) == rules.normalized(text)
    assert body["width"] <= 600 and body["size"] == "15px" and "Arial" in body["font"]
    assert body["images"] == 0 and body["tables"] == 0  # no banner, no layout tables
    assert body["paragraphs"] == len(text.rstrip().split("\n\n"))
    assert body["lang"] == language
    assert body["links"] == [
        "mailto:sam.ortega@example.net",
        "tel:+14155550123",
        "tel:+442079460958",
        "mailto:jordan.lee@example.org",
    ]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"decline-{language}.png"), full_page=True)
    # On a phone the column narrows; nothing scrolls sideways.
    page.set_viewport_size({"width": 360, "height": 800})
    wide = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert wide is False
    if language == "de":
        page.screenshot(path=str(SCREENSHOTS / "decline-de-phone.png"), full_page=True)
