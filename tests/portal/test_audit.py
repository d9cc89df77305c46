"""The Audit page shows the API's own verification of the audit trail, its signed checkpoints and
the access log, to auditors and admins only."""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any
from uuid import uuid4

import httpx
import pytest
from click.testing import CliRunner
from playwright.sync_api import Page, expect

from service.cli import main
from service.database import Database
from service.demo import DemoPortfolio
from tests.portal.conftest import PORTAL_SETTINGS, Portal, sign_in

pytestmark = pytest.mark.database

INTEGRITY = """{ auditIntegrity { state verifiedThrough head breaks { position kind }
  lastCheckpoint { position keyId } }
  auditCheckpoints { position keyId hash } }"""
LOG = """query($f: AccessLogFilter, $after: String) {
  accessLog(filter: $f, first: 25, after: $after, newestFirst: true) {
    pageInfo { hasNextPage endCursor } edges { node { position actor at } } } }"""


@pytest.fixture(scope="module")
def signed(demo_database: tuple[Database, DemoPortfolio]) -> int:
    """A checkpoint of the demo's chain, signed as an operator signs one beside the service
    (`polarity audit checkpoint`); its position."""
    assert PORTAL_SETTINGS.audit_key
    runner = CliRunner(env={"POLARITY_AUDIT_KEY": PORTAL_SETTINGS.audit_key})
    database, _ = demo_database
    printed = runner.invoke(main, ["--database-url", database.url, "audit", "checkpoint"])
    assert printed.exit_code == 0, printed.output
    position: int = json.loads(printed.stdout)["position"]
    return position


def auditor(portal: Portal) -> str:
    return portal.token("noah.keller", "auditor")


def figures(page: Page) -> dict[str, str]:
    shown: dict[str, str] = dict(
        page.locator("#integrity [data-field]").evaluate_all(
            "facts => facts.map(f => [f.dataset.field, f.dataset.value])"
        )
    )
    return shown


def positions(page: Page, table: str) -> list[int]:
    found: list[int] = page.locator(f"#{table} tbody tr[data-position]").evaluate_all(
        "rows => rows.map(r => Number(r.dataset.position))"
    )
    return found


def reads_by(portal: Portal, actor: str, count: int) -> list[dict[str, Any]]:
    """`count` reads of the API by a new auditor `actor`, once the access log holds them all
    (it writes a moment after each response), newest first."""
    token = portal.token(actor, "auditor")
    for _ in range(count):
        response = httpx.post(
            portal.url("/graphql"),
            json={"query": "{ viewer { id } }"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200
    deadline = time.monotonic() + 10
    while True:
        entries = log(portal, actor=actor)
        if len(entries) >= count or time.monotonic() > deadline:
            return entries
        time.sleep(0.1)


def log(portal: Portal, **given: Any) -> list[dict[str, Any]]:
    """Every access-log entry matching `given`, newest first, read over GraphQL page by page."""
    found, after = [], None
    while True:
        page = portal.graphql(LOG, auditor(portal), f=given, after=after)["accessLog"]
        found += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


def test_the_integrity_of_the_audit_trail_is_the_apis_own_verification(
    page: Page, portal: Portal, signed: int
) -> None:
    sign_in(page, portal, "noah.keller", "auditor", then="/audit")
    api = portal.graphql(INTEGRITY, auditor(portal))
    integrity = api["auditIntegrity"]

    expect(page.locator("#integrity")).to_have_attribute("data-state", integrity["state"])
    assert integrity["state"] == "INTACT"
    expect(page.locator("#integrity .verdict")).to_contain_text("Intact")
    shown = figures(page)
    assert int(shown["verifiedThrough"]) == integrity["verifiedThrough"]
    assert int(shown["head"]) == integrity["head"]
    assert (
        int(shown["lastCheckpoint.position"]) == integrity["lastCheckpoint"]["position"] == signed
    )
    assert shown["lastCheckpoint.keyId"] == integrity["lastCheckpoint"]["keyId"]
    assert int(shown["breaks"]) == len(integrity["breaks"]) == 0
    newest_first = [c["position"] for c in reversed(api["auditCheckpoints"])]
    assert positions(page, "checkpoints") == newest_first[:10]
    hashes = page.locator("#checkpoints td.hex code").all_text_contents()[::2]
    assert hashes == [c["hash"] for c in reversed(api["auditCheckpoints"])][:10]


def test_the_access_log_is_filtered_by_who_and_when_and_paged_as_the_api_pages_it(
    page: Page, portal: Portal
) -> None:
    actor = f"auditor-{uuid4().hex[:8]}"
    entries = reads_by(portal, actor, 30)
    assert len(entries) == 30
    sign_in(page, portal, "noah.keller", "auditor", then="/audit")

    page.fill("#actor", actor)
    page.click("#access-log form button[type=submit]")

    rows = page.locator("#access tbody tr[data-position]")
    assert rows.evaluate_all("rows => rows.map(r => r.dataset.actor)") == [actor] * 25
    assert positions(page, "access") == [e["position"] for e in entries[:25]]
    page.click("nav[aria-label='Pages of the access log'] >> text=Older entries")
    assert positions(page, "access") == [e["position"] for e in entries[25:]]
    page.click("nav[aria-label='Pages of the access log'] >> text=Newest entries")
    assert positions(page, "access") == [e["position"] for e in entries[:25]]

    since = datetime.fromisoformat(entries[9]["at"]).replace(microsecond=0)
    page.fill("#since", since.strftime("%Y-%m-%dT%H:%M:%S"))
    page.click("#access-log form button[type=submit]")
    expected = log(portal, actor=actor, since=since.isoformat())
    assert positions(page, "access") == [e["position"] for e in expected][:25]
    assert len(expected) >= 10  # and those read in the same second before it
    page.fill("#until", since.strftime("%Y-%m-%dT%H:%M:%S"))
    page.click("#access-log form button[type=submit]")
    expect(page.get_by_role("alert")).to_contain_text("must come before its end")


def test_a_steward_is_told_the_audit_page_is_for_auditors_and_admins(
    page: Page, portal: Portal
) -> None:
    sign_in(page, portal, "priya.shah", "steward")

    response = page.goto(portal.url("/audit"))

    assert response is not None
    assert response.status == 403
    expect(page).to_have_title("Not for your roles · Polarity")
    expect(page.get_by_role("alert")).to_contain_text("admin, auditor")
    expect(page.locator("#integrity")).to_have_count(0)


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ("since=yesterday", "“yesterday” is not a date and time"),
        ("after=bm90IGEgY3Vyc29y", "is not a cursor this list gave out"),
        ("checkpoints=-1", "must be a whole number"),
        ("actor=" + "x" * 201, "A name has at most 200 characters"),
    ],
)
def test_a_filter_the_log_cannot_take_is_said_and_the_log_shown_unfiltered(
    page: Page, portal: Portal, query: str, said: str
) -> None:
    sign_in(page, portal, "noah.keller", "auditor")

    response = page.goto(portal.url(f"/audit?{query}"))

    assert response is not None
    assert response.status == 400
    expect(page.get_by_role("alert")).to_contain_text(said)
    expect(page.locator("#integrity .verdict")).to_be_visible()
