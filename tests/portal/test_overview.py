"""The Overview shows the figures the API computes, on the demo, in the reader's time zone."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from portal.links import work_url
from tests.portal.conftest import Portal, sign_in

pytestmark = pytest.mark.database

FIGURES = """{
  pathBalance { path orgUnit period workItems allocations fte budget }
  strategicShare(overall: true) {
    period strategicFte operationalFte allocatedFte strategicShare bandLow bandHigh insideBand }
  strategic: portfolio(filter: {path: STRATEGIC}) { totalCount }
  operational: portfolio(filter: {path: OPERATIONAL}) { totalCount }
  governanceHealth { name count healthy workItems(first: 10) { uuid kind title } }
}"""
NAV = [
    "/", "/portfolio", "/pipeline", "/capacity", "/kaizen", "/alignment", "/decisions", "/audit",
    "/downloads",
]  # fmt: skip


def api_figures(portal: Portal) -> dict[str, Any]:
    return portal.graphql(FIGURES, portal.token("priya.shah", "steward"))


def shown_rows(page: Page, selector: str) -> list[list[str]]:
    """Each row's key attributes and the exact values of its <data> figures."""
    rows: list[list[str]] = page.locator(selector).evaluate_all(
        """rows => rows.map(row => [
            ...Object.values(row.dataset),
            ...[...row.querySelectorAll('data')].map(d => d.value)])"""
    )
    return rows


def card(page: Page, path: str) -> dict[str, str]:
    """A path's card: each figure's label and exact value."""
    return dict(
        page.locator(f".card.path-{path} dl > div").evaluate_all(
            "items => items.map(i => [i.querySelector('dt').textContent, "
            "i.querySelector('data').value])"
        )
    )


def test_the_two_paths_show_the_api_figures_of_the_quarter_asked_for(
    page: Page, portal: Portal
) -> None:
    api = api_figures(portal)
    quarter = api["strategicShare"][1]["period"]
    sign_in(page, portal, "priya.shah", "steward", then=f"/?period={quarter}")

    expect(page.locator("#paths")).to_have_text(f"The two paths in {quarter}")
    in_quarter = [row for row in api["pathBalance"] if row["period"] == quarter]
    expected = [
        [r["path"], r["orgUnit"], str(r["workItems"]), str(r["allocations"]), r["fte"], r["budget"]]
        for r in in_quarter
    ]
    assert sorted(shown_rows(page, "#balance tbody tr[data-path]")) == sorted(expected)
    (share,) = [row for row in api["strategicShare"] if row["period"] == quarter]
    for path, fte in (
        ("STRATEGIC", share["strategicFte"]),
        ("OPERATIONAL", share["operationalFte"]),
    ):
        figures = card(page, path.lower())
        rows = [r for r in in_quarter if r["path"] == path]
        assert int(figures["Work items holding team time"]) == sum(r["workItems"] for r in rows)
        assert Decimal(figures["FTE allocated"]) == Decimal(fte)
        assert Decimal(figures["Budget allocated"]) == sum(Decimal(r["budget"]) for r in rows)
        assert int(figures["In the portfolio, all stages"]) == api[path.lower()]["totalCount"]


def test_the_strategic_share_is_charted_with_the_api_figures_as_its_text_equivalent(
    page: Page, portal: Portal
) -> None:
    api = api_figures(portal)
    sign_in(page, portal, "helen.wright", "gatekeeper")

    chart = page.locator("figure.chart")
    expect(chart.locator("svg[role=img] > title")).to_contain_text("Strategic share")
    expect(chart.locator("svg circle.point")).to_have_count(len(api["strategicShare"]))
    expected = [
        [
            row["period"],
            row["strategicFte"],
            row["operationalFte"],
            row["allocatedFte"],
            row["strategicShare"],
            row["bandLow"],
            row["bandHigh"],
        ]
        for row in api["strategicShare"]
    ]
    assert shown_rows(page, "#share-table tbody tr") == expected
    outside = [row for row in api["strategicShare"] if row["insideBand"] is False]
    expect(chart.locator("svg circle.point.marked")).to_have_count(len(outside))


