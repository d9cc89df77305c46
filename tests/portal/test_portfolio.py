"""The Portfolio lists both paths as the API's portfolio query does: the same rows in the same
order for the same filters, its pages followed by the API's cursors, and its CSV download."""

from __future__ import annotations

import csv
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from portal.links import global_id, plain_id, work_url
from projections.bi import V1_COLUMNS
from tests.portal.conftest import Portal, photograph, serious_violations, sign_in

pytestmark = pytest.mark.database

ROWS = """query($filter: PortfolioFilter, $order: PortfolioOrder, $first: Int! = 25,
    $after: String) {
  portfolio(filter: $filter, orderBy: $order, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id kind title path stage orgUnit sponsor owner reviewOverdue objectiveIds } } }
  objectives(first: 100) { edges { node { id title } } } }"""
BY_TITLE = {"field": "TITLE", "direction": "ASC"}


def api_rows(portal: Portal, **variables: Any) -> dict[str, Any]:
    variables.setdefault("order", BY_TITLE)
    data = portal.graphql(ROWS, portal.token("priya.shah", "steward"), **variables)
    titles = {edge["node"]["id"]: edge["node"]["title"] for edge in data["objectives"]["edges"]}
    connection: dict[str, Any] = data["portfolio"]
    for edge in connection["edges"]:
        node = edge["node"]
        node["objectives"] = " ".join(titles[o] for o in node["objectiveIds"]) or "none"
    return connection


def expected(connection: dict[str, Any]) -> list[list[str]]:
    """Each row as the page should show it: its id, link, title, path, stage, org unit,
    objectives, sponsor, owner and whether its review is overdue."""
    return [
        [
            n["id"],
            work_url(n["kind"], plain_id(n["id"])),
            n["title"],
            n["path"].capitalize(),
            n["stage"].replace("_", " ").capitalize(),
            n["orgUnit"],
            n["objectives"],
            n["sponsor"] or "—",
            n["owner"] or "—",
            "overdue" if n["reviewOverdue"] else "due",
        ]
        for n in (edge["node"] for edge in connection["edges"])
    ]


def shown(page: Page) -> list[list[str]]:
    rows: list[list[str]] = page.locator("#portfolio tbody tr[data-id]").evaluate_all(
        r"""rows => rows.map(row => {
            const cells = [...row.children].map(c => c.innerText.trim());
            const link = row.querySelector('th a');
            return [row.dataset.id, link.getAttribute('href'), link.textContent,
                    cells[1], cells[2], cells[3], cells[4].replace(/\s*\n\s*/g, ' '),
                    cells[5], cells[6],
                    cells[7].startsWith('Overdue') ? 'overdue' : 'due'];
        })"""
    )
    return rows


def status(page: Page, path: str, portal: Portal) -> int:
    response = page.goto(portal.url(path))
    assert response is not None
    return response.status


def total(page: Page) -> int:
    return int(page.locator("#total data").get_attribute("value") or "-1")


def test_the_portfolio_shows_the_apis_rows_in_title_order_with_their_total(
    page: Page, portal: Portal
) -> None:
    api = api_rows(portal)
    sign_in(page, portal, "priya.shah", "steward", then="/portfolio")

    expect(page).to_have_title("Portfolio · Polarity")
    crumbs = page.get_by_role("navigation", name="Breadcrumb").locator("li")
    expect(crumbs).to_have_text(["Overview", "Portfolio"])
    assert shown(page) == expected(api)
    assert total(page) == api["totalCount"] > 25
    expect(page.locator("#portfolio th[aria-sort]")).to_have_attribute("aria-sort", "ascending")
    expect(page.locator("#portfolio th[aria-sort]")).to_contain_text("Title")


def test_the_filters_narrow_the_table_as_the_api_does(page: Page, portal: Portal) -> None:
    sign_in(page, portal, "priya.shah", "steward", then="/portfolio")
    page.select_option("#f-path", "OPERATIONAL")
    page.select_option("#f-stage", "STANDARDISED")
    page.check("#f-overdue")
    page.click("form.filter-form button[type=submit]")

    expect(page).to_have_url(
        re.compile(r"/portfolio\?path=OPERATIONAL&stage=STANDARDISED&.*overdue=1")
    )
    wanted = {"path": "OPERATIONAL", "stage": "STANDARDISED", "reviewOverdue": True}
    api = api_rows(portal, filter=wanted)
    assert api["totalCount"] > 0
    assert shown(page) == expected(api)
    assert total(page) == api["totalCount"]

    unit = page.locator("#f-org-unit option").nth(1).get_attribute("value") or ""
    objective = page.locator("#f-objective option").nth(1).get_attribute("value") or ""
    page.goto(portal.url(f"/portfolio?org_unit={unit}&objective={objective}"))
    wanted = {"orgUnit": unit, "objectiveId": global_id("Objective", objective)}
    api = api_rows(portal, filter=wanted)
    assert shown(page) == expected(api)
    assert total(page) == api["totalCount"]


