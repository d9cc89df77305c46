"""The Decision log shows the API's decisions for the same filters, pages by its cursors, links
each decision to its work item, and downloads as CSV with exactly the rows GraphQL counts."""

from __future__ import annotations

import csv
import re
import time
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from playwright.sync_api import Page, expect

from portal.links import global_id, work_url
from service.exports import exportable
from tests.portal.conftest import Portal, photograph, serious_violations, sign_in

pytestmark = pytest.mark.database

LOG = """query($filter: DecisionFilter, $first: Int! = 25, $after: String,
    $newest: Boolean! = true) {
  decisionLog(filter: $filter, first: $first, after: $after, newestFirst: $newest) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { position actorId reason recordedAt decisionType
      workItem { uuid kind title } } } } }"""
ACCESS = """query($actor: String!) { accessLog(filter: {actor: $actor}) {
  edges { node { path operation views ids status } } } }"""


def api_log(portal: Portal, **variables: Any) -> dict[str, Any]:
    data = portal.graphql(LOG, portal.token("noah.keller", "auditor"), **variables)
    log: dict[str, Any] = data["decisionLog"]
    return log


def expected(log: dict[str, Any]) -> list[list[str]]:
    """Each row as the page should show it: position, moment, actor, reason, work item link."""
    rows = []
    for node in (edge["node"] for edge in log["edges"]):
        work = node["workItem"]
        rows.append(
            [
                str(node["position"]),
                node["recordedAt"].replace("+00:00", "Z"),
                node["actorId"],
                node["reason"] or "—",
                work_url(work["kind"], work["uuid"]) if work else "",
                work["title"] if work else "",
            ]
        )
    return rows


def shown(page: Page) -> list[list[str]]:
    rows: list[list[str]] = page.locator("#decisions tbody tr[data-position]").evaluate_all(
        """rows => rows.map(row => {
            const work = row.querySelector('td:last-child a');
            return [row.dataset.position,
                    row.querySelector('th time').getAttribute('datetime'),
                    row.querySelector('td:nth-of-type(1) a').textContent,
                    row.querySelector('td:nth-of-type(4)').textContent.trim(),
                    work ? work.getAttribute('href') : '', work ? work.textContent : ''];
        })"""
    )
    return rows


def total(page: Page) -> int:
    return int(page.locator("#total data").get_attribute("value") or "-1")


def every_position(portal: Portal, wanted: dict[str, str]) -> list[int]:
    """The positions of every decision the filter selects, oldest first, page by page."""
    positions, after = [], None
    while True:
        log = api_log(portal, filter=wanted, first=100, after=after, newest=False)
        positions += [edge["node"]["position"] for edge in log["edges"]]
        if not log["pageInfo"]["hasNextPage"]:
            return positions
        after = log["pageInfo"]["endCursor"]


def audited(portal: Portal, who: str) -> list[dict[str, Any]]:
    """What the access log holds of `who`'s requests, once its writer has caught up."""
    deadline = time.monotonic() + 10
    while True:
        found = portal.graphql(ACCESS, portal.token("noah.keller", "auditor"), actor=who)
        entries = [edge["node"] for edge in found["accessLog"]["edges"]]
        if entries or time.monotonic() > deadline:
            return entries
        time.sleep(0.1)


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="", encoding="utf-8") as file:
        header, *rows = list(csv.reader(file))
    return header, rows


def test_the_log_shows_the_apis_decisions_newest_first_each_linked_to_its_work(
    page: Page, portal: Portal
) -> None:
    api = api_log(portal)
    sign_in(page, portal, "noah.keller", "auditor", then="/decisions")

    expect(page).to_have_title("Decision log · Polarity")
    crumbs = page.get_by_role("navigation", name="Breadcrumb").locator("li")
    expect(crumbs).to_have_text(["Overview", "Decision log"])
    assert shown(page) == expected(api)
    assert total(page) == api["totalCount"] > 25
    summaries = page.locator("#decisions tbody tr td:nth-of-type(3)").all_text_contents()
    assert all(text.strip() for text in summaries), "every decision says what it decided"


def test_the_filters_select_what_the_api_selects_for_the_same_filter(
    page: Page, portal: Portal
) -> None:
    sign_in(page, portal, "noah.keller", "auditor", then="/decisions")
    page.fill("#f-actor", "helen.wright")
    page.select_option("#f-type", "vote")
    page.fill("#f-from", "2025-01-01")
    page.fill("#f-to", "2026-06-30")
    page.select_option("#f-order", "oldest")
    page.click("form.filter-form button[type=submit]")

    expect(page).to_have_url(re.compile(r"actor=helen.wright&type=vote&.*from=2025-01-01"))
    wanted = {
        "actor": "helen.wright",
        "decisionType": "VOTE",
        "since": "2025-01-01T00:00:00Z",
        "until": "2026-07-01T00:00:00Z",
    }
    api = api_log(portal, filter=wanted, newest=False)
    assert 0 < api["totalCount"] < api_log(portal, filter={"actor": "helen.wright"})["totalCount"]
    assert shown(page) == expected(api)
    assert total(page) == api["totalCount"]


def test_a_work_items_decisions_are_one_link_away(page: Page, portal: Portal) -> None:
    sign_in(page, portal, "noah.keller", "auditor", then="/decisions")
    # The newest decision about a work item (another test may have retired an objective since).
    row = page.locator("#decisions tbody tr", has=page.get_by_role("link", name="its decisions"))
    title = row.first.locator("td:last-child a").first
    name, href = title.text_content() or "", title.get_attribute("href") or ""

    row.first.get_by_role("link", name="its decisions").click()

    uuid = href.rsplit("/", 1)[1]
    expect(page).to_have_url(portal.url(f"/decisions?subject={uuid}"))
    expect(page.locator(".subject")).to_have_text(f"Decisions about {name}.")
    api = api_log(portal, filter={"subjectId": global_id("Initiative", uuid)})
    assert shown(page) == expected(api)
    assert {row[4] for row in shown(page)} == {href}


