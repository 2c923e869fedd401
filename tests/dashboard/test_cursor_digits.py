"""A hand-edited list URL whose cursor has another script's digits gets a readable 422 page."""

from __future__ import annotations

import pytest

from tests.dashboard.conftest import Dashboard

# Digits to Python's str.isdigit(), not to a URL: superscript two, Arabic-Indic three,
# full-width "30".
NOT_ASCII_DIGITS = ["%C2%B2", "%D9%A3", "%EF%BC%93%EF%BC%90"]


@pytest.mark.parametrize("cursor", NOT_ASCII_DIGITS)
@pytest.mark.parametrize("page", ["calls", "outbox", "declines"])
def test_a_cursor_of_other_scripts_digits_is_refused_on_a_page(
    dashboard: Dashboard, page: str, cursor: str
) -> None:
    response = dashboard.client.get(f"/dashboard/{page}?cursor={cursor}")
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>" in response.text
