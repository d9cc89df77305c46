"""Capacity shows, for the quarter asked for (this quarter unless asked), each team's capacity and
allocations by path as the API computes them, marks over-allocation in words and signs, and
answers a quarter it cannot read with a sentence, not an error page."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from portal.periods import this_quarter
from tests.portal.conftest import Portal, serious_violations, sign_in

pytestmark = pytest.mark.database

FIGURES = """query($period: String) {
  capacity(period: $period) {
    teamId teamName orgUnit capacityFte strategicFte operationalFte allocatedFte utilisation
    allocations overAllocated }
  capacitySummary(period: $period) {
    orgUnit teams capacityFte strategicFte operationalFte allocatedFte utilisation
    overAllocatedTeams }
}"""
READER = ("priya.shah", "steward")


def api_figures(portal: Portal, period: str | None) -> dict[str, Any]:
    return portal.graphql(FIGURES, portal.token(*READER), period=period)


def shown_rows(page: Page, selector: str) -> list[list[str]]:
    """Each row's data attributes, then the exact values of its <data> figures."""
    rows: list[list[str]] = page.locator(selector).evaluate_all(
        """rows => rows.map(row => [
            ...Object.values(row.dataset),
            ...[...row.querySelectorAll('data')].map(d => d.value)])"""
    )
    return rows


def team_rows(teams: list[dict[str, Any]]) -> list[list[str]]:
    return [
        [
            t["teamId"],
            t["capacityFte"],
            t["strategicFte"],
            t["operationalFte"],
            t["allocatedFte"],
            t["utilisation"],
            str(t["allocations"]),
        ]
        for t in teams
    ]


def unit_rows(units: list[dict[str, Any]]) -> list[list[str]]:
    return [
        [
            u["orgUnit"],
            str(u["teams"]),
            u["capacityFte"],
            u["strategicFte"],
            u["operationalFte"],
            u["allocatedFte"],
            u["utilisation"],
            str(u["overAllocatedTeams"]),
        ]
        for u in units
    ]


def over_allocated_quarter(portal: Portal) -> str:
    over = portal.graphql("{ capacity(overAllocated: true) { period } }", portal.token(*READER))[
        "capacity"
    ]
    assert over, "the demo has an over-allocated team"
    period: str = over[0]["period"]
    return period


def test_without_a_quarter_the_page_shows_this_quarters_figures(page: Page, portal: Portal) -> None:
    quarter = this_quarter()
    api = api_figures(portal, quarter)
    sign_in(page, portal, *READER, then="/capacity")

    expect(page).to_have_title(f"Capacity in {quarter} · Polarity")
    expect(page.locator("#period")).to_have_value(quarter)
    assert api["capacity"], "the demo gives every team capacity this quarter"
    assert shown_rows(page, "#teams-table tbody tr") == team_rows(api["capacity"])
    assert shown_rows(page, "#units-table tbody tr") == unit_rows(api["capacitySummary"])


def test_an_over_allocated_team_is_marked_in_words_and_signs_not_colour_alone(
    page: Page, portal: Portal
) -> None:
    quarter = over_allocated_quarter(portal)
    api = api_figures(portal, quarter)
    sign_in(page, portal, *READER, then=f"/capacity?period={quarter}")

    assert shown_rows(page, "#teams-table tbody tr") == team_rows(api["capacity"])
    assert shown_rows(page, "#units-table tbody tr") == unit_rows(api["capacitySummary"])
    over = [t for t in api["capacity"] if t["overAllocated"]]
    marked = page.locator("#teams-table tbody tr.over-allocated")
    expect(marked).to_have_count(len(over))
    for team in over:
        row = page.locator(f"#teams-table tr[data-team='{team['teamId']}']")
        expect(row.locator("td.status")).to_contain_text("⚠ Over-allocated")
        expect(page.locator(".over-list")).to_contain_text(f"{team['teamName']} is over-allocated")
        chart_labels = page.locator("#teams-chart-caption ~ .chart-scroll svg text.tick")
        expect(chart_labels.filter(has_text=team["teamName"])).to_have_text(f"⚠ {team['teamName']}")
    within = page.locator("#teams-table tbody tr:not(.over-allocated) td.status")
    expect(within).to_have_text(["Within capacity"] * (len(api["capacity"]) - len(over)))
    assert serious_violations(page) == []


def test_the_overviews_over_allocation_link_opens_the_quarter_it_names(
    page: Page, portal: Portal
) -> None:
    sign_in(page, portal, *READER)
    check = page.locator("#check-teams_over_allocated")
    link = check.locator(".named a").first
    href = link.get_attribute("href") or ""
    assert href.startswith("/capacity?period=")
    link.click()

    quarter = href.removeprefix("/capacity?period=")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Capacity in {quarter}")
    expect(page.locator("#teams-table tbody tr.over-allocated")).not_to_have_count(0)
    crumbs = page.get_by_role("navigation", name="Breadcrumb").locator("li")
    expect(crumbs).to_have_text(["Overview", "Capacity"])


def test_choosing_a_quarter_in_the_form_shows_that_quarter(page: Page, portal: Portal) -> None:
    sign_in(page, portal, *READER, then="/capacity")
    options = page.locator("#period option").evaluate_all("os => os.map(o => o.value)")
    quarter = options[0]
    page.select_option("#period", quarter)
    page.click("form.filters button")

    expect(page).to_have_url(portal.url(f"/capacity?period={quarter}"))
    api = api_figures(portal, quarter)
    assert shown_rows(page, "#teams-table tbody tr") == team_rows(api["capacity"])
    assert api["capacity"], "teams have capacity in the first quarter the form offers"


@pytest.mark.parametrize("asked", ["2026-Q5", "next quarter", "1999-Q1"])
def test_a_quarter_that_cannot_be_read_gets_a_clear_message_and_a_400(
    page: Page, portal: Portal, asked: str
) -> None:
    sign_in(page, portal, *READER)
    response = page.goto(portal.url(f"/capacity?period={asked}"))

    assert response is not None
    assert response.status == 400
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(asked)
    expect(alert).to_contain_text("Choose a quarter above")
    expect(page.locator("#teams-table")).to_have_count(0)
    expect(page.locator("#period")).to_have_value(this_quarter())
    assert serious_violations(page) == []


def test_a_quarter_without_figures_says_so_and_links_those_with_figures(
    page: Page, portal: Portal
) -> None:
    sign_in(page, portal, *READER, then="/capacity?period=2031-Q1")

    expect(page.get_by_role("status")).to_contain_text("No team has capacity recorded for 2031-Q1")
    first = page.get_by_role("status").get_by_role("link").first
    quarter = first.text_content()
    first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Capacity in {quarter}")
