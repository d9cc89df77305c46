"""Kaizen flow shows the API's figures on the demo: raised against completed per week as a chart
and a table of the same figures, the items unassigned or stagnant linking to their pages, and the
standardisation rate; the window of weeks is a parameter, checked."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from portal.links import work_url
from tests.portal.conftest import Portal, serious_violations, sign_in

pytestmark = pytest.mark.database

FIGURES = """{
  kaizenFlow {
    weeks { week raised completed standardised abandoned escalated }
    unassigned { uuid title since days }
    stagnant { uuid title owner since days }
    standardisation { finished standardised abandoned escalated rate }
  }
}"""
READER = ("lena.fischer", "contributor")


def api_flow(portal: Portal) -> dict[str, Any]:
    flow: dict[str, Any] = portal.graphql(FIGURES, portal.token(*READER))["kaizenFlow"]
    return flow


def shown_rows(page: Page, selector: str) -> list[list[str]]:
    """Each row's data attributes, then the exact values of its <data> figures."""
    rows: list[list[str]] = page.locator(selector).evaluate_all(
        """rows => rows.map(row => [
            ...Object.values(row.dataset),
            ...[...row.querySelectorAll('data')].map(d => d.value)])"""
    )
    return rows


def week_rows(weeks: list[dict[str, Any]]) -> list[list[str]]:
    return [
        [w["week"]]
        + [str(w[n]) for n in ("raised", "completed", "standardised", "abandoned", "escalated")]
        for w in weeks
    ]


def test_raised_and_completed_per_week_are_charted_with_the_api_figures_as_a_table(
    page: Page, portal: Portal
) -> None:
    flow = api_flow(portal)
    sign_in(page, portal, *READER, then="/kaizen")

    expect(page).to_have_title("Kaizen flow · Polarity")
    latest = flow["weeks"][-26:]
    assert shown_rows(page, "#flow-table tbody tr") == week_rows(latest)
    chart = page.locator("#flow-chart-caption").locator("..")
    expect(chart.locator("svg[role=img] > title")).to_contain_text("raised and completed")
    bars = chart.locator("svg rect.bar")
    expect(bars).to_have_count(2 * len(latest))
    expect(chart.locator(".legend li")).to_have_text(["Raised", "Completed"])
    heights = bars.evaluate_all("rs => rs.map(r => Number(r.getAttribute('height')))")
    figures = [n for w in latest for n in (w["raised"], w["completed"])]
    assert [h > 0 for h in heights] == [n > 0 for n in figures]


def test_the_window_of_weeks_is_chosen_in_the_form(page: Page, portal: Portal) -> None:
    flow = api_flow(portal)
    sign_in(page, portal, *READER, then="/kaizen")

    page.select_option("#weeks", "all")
    page.click("form.filters button")
    expect(page).to_have_url(portal.url("/kaizen?weeks=all"))
    assert shown_rows(page, "#flow-table tbody tr") == week_rows(flow["weeks"])
    assert len(flow["weeks"]) > 52, "the demo spans eighteen months"

    page.goto(portal.url("/kaizen?weeks=13"))
    assert shown_rows(page, "#flow-table tbody tr") == week_rows(flow["weeks"][-13:])
    expect(page.locator("#weeks")).to_have_value("13")


@pytest.mark.parametrize("asked", ["7", "-1", "a year"])
def test_a_window_not_offered_gets_a_clear_message_and_the_default_window(
    page: Page, portal: Portal, asked: str
) -> None:
    flow = api_flow(portal)
    sign_in(page, portal, *READER)
    response = page.goto(portal.url(f"/kaizen?weeks={asked}"))

    assert response is not None
    assert response.status == 400
    expect(page.get_by_role("alert")).to_contain_text(f"Weeks '{asked}' is not a choice here")
    expect(page.get_by_role("alert")).to_contain_text("Showing the last 26 weeks instead")
    assert shown_rows(page, "#flow-table tbody tr") == week_rows(flow["weeks"][-26:])
    assert serious_violations(page) == []


def test_unassigned_and_stagnant_items_link_to_their_pages(page: Page, portal: Portal) -> None:
    flow = api_flow(portal)
    sign_in(page, portal, *READER, then="/kaizen")

    for name in ("unassigned", "stagnant"):
        items = flow[name]
        assert items, f"the demo has {name} improvement items"
        table = page.locator(f"#{name}-table")
        assert shown_rows(page, f"#{name}-table tbody tr") == [
            [item["uuid"], str(item["days"])] for item in items
        ]
        links = table.locator("tbody a").evaluate_all(
            "links => links.map(a => [a.getAttribute('href'), a.textContent])"
        )
        assert links == [[work_url("IMPROVEMENT_ITEM", i["uuid"]), i["title"]] for i in items]
        moments = table.locator("tbody time").evaluate_all(
            "ts => ts.map(t => t.getAttribute('datetime'))"
        )
        assert moments == [i["since"].replace("+00:00", "Z") for i in items]

    first = flow["stagnant"][0]
    page.locator("#stagnant-table tbody a").first.click()
    expect(page).to_have_url(portal.url(f"/improvements/{first['uuid']}"))


def test_the_standardisation_rate_is_the_apis(page: Page, portal: Portal) -> None:
    rate = api_flow(portal)["standardisation"]
    sign_in(page, portal, *READER, then="/kaizen")

    card = page.locator(".figure-card", has_text="Standardisation rate")
    assert card.locator(".card-value data").get_attribute("value") == rate["rate"]
    values = card.locator(".card-note data").evaluate_all("ds => ds.map(d => d.value)")
    assert values == [str(rate[n]) for n in ("standardised", "finished", "abandoned", "escalated")]
    flow = api_flow(portal)
    for label, name in (("Unassigned for more", "unassigned"), ("Stagnant for more", "stagnant")):
        count = page.locator(".figure-card", has_text=label).locator(".card-value data")
        assert count.get_attribute("value") == str(len(flow[name]))
