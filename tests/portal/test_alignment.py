"""Alignment shows the API's objective tree on the demo: breakthrough objectives over their annual
objectives, each with the work aligned to it and how strongly, linking to the work; the work
aligned to nothing; and the objectives nothing serves."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from portal.links import plain_id, work_url
from tests.portal.conftest import Portal, sign_in

pytestmark = pytest.mark.database

FIGURES = """query($at: Int) {
  alignment(consistentWith: $at) {
    objectives {
      uuid title level parentUuid work strategic operational strong moderate weak viaChildren }
    unservedObjectives { uuid title level owner due }
    unalignedWork { uuid kind title createdAt }
    servingWork { objectiveUuid uuid kind title strength }
  }
}"""
READER = ("priya.shah", "steward")
COUNTS = ("work", "strategic", "operational", "strong", "moderate", "weak", "viaChildren")


def api_alignment(portal: Portal, at: int | None = None) -> dict[str, Any]:
    figures: dict[str, Any] = portal.graphql(FIGURES, portal.token(*READER), at=at)["alignment"]
    return figures


def test_each_objective_sits_under_its_breakthrough_with_the_work_serving_it(
    page: Page, portal: Portal
) -> None:
    api = api_alignment(portal)
    sign_in(page, portal, *READER, then="/alignment")

    expect(page).to_have_title("Alignment · Polarity")
    tree = page.locator("#tree ~ .objective-tree").first
    tops = [o["uuid"] for o in api["objectives"] if o["level"] == "BREAKTHROUGH"]
    shown_tops = tree.locator(":scope > li").evaluate_all("ls => ls.map(l => l.dataset.objective)")
    assert shown_tops == tops
    for objective in api["objectives"]:
        node = page.locator(f".objective-tree li[data-objective='{objective['uuid']}']")
        if objective["level"] == "ANNUAL" and objective["parentUuid"] in tops:
            parent = page.locator(f"li[data-objective='{objective['parentUuid']}']")
            expect(
                parent.locator(f".annual > li[data-objective='{objective['uuid']}']")
            ).to_have_count(1)
        expect(node.locator(":scope > h3, :scope > h4")).to_contain_text(objective["title"])
        serving = [w for w in api["servingWork"] if w["objectiveUuid"] == objective["uuid"]]
        assert len(serving) == objective["work"]
        shown = node.locator(":scope > .serving > li").evaluate_all(
            """ls => ls.map(l => [l.dataset.work, l.querySelector('a').getAttribute('href'),
                l.querySelector('.strength').textContent])"""
        )
        assert shown == [
            [
                w["uuid"],
                work_url(w["kind"], w["uuid"]),
                f"{w['strength'].capitalize()} contribution",
            ]
            for w in serving
        ]
    assert api["servingWork"], "the demo aligns work to its objectives"


def test_the_figures_by_objective_are_the_apis(page: Page, portal: Portal) -> None:
    api = api_alignment(portal)
    sign_in(page, portal, *READER, then="/alignment")

    shown = page.locator("#objectives-table tbody tr").evaluate_all(
        """rows => rows.map(row => [row.dataset.objective,
            ...[...row.querySelectorAll('data')].map(d => d.value)])"""
    )
    assert shown == [[o["uuid"], *(str(o[n]) for n in COUNTS)] for o in api["objectives"]]


def test_work_aligned_to_nothing_links_to_its_page(page: Page, portal: Portal) -> None:
    api = api_alignment(portal)
    sign_in(page, portal, *READER, then="/alignment")

    unaligned = api["unalignedWork"]
    assert unaligned, "the demo has work that serves no objective"
    rows = page.locator("#unaligned-table tbody tr")
    shown = rows.evaluate_all(
        """rows => rows.map(row => [row.dataset.work, row.querySelector('a').getAttribute('href'),
            row.querySelector('time').getAttribute('datetime')])"""
    )
    assert shown == [
        [w["uuid"], work_url(w["kind"], w["uuid"]), w["createdAt"].replace("+00:00", "Z")]
        for w in unaligned
    ]
    rows.first.get_by_role("link").click()
    expect(page).to_have_url(portal.url(work_url(unaligned[0]["kind"], unaligned[0]["uuid"])))


@pytest.fixture
def unserved_objective(portal: Portal) -> Iterator[dict[str, Any]]:
    """An annual objective defined through the API that no work serves, retired after the test."""
    token = portal.token(*READER)
    defined = portal.graphql(
        """mutation { objectiveDefine(input: {title: "Open a service desk in Lyon",
             level: ANNUAL, owner: "maria.santos", due: "2027-12-31",
             kpis: [{name: "tickets closed", target: "500"}]}) {
             objective { id } position userErrors { code } } }""",
        token,
    )["objectiveDefine"]
    assert defined["userErrors"] == []
    objective_id = defined["objective"]["id"]
    try:
        yield {"id": plain_id(objective_id), "position": defined["position"]}
    finally:
        retired = portal.graphql(
            """mutation($id: ID!) { objectiveRetire(input: {id: $id,
                 reason: "defined by the portal's tests"}) { userErrors { code } } }""",
            token,
            id=objective_id,
        )["objectiveRetire"]
        assert retired["userErrors"] == []


def test_an_objective_nothing_serves_is_listed_and_stands_apart_in_the_tree(
    page: Page, portal: Portal, unserved_objective: dict[str, Any]
) -> None:
    api = api_alignment(portal, at=unserved_objective["position"])
    sign_in(page, portal, *READER, then="/alignment")

    unserved = page.locator("#unserved-table tbody tr").evaluate_all(
        """rows => rows.map(row => [row.dataset.objective, row.querySelector('th').textContent,
            row.querySelector('time').getAttribute('datetime')])"""
    )
    assert unserved == [[o["uuid"], o["title"], o["due"]] for o in api["unservedObjectives"]]
    assert unserved_objective["id"] in [row[0] for row in unserved]
    loose = page.locator(
        f"#loose ~ .objective-tree li[data-objective='{unserved_objective['id']}']"
    )
    expect(loose).to_contain_text("No work aligned directly")


def test_on_a_phone_the_tree_reads_without_scrolling_sideways(page: Page, portal: Portal) -> None:
    sign_in(page, portal, *READER, then="/alignment")
    page.set_viewport_size({"width": 375, "height": 800})

    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    tree = page.locator(".objective-tree").first
    assert tree.evaluate("t => t.scrollWidth <= t.clientWidth")