def test_a_heading_orders_the_table_one_way_then_the_other(page: Page, portal: Portal) -> None:
    sign_in(page, portal, "priya.shah", "steward", then="/portfolio?owner=jakob.weber")

    for direction, aria in (("ASC", "ascending"), ("DESC", "descending")):
        page.click("#portfolio thead a:has-text('Stage')")
        heading = page.locator("#portfolio th[aria-sort]")
        expect(heading).to_have_attribute("aria-sort", aria)
        expect(heading).to_contain_text("Stage")
        order = {"field": "STAGE", "direction": direction}
        api = api_rows(portal, filter={"owner": "jakob.weber"}, order=order)
        assert shown(page) == expected(api)

    stages = [row[4] for row in shown(page)]
    assert stages == sorted(stages, reverse=True)


def test_next_and_previous_pages_follow_the_apis_cursors(page: Page, portal: Portal) -> None:
    first = api_rows(portal)
    second = api_rows(portal, after=first["pageInfo"]["endCursor"])
    sign_in(page, portal, "priya.shah", "steward", then="/portfolio")
    expect(page.locator("nav.pager a[rel=prev]")).to_have_count(0)

    page.click("nav.pager a[rel=next]")
    assert shown(page) == expected(second)
    page.click("nav.pager a[rel=next]")
    if second["pageInfo"]["hasNextPage"]:
        third = api_rows(portal, after=second["pageInfo"]["endCursor"])
        assert shown(page) == expected(third)
    page.click("nav.pager a[rel=prev]")
    assert shown(page) == expected(second)
    page.click("nav.pager a[rel=prev]")
    assert shown(page) == expected(first)
    expect(page.locator("nav.pager a[rel=prev]")).to_have_count(0)
    assert total(page) == first["totalCount"]


def test_a_bad_parameter_is_explained_and_the_page_still_shows(page: Page, portal: Portal) -> None:
    sign_in(page, portal, "priya.shah", "steward", then="/portfolio")

    assert status(page, "/portfolio?path=SIDEWAYS&sort=colour&objective=x", portal) == 200
    problems = page.locator("#problems")
    expect(problems).to_contain_text("Path cannot be 'SIDEWAYS'")
    expect(problems).to_contain_text("Sort cannot be 'colour'")
    expect(problems).to_contain_text("Objective 'x' is not the id of one")
    assert total(page) == api_rows(portal)["totalCount"]

    assert status(page, "/portfolio?stage=FLYING&after=bm90IGEgY3Vyc29y", portal) == 200
    expect(problems).to_contain_text("Showing the whole portfolio instead.")
    assert shown(page) == expected(api_rows(portal))


def test_the_portfolio_downloads_as_csv_with_every_item(page: Page, portal: Portal) -> None:
    sign_in(page, portal, "priya.shah", "steward", then="/portfolio")

    with page.expect_download() as download:
        page.click("a[href='/downloads/portfolio.csv']")
    assert download.value.suggested_filename == "portfolio.csv"
    with open(download.value.path(), newline="", encoding="utf-8") as file:
        header, *rows = list(csv.reader(file))

    assert header == list(V1_COLUMNS["portfolio"])
    assert len(rows) == api_rows(portal)["totalCount"]


def test_the_portfolio_works_without_javascript_and_passes_axe(page: Page, portal: Portal) -> None:
    sign_in(page, portal, "priya.shah", "steward", then="/portfolio?sort=review")
    assert serious_violations(page) == []
    photograph(page, "portfolio-by-review")

    browser = page.context.browser
    assert browser is not None
    context = browser.new_context(java_script_enabled=False)
    bare = context.new_page()
    sign_in(bare, portal, "priya.shah", "steward", then="/portfolio")
    bare.select_option("#f-path", "STRATEGIC")
    bare.click("form.filter-form button[type=submit]")
    assert shown(bare) == expected(api_rows(portal, filter={"path": "STRATEGIC"}))
    context.close()