def test_each_health_question_is_answered_with_links_to_the_work_it_names(
    page: Page, portal: Portal
) -> None:
    api = api_figures(portal)
    sign_in(page, portal, "noah.keller", "auditor")

    assert page.locator(".checks > li").count() == len(api["governanceHealth"])
    for check in api["governanceHealth"]:
        item = page.locator(f"#check-{check['name']}")
        answer = "All clear" if check["healthy"] else f"{check['count']} "
        expect(item.locator(".answer")).to_contain_text(answer)
        if check["workItems"]:
            links = item.locator(".named a").evaluate_all(
                "links => links.map(a => [a.getAttribute('href'), a.textContent])"
            )
            expected = [[work_url(w["kind"], w["uuid"]), w["title"]] for w in check["workItems"]]
            assert links == expected
    unhealthy = [c for c in api["governanceHealth"] if c["workItems"]]
    assert unhealthy, "the demo has work items that need attention"


def test_every_page_has_a_title_a_breadcrumb_and_the_main_navigation(
    page: Page, portal: Portal
) -> None:
    sign_in(page, portal, "priya.shah", "steward")

    expect(page).to_have_title("Overview · Polarity")
    expect(page.get_by_role("navigation", name="Breadcrumb")).to_have_text("Overview")
    navigation = page.get_by_role("navigation", name="Portal pages")
    hrefs = navigation.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert hrefs == NAV
    expect(navigation.locator("a[aria-current=page]")).to_have_text("Overview")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_moments_read_in_the_readers_time_zone_with_utc_on_hover(
    browser: Browser, portal: Portal
) -> None:
    for zone in ("America/New_York", "Asia/Tokyo"):
        context = browser.new_context(timezone_id=zone, locale="en-US")
        page = context.new_page()
        sign_in(page, portal, "priya.shah", "steward")
        moment = page.locator(".who time")
        utc = datetime.fromisoformat(moment.get_attribute("datetime") or "")
        assert moment.get_attribute("title") == utc.strftime("%d %b %Y %H:%M UTC")
        local = utc.astimezone(ZoneInfo(zone))
        expect(moment).to_contain_text(local.strftime("%b %d, %Y, %I:%M %p"))
        context.close()


def test_the_overview_reads_the_same_without_javascript(browser: Browser, portal: Portal) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, portal, "priya.shah", "steward")

    moment = page.locator(".who time")
    expect(moment).to_have_text(moment.get_attribute("title") or "")  # UTC, as served
    expect(page.locator("figure.chart svg")).to_be_visible()
    expect(page.locator(".checks > li").first).to_be_visible()
    page.select_option("#period", index=0)
    page.click("form.filters button")
    expect(page).to_have_url(portal.url(f"/?period={page.locator('#period').input_value()}"))
    context.close()


def test_on_a_phone_only_the_tables_scroll_sideways_not_the_page(
    page: Page, portal: Portal
) -> None:
    sign_in(page, portal, "priya.shah", "steward")
    page.set_viewport_size({"width": 375, "height": 800})

    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    widest = page.locator(".table-wrap").evaluate_all(
        "wraps => Math.max(...wraps.map(w => w.scrollWidth - w.clientWidth))"
    )
    assert widest > 0, "the tables are wider than a phone and scroll in their wrapper"


def test_a_page_loads_nothing_from_anywhere_but_polarity(page: Page, portal: Portal) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    sign_in(page, portal, "priya.shah", "steward")
    page.reload()

    assert requested
    assert [url for url in requested if not url.startswith(portal.base)] == []
    styles = page.evaluate("[...document.styleSheets].map(s => s.href)")
    assert styles == [portal.url("/static/portal/portal.css")]
    assert page.evaluate("getComputedStyle(document.body).margin") == "0px"  # it applied
