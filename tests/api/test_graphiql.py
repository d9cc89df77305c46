"""GraphiQL works offline: its page loads every script and style from Polarity itself, and in a
real browser that may reach nothing but the service it renders and runs a query."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from html.parser import HTMLParser
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
import uvicorn

from service.database import Database
from service.web import create_app
from tests.api.conftest import TEST_SETTINGS, Client, bearer, serving
from tests.browser import CHROMIUM, CHROMIUM_ARGS

if TYPE_CHECKING:
    from playwright.sync_api import Page

JAVASCRIPT = ("text/javascript", "application/javascript")
RENDERED_WITHIN_MS = 30_000  # 4 MB of script to parse on a busy two-core machine


class Assets(HTMLParser):
    """The scripts and stylesheets a page loads, with their integrity attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: dict[str, str | None] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        url = named.get("src") if tag == "script" else named.get("href") if tag == "link" else None
        if url is not None:
            self.urls[url] = named.get("integrity")


def assets_of(page: str) -> dict[str, str | None]:
    parser = Assets()
    parser.feed(page)
    return parser.urls


def graphiql_page(api: Client) -> str:
    response = api.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    return response.text


# Over HTTP -----------------------------------------------------------------------------------


def test_the_graphiql_page_names_no_other_host_for_its_scripts_and_styles(api: Client) -> None:
    urls = assets_of(graphiql_page(api))
    served = [url for url in urls if not url.startswith("data:")]  # the inline favicon
    assert len([url for url in served if url.endswith(".js")]) == 4  # react, react-dom, two UMDs
    assert len([url for url in served if url.endswith(".css")]) == 2
    for url in served:
        parts = urlsplit(url)
        assert (parts.scheme, parts.netloc) == ("", ""), url
        assert url.startswith("/static/graphiql/"), url


def test_every_script_and_style_of_the_page_is_served_without_a_token(api: Client) -> None:
    for url in assets_of(graphiql_page(api)):
        if url.startswith("data:"):
            continue
        response = api.get(url)
        assert response.status_code == 200, url
        content_type = response.headers["content-type"]
        if url.endswith(".js"):
            assert content_type.startswith(JAVASCRIPT), (url, content_type)
        else:
            assert content_type.startswith("text/css"), (url, content_type)


def test_every_served_script_and_style_matches_the_integrity_the_page_gives_it(
    api: Client,
) -> None:
    for url, integrity in assets_of(graphiql_page(api)).items():
        if url.startswith("data:"):
            continue
        digest = hashlib.sha384(api.get(url).content).digest()
        assert integrity == f"sha384-{base64.b64encode(digest).decode()}", url


def test_the_assets_may_be_cached_because_their_paths_name_their_versions(api: Client) -> None:
    response = api.get("/static/graphiql/react-18.2.0/react.production.min.js")
    cache_control = {part.strip() for part in response.headers["cache-control"].split(",")}
    assert {"public", "immutable", f"max-age={365 * 24 * 60 * 60}"} <= cache_control


def test_the_assets_are_not_served_when_graphiql_is_off(database: Database) -> None:
    with serving(replace(TEST_SETTINGS, graphiql=False), database) as api:
        response = api.get("/static/graphiql/react-18.2.0/react.production.min.js")
    assert response.status_code == 404


# In a browser that can reach only the service ------------------------------------------------


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"The browser test must run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def live(database: Database) -> Iterator[str]:
    """The app under uvicorn on a loopback port of its own, in a thread, until the module ends."""
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    config = uvicorn.Config(create_app(TEST_SETTINGS, database=database), log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the service did not start")
        time.sleep(0.05)
    host, port = listening.getsockname()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        listening.close()


@pytest.fixture
def offline_page(live: str) -> Iterator[tuple[Page, list[str]]]:
    """A page of the system Chromium that may reach only the service, and what it was refused."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import Route, sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[dev]')")
    refused: list[str] = []

    def only_the_service(route: Route) -> None:
        if route.request.url.startswith(live + "/"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort("internetdisconnected")

    profile = tempfile.mkdtemp(prefix="polarity-chromium-")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch_persistent_context(
                profile, executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            try:
                page = browser.new_page()
                page.route("**/*", only_the_service)
                yield page, refused
            finally:
                browser.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def test_graphiql_renders_offline_and_runs_a_query_with_the_token_put_in_its_headers(
    live: str, offline_page: tuple[Page, list[str]]
) -> None:
    from playwright.sync_api import expect

    page, refused = offline_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{live}/graphql")
    editor = page.locator(".graphiql-query-editor .CodeMirror")
    expect(editor).to_be_visible(timeout=RENDERED_WITHIN_MS)
    expect(page.locator("#graphiql")).not_to_contain_text("Loading...")
    headers = page.locator(".graphiql-editor-tool .CodeMirror").filter(visible=True)
    expect(headers).to_contain_text('"Authorization": "Bearer "')  # the hint

    headers.click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(json.dumps(bearer("alice", "steward")))
    page.get_by_role("button", name="Execute query").click()

    response = page.locator(".graphiql-response")
    expect(response).to_contain_text('"alice"', timeout=RENDERED_WITHIN_MS)
    expect(response).to_contain_text('"STEWARD"')
    assert errors == []
    assert refused == []
