"""Fixtures for the portal's tests in a real browser: the service on a free port over a
database holding the demo, the system's Chromium driven by Playwright, and helpers to sign
in, read the same figures over GraphQL, check accessibility and take screenshots.

A page's tests need only these fixtures:
    portal      the served app: portal.url(path), portal.token(sub, *roles), portal.graphql(...)
    page_paths  PAGES with the demo's ids filled in (demo_ids: the uuids of DEMO_WORK's items)
    browser     one headless Chromium per module (never downloaded: /usr/bin/chromium)
    page        a fresh browser context and page per test, signed out, 1280 px wide
and these helpers: sign_in(page, portal, sub, *roles), serious_violations(page),
photograph(page, name) (both widths, into screenshot_dir()).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from axe_playwright_python.sync_playwright import Axe
from litestar import Litestar
from playwright.sync_api import Browser, Page, sync_playwright

from portal.links import plain_id
from projections.catalog import all_projections
from service.application import Polarity
from service.database import Database
from service.demo import DemoPortfolio, load_demo
from service.projector import Projector
from service.settings import Settings
from service.web import create_app, create_token
from tests.api.conftest import TEST_SETTINGS
from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.conftest import fresh_database

WIDTHS = (1280, 375)
# Every page of the portal, by the name its screenshots take, with a path that shows it on the
# demo data. A new page adds its line here: the accessibility and screenshot tests cover it.
# `{initiative}` and `{improvement}` stand for the ids of DEMO_WORK (see page_paths).
PAGES = {
    "overview": "/",
    "portfolio": "/portfolio",
    "downloads": "/downloads",
    "decisions": "/decisions",
    "pipeline": "/pipeline",
    "capacity": "/capacity",
    "kaizen": "/kaizen",
    "alignment": "/alignment",
    "audit": "/audit",
    "initiative": "/initiatives/{initiative}",
    "improvement": "/improvements/{improvement}",
}
# The demo's work items the pages above show, by title: their ids are new on each load.
DEMO_WORK = {
    "initiative": ("initiatives", "Enter the Nordic market"),
    "improvement": ("improvementItems", "Coolant concentration checks"),
}
# Who the accessibility and screenshot tests sign in as: roles that may read every page.
SEES_EVERY_PAGE = ("priya.shah", "steward", "auditor")
ROOT = Path(__file__).resolve().parents[2]
PORTAL_SETTINGS = TEST_SETTINGS


def screenshot_dir() -> Path:
    """Where screenshots go: POLARITY_SCREENSHOTS, else var/screenshots; made if missing."""
    directory = Path(os.environ.get("POLARITY_SCREENSHOTS") or ROOT / "var" / "screenshots")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@dataclass(frozen=True)
class Portal:
    """The service as a browser reaches it, and the means to ask its API the same questions."""

    base: str
    settings: Settings
    demo: DemoPortfolio

    def url(self, path: str) -> str:
        return self.base + path

    def token(self, sub: str, *roles: str, lifetime: timedelta = timedelta(hours=1)) -> str:
        return create_token(self.settings, sub, roles, lifetime=lifetime)

    def graphql(self, query: str, token: str, **variables: Any) -> dict[str, Any]:
        """The data of `query` over HTTP with a bearer token, as any API client reads it."""
        response = httpx.post(
            self.url("/graphql"),
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data


@pytest.fixture(scope="session")
def demo_database(database: Database) -> Iterator[tuple[Database, DemoPortfolio]]:
    """A database of its own holding the demo, every view caught up."""
    fresh = fresh_database(database)
    own = next(fresh)
    app = Polarity(own)
    try:
        made = load_demo(app)
        projector = Projector(app, own, all_projections())
        projector.setup()
        projector.catch_up()
    finally:
        app.close()
    yield own, made
    next(fresh, None)


@contextmanager
def served(app: Litestar) -> Iterator[str]:
    """`app` served by uvicorn on a free port of 127.0.0.1, in a thread; yields its base URL."""
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive(), "the service stopped as it started"
        assert time.monotonic() < deadline, "the service did not start within a minute"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        listening.close()


@pytest.fixture(scope="session")
def portal(demo_database: tuple[Database, DemoPortfolio]) -> Iterator[Portal]:
    """The whole service (API and portal) served by uvicorn on a free port, in a thread."""
    database, made = demo_database
    with served(create_app(PORTAL_SETTINGS, database=database)) as base:
        yield Portal(base, PORTAL_SETTINGS, made)


@pytest.fixture(scope="session")
def demo_ids(portal: Portal) -> dict[str, str]:
    """The uuid of each of DEMO_WORK's items, found by its title over GraphQL."""
    found = {}
    for name, (field, title) in DEMO_WORK.items():
        listed = portal.graphql(
            f"{{ {field}(first: 100) {{ edges {{ node {{ id title }} }} }} }}",
            portal.token("priya.shah", "steward"),
        )
        (gid,) = [e["node"]["id"] for e in listed[field]["edges"] if e["node"]["title"] == title]
        found[name] = plain_id(gid)
    return found


@pytest.fixture(scope="session")
def page_paths(demo_ids: dict[str, str]) -> dict[str, str]:
    """PAGES with the demo's ids in place of their placeholders."""
    return {name: path.format_map(demo_ids) for name, path in PAGES.items()}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """The system's Chromium (Debian's package), headless, in a fresh profile of its own.

    Per module, not per session: while Playwright's sync API is open it holds the main
    thread's event loop, and the suite's async tests that run after these need it."""
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Chromium is required in CI: {CHROMIUM} is missing (.ci/run installs it)")
        pytest.skip(f"Chromium not installed at {CHROMIUM}")
    with sync_playwright() as playwright:
        # Playwright gives the browser a new, temporary --user-data-dir and removes it after.
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page in a context of its own (no cookies from other tests), 1280 px wide."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()


def sign_in(page: Page, portal: Portal, sub: str, *roles: str, then: str = "/") -> None:
    """Sign in through the sign-in form with a token for `sub` holding `roles`."""
    page.goto(portal.url(f"/sign-in?next={then}"))
    page.fill("#token", portal.token(sub, *roles))
    page.click("form.sign-in button[type=submit]")
    page.wait_for_url(portal.url(then))


def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is, one line each."""
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def photograph(page: Page, name: str) -> list[Path]:
    """Full-page screenshots of the page at each width, as `name-1280.png`, `name-375.png`."""
    taken = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        path = screenshot_dir() / f"{name}-{width}.png"
        page.screenshot(path=str(path), full_page=True)
        taken.append(path)
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    return taken
