"""A real browser against a real server: Playwright driving Debian's Chromium.

Fixtures (a test module imports the ones it uses, as with `tests.smtp_sink`):

- `live_server`: the app under uvicorn in a background thread on a free 127.0.0.1 port,
  on the test database (`database_url`), delivering to the `smtp_server` aiosmtpd sink,
  scheduler on, the admin password set to `tests.dashboard.conftest.PASSWORD`.
- `chromium`: one headless Chromium per test module (`/usr/bin/chromium`, no download;
  skips, or fails under DECLINE_TEST_REQUIRE_ALL=1, when it is not installed).
- `browser`: a fresh context and page on the live server (`DashboardBrowser`): relative
  URLs, console and page errors collected, `shoot(name)` for laptop and phone screenshots.

Playwright's sync API must not run inside a running event loop: keep these tests and
fixtures sync (pytest-asyncio runs sync tests without a loop).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from service.app import create_app
from service.core.config import Settings
from tests.dashboard.conftest import PASSWORD, set_password
from tests.factories import make_settings
from tests.peers import free_port, missing_peer

if TYPE_CHECKING:
    from fastapi import FastAPI
    from playwright.sync_api import Browser, ConsoleMessage, Page, ViewportSize
    from sqlalchemy import Engine

    from tests.smtp_sink import SmtpServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
# Chromium logs a CSP violation as a console error; this says which element and directive.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => console.error(
  "CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " at " +
  e.sourceFile + ":" + e.lineNumber + " on " + String(e.target && e.target.outerHTML).slice(0, 200)
));
"""
VIEWPORTS: dict[str, ViewportSize] = {
    "laptop": {"width": 1280, "height": 800},
    "phone": {"width": 390, "height": 844},
}


# The live server --------------------------------------------------------------------------


@dataclass
class LiveServer:
    url: str  # http://127.0.0.1:PORT, no trailing slash
    settings: Settings
    app: FastAPI

    @property
    def engine(self) -> Engine:
        """The server's own engine (valid while it runs)."""
        engine: Engine = self.app.state.engine
        return engine


@contextmanager
def serve(settings: Settings, *, scheduler: bool = True) -> Iterator[LiveServer]:
    """Run `create_app(settings)` under uvicorn in a thread until the block ends."""
    import uvicorn

    port = free_port()
    app = create_app(settings, scheduler=scheduler)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the live server stopped during startup (see the log above)")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise TimeoutError(f"the live server did not start on 127.0.0.1:{port}")
        time.sleep(0.02)
    try:
        yield LiveServer(url=f"http://127.0.0.1:{port}", settings=settings, app=app)
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture
def live_server(database_url: str, tmp_path: Path, smtp_server: SmtpServer) -> Iterator[LiveServer]:
    """The whole service on a real port, mail going to the `smtp_server` sink."""
    set_password(database_url)
    settings = make_settings(
        database_url, tmp_path, outbox_poll_seconds=1, **smtp_server.settings()
    )
    with serve(settings) as server:
        yield server


# The browser ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless, launched once per test module."""
    if not CHROMIUM.exists():
        missing_peer("Chromium", "apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


@dataclass
class DashboardBrowser:
    """One page on the live server, watching the console, taking screenshots."""

    page: Page
    server: LiveServer
    shot_dir: Path = SCREENSHOTS
    problems: list[str] = field(default_factory=list)  # console errors, page errors
    shots: list[Path] = field(default_factory=list)

    def watch(self) -> None:
        def on_console(message: ConsoleMessage) -> None:
            source = message.location.get("url", "") if message.location else ""
            if message.type == "error" or "Content Security Policy" in message.text:
                self.problems.append(
                    f"on {self.page.url}: console {message.type}: {message.text} ({source})"
                )

        self.page.on("console", on_console)
        self.page.on(
            "pageerror", lambda error: self.problems.append(f"on {self.page.url}: {error}")
        )

    def login(self, password: str = PASSWORD) -> None:
        self.page.goto("/dashboard/login")
        self.page.get_by_label("Admin password").fill(password)
        self.page.get_by_role("button", name="Log in").click()
        self.page.wait_for_url(re.compile(r"/dashboard/(\?.*)?$"))

    def logout(self) -> None:
        self.page.get_by_role("button", name="Log out").click()
        self.page.wait_for_url(re.compile(r"/dashboard/login"))

    def shoot(self, name: str, *, phone: bool = True) -> None:
        """Whole-page screenshots at the laptop size, then (unless told not to) the phone
        size, of the page as it is now: artifacts/screenshots/<name>-<viewport>.png."""
        self.shot_dir.mkdir(parents=True, exist_ok=True)
        self.page.wait_for_load_state("load")
        for viewport in ["laptop", "phone"] if phone else ["laptop"]:
            size = VIEWPORTS[viewport]
            self.page.set_viewport_size(size)
            # A window as tall as the page rather than `full_page=True`: Chromium leaves
            # sandboxed iframes (the email previews) blank outside the viewport, and a
            # sticky bar is drawn where it really sits at the end of the page.
            self.page.evaluate("window.scrollTo(0, 0)")
            height = int(self.page.evaluate("document.documentElement.scrollHeight"))
            tall: ViewportSize = {
                "width": size["width"],
                "height": min(max(height, size["height"]), 16000),
            }
            self.page.set_viewport_size(tall)
            self.page.evaluate("new Promise(requestAnimationFrame)")
            path = self.shot_dir / f"{name}-{viewport}.png"
            # caret="initial": Playwright's default hides the caret with a style attribute on
            # the focused field, which htmx's settle step later copies: a CSP violation of
            # the test's own making.
            self.page.screenshot(path=str(path), caret="initial")
            self.shots.append(path)
        self.page.set_viewport_size(VIEWPORTS["laptop"])

    def assert_clean(self) -> None:
        """No console error, no page error, no CSP violation so far."""
        assert not self.problems, "the browser reported:\n" + "\n".join(self.problems)


@pytest.fixture
def browser(chromium: Browser, live_server: LiveServer) -> Iterator[DashboardBrowser]:
    """A fresh context (no cookies) at the laptop size, with relative URLs."""
    context = chromium.new_context(
        base_url=live_server.url, viewport=VIEWPORTS["laptop"], locale="en-GB"
    )
    context.set_default_timeout(10_000)
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    page = context.new_page()
    # Both backends render the same pages: PostgreSQL's screenshots go to a folder of their
    # own, so parallel runs never write one file at once.
    backend = live_server.settings.database_url.partition(":")[0].partition("+")[0]
    shot_dir = SCREENSHOTS if backend == "sqlite" else SCREENSHOTS / backend
    session = DashboardBrowser(page=page, server=live_server, shot_dir=shot_dir)
    session.watch()
    try:
        yield session
    finally:
        context.close()
