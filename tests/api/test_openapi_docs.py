"""/docs and /redoc load everything from this service: they work with no internet."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient

from tests.browser import LiveServer, chromium, serve  # noqa: F401 - the browser fixture
from tests.factories import make_settings, running_app

from .test_openapi import DOCUMENT, operations

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Route

ASSET = re.compile(r'<(?:script[^>]*\ssrc|link[^>]*\shref)="([^"]+)"')
EXPECTED_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


@pytest.fixture
def client(sqlite_url: str, tmp_path: Path) -> Iterator[TestClient]:
    with running_app(make_settings(sqlite_url, tmp_path)) as client:
        yield client


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_pages_load_only_local_assets(client: TestClient, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assets = ASSET.findall(response.text)
    assert assets, response.text
    for url in assets:
        assert url.startswith("/"), f"{page} loads {url} from elsewhere"
        asset = client.get(url)
        assert asset.status_code == 200, url
        expected = EXPECTED_TYPES[Path(url).suffix]
        assert asset.headers["content-type"].startswith(expected), url
    assert not re.search(r"https?://", response.text), "a URL to another host"
    assert "/openapi.json" in response.text


def test_swagger_ui_never_asks_a_validator_elsewhere(client: TestClient) -> None:
    # Its default sends the document's address to validator.swagger.io for a badge.
    assert '"validatorUrl": null' in client.get("/docs").text


@pytest.fixture
def docs_server(sqlite_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    with serve(make_settings(sqlite_url, tmp_path), scheduler=False) as server:
        yield server


def test_swagger_ui_renders_every_operation_with_the_network_cut_off(
    chromium: Browser,  # noqa: F811 - the fixture
    docs_server: LiveServer,
) -> None:
    context = chromium.new_context(base_url=docs_server.url)
    elsewhere: list[str] = []

    def only_this_service(route: Route) -> None:
        if route.request.url.startswith(docs_server.url + "/"):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", only_this_service)
    try:
        page = context.new_page()
        page.goto("/docs")
        page.locator(".opblock").first.wait_for(timeout=15_000)
        ids = page.locator(".opblock-summary-operation-id").all_inner_texts()
    finally:
        context.close()
    assert {"createDecline", "getDecline", "listFollowUps"} <= set(ids), ids
    assert len(ids) == len(operations(DOCUMENT))
    assert not elsewhere, elsewhere