def test_next_and_previous_pages_follow_the_apis_cursors(page: Page, portal: Portal) -> None:
    first = api_log(portal)
    second = api_log(portal, after=first["pageInfo"]["endCursor"])
    sign_in(page, portal, "noah.keller", "auditor", then="/decisions")

    page.click("nav.pager a[rel=next]")
    assert shown(page) == expected(second)
    page.click("nav.pager a[rel=next]")
    page.click("nav.pager a[rel=prev]")
    assert shown(page) == expected(second)
    page.click("nav.pager a[rel=prev]")
    assert shown(page) == expected(first)
    expect(page.locator("nav.pager a[rel=prev]")).to_have_count(0)


def test_bad_filters_are_explained_and_the_log_still_shows(page: Page, portal: Portal) -> None:
    sign_in(page, portal, "noah.keller", "auditor", then="/decisions")

    response = page.goto(
        portal.url("/decisions?type=coup&from=2026-13-01&subject=nobody&after=%21%21")
    )

    assert response is not None
    assert response.status == 200
    problems = page.locator("#problems")
    expect(problems).to_contain_text("Decision type cannot be 'coup'")
    expect(problems).to_contain_text("From '2026-13-01' is not a date like 2026-03-01.")
    expect(problems).to_contain_text("Work item 'nobody' is not the id of one.")
    expect(problems).to_contain_text("That page link is broken")
    assert total(page) == api_log(portal)["totalCount"]
    page.goto(portal.url("/decisions?from=2026-05-01&to=2026-04-01&after=999999999999"))
    expect(problems).to_contain_text("From is after To")


def test_the_filtered_log_downloads_as_csv_with_graphqls_count(page: Page, portal: Portal) -> None:
    who = f"csv-{uuid4().hex[:8]}"  # their downloads alone are theirs in the access log
    newest = api_log(portal, first=1)["edges"][0]["node"]  # someone's kind of decision
    actor, api_kind = newest["actorId"], newest["decisionType"]
    kind = api_kind.lower()  # as the log stores it, and the page's address and the CSV say it
    sign_in(page, portal, who, "steward", then="/decisions")
    page.goto(portal.url(f"/decisions?actor={actor}&type={kind}"))
    api_filter = {"actor": actor, "decisionType": api_kind}
    api = api_log(portal, filter=api_filter)

    with page.expect_download() as download:
        page.click("#csv")
    header, rows = read_csv(Path(download.value.path()))

    assert download.value.suggested_filename == "decision_log.csv"
    assert header == list(exportable()["decision_log"].columns)
    assert "subject_title" in header
    assert len(rows) == api["totalCount"] == total(page) > 0
    assert {(row[6], row[4]) for row in rows} == {(actor, kind)}
    assert [int(row[0]) for row in rows] == every_position(portal, api_filter)  # oldest first
    assert [(e["path"], e["operation"], e["views"]) for e in audited(portal, who)] == [
        (f"/decisions.csv?actor={actor}&type={kind}", "export", ["decision_log"])
    ]


def test_a_contributor_is_told_the_csv_is_not_for_their_roles(page: Page, portal: Portal) -> None:
    sign_in(page, portal, "lena.fischer", "contributor", then="/decisions")
    expect(page.locator("#csv")).to_have_count(0)

    response = page.goto(portal.url("/decisions.csv"))

    assert response is not None
    assert response.status == 403
    expect(page.get_by_role("alert")).to_contain_text(
        "Only these roles may read CSV exports: admin, auditor, gatekeeper, sponsor, steward."
    )


def test_every_export_the_service_lists_downloads_from_the_browser(
    page: Page, portal: Portal
) -> None:
    sign_in(page, portal, "noah.keller", "auditor", then="/downloads")
    links = page.locator("#exports a[download]")
    names = links.evaluate_all("links => links.map(a => a.textContent)")
    assert names == [f"{table}.csv" for table in exportable()] + ["access_log.csv"]

    for name in names:
        page.goto(portal.url("/downloads"))  # Chromium holds back many downloads from one page
        with page.expect_download() as download:
            page.click(f"#exports a:text-is('{name}')")
        header, rows = read_csv(Path(download.value.path()))
        table = name.removesuffix(".csv")
        assert download.value.suggested_filename == name
        if table in exportable():
            assert header == list(exportable()[table].columns)
        if table == "decision_log":
            assert len(rows) == api_log(portal)["totalCount"]
    assert serious_violations(page) == []


def test_the_decision_log_passes_axe_filtered_and_without_javascript(
    page: Page, portal: Portal
) -> None:
    sign_in(page, portal, "noah.keller", "auditor", then="/decisions")
    page.goto(portal.url("/decisions?type=gate&order=oldest"))
    assert serious_violations(page) == []
    photograph(page, "decisions-gates")

    browser = page.context.browser
    assert browser is not None
    context = browser.new_context(java_script_enabled=False)
    bare = context.new_page()
    sign_in(bare, portal, "noah.keller", "auditor", then="/decisions")
    bare.select_option("#f-type", "gate")
    bare.click("form.filter-form button[type=submit]")
    assert shown(bare) == expected(api_log(portal, filter={"decisionType": "GATE"}))
    context.close()
