"""Pipeline and gates shows the figures the API computes, on the demo: items and time per stage
on both paths, decisions by gate and outcome, the kill rate, open conditional gos and open gate
reviews with their age."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from domain.gates import Gate, Outcome, Stage
from domain.improvement import PdcaStage
from portal.links import plain_id
from tests.portal.conftest import Portal, serious_violations, sign_in

pytestmark = pytest.mark.database

FIGURES = """{
  pipeline {
    itemsPerStage { path stage items }
    timeInStage { path stage avgDays maxDays }
    decisionsByGate { gate outcome decisions }
    killRate { gate decided killed killRate }
    openConditionalGos { initiativeId title gate decidedAt conditions nextGateDate daysOpen }
    openGateReviews { reviewId initiativeId title gate chair panel votes openedAt daysOpen }
  }
  gateReviews(status: OPEN, first: 50) { id gatekeepers }
}"""
STAGES = {
    "STRATEGIC": [s.value for s in Stage],
    "OPERATIONAL": [s.value for s in PdcaStage],
}
READER = ("priya.shah", "steward")


def api_figures(portal: Portal) -> dict[str, Any]:
    return portal.graphql(FIGURES, portal.token(*READER))


def shown_rows(page: Page, selector: str) -> list[list[str]]:
    """Each row's data attributes, then the exact values of its <data> and <time> elements."""
    rows: list[list[str]] = page.locator(selector).evaluate_all(
        """rows => rows.map(row => [
            ...Object.values(row.dataset),
            ...[...row.querySelectorAll('data, time')].map(
                d => d.tagName === 'DATA' ? d.value : d.getAttribute('datetime'))])"""
    )
    return rows


def test_each_stage_of_both_paths_shows_the_api_count_and_time_in_stage(
    page: Page, portal: Portal
) -> None:
    api = api_figures(portal)["pipeline"]
    sign_in(page, portal, *READER, then="/pipeline")

    expect(page).to_have_title("Pipeline and gates · Polarity")
    for path, stages in STAGES.items():
        counts = {r["stage"]: r["items"] for r in api["itemsPerStage"] if r["path"] == path}
        ages = {r["stage"]: r for r in api["timeInStage"] if r["path"] == path}
        shown = shown_rows(page, f"#stages-{path.lower()}-table tbody tr")
        assert [row[:3] for row in shown] == [
            [path, stage, str(counts.get(stage, 0))] for stage in stages
        ]
        for _, stage, _, *days in shown:
            kept = [ages[stage]["avgDays"], ages[stage]["maxDays"]] if stage in ages else []
            assert same_days(days, kept), stage
        chart = page.locator(f"#stages-{path.lower()}-caption").locator("..")
        expect(chart.locator("svg[role=img] > title")).to_contain_text("work items per stage")
        expect(chart.locator("svg rect.bar")).to_have_count(sum(1 for n in counts.values() if n))
    assert sum(r["items"] for r in api["itemsPerStage"]) > 40, "the demo fills both paths"


def test_decisions_by_gate_and_outcome_and_the_kill_rate_are_the_apis(
    page: Page, portal: Portal
) -> None:
    api = api_figures(portal)["pipeline"]
    sign_in(page, portal, *READER, then="/pipeline")

    decided = {(r["gate"], r["outcome"]): r["decisions"] for r in api["decisionsByGate"]}
    kills = {r["gate"]: r for r in api["killRate"]}
    expected = []
    for gate in Gate:
        kill = kills.get(gate.value)
        expected.append(
            [gate.value]
            + [str(decided.get((gate.value, o.value), 0)) for o in Outcome]
            + ([str(kill["decided"]), str(kill["killed"]), kill["killRate"]] if kill else [])
        )
    assert shown_rows(page, "#decisions tbody tr") == expected
    overall = page.locator(".figure-card", has_text="Kill rate over all gates")
    assert overall.locator(".card-value data").get_attribute("value") == kills[None]["killRate"]
    expect(overall).to_contain_text(f"{kills[None]['killed']} of {kills[None]['decided']}")
    assert kills[None]["killed"] >= 1, "the demo killed an initiative at a gate"


def test_open_conditional_gos_link_to_their_initiative_with_the_apis_age(
    page: Page, portal: Portal
) -> None:
    api = api_figures(portal)["pipeline"]
    sign_in(page, portal, *READER, then="/pipeline")

    gos = api["openConditionalGos"]
    assert gos, "the demo has a conditional go whose conditions are open"
    shown = shown_rows(page, "#conditional-table tbody tr[data-initiative]")
    assert [row[:-1] for row in shown] == [
        [
            plain_id(go["initiativeId"]),
            utc(go["decidedAt"]),
            str(go["conditions"]),
            go["nextGateDate"],
        ]
        for go in gos
    ]
    assert same_days([row[-1] for row in shown], [go["daysOpen"] for go in gos])
    first = page.locator("#conditional-table tbody tr").first.get_by_role("link")
    expect(first).to_have_text(gos[0]["title"])
    first.click()
    expect(page).to_have_url(portal.url(f"/initiatives/{plain_id(gos[0]['initiativeId'])}"))


def same_days(shown: list[str], read: list[str]) -> bool:
    """Ages in days, as shown and as the API gave them a moment before: the same to the
    hundredth of a day the views round them to (one may have ticked over in between)."""
    return len(shown) == len(read) and all(
        abs(float(a) - float(b)) <= 0.011 for a, b in zip(shown, read, strict=True)
    )


def utc(moment: str) -> str:
    """An API moment (…+00:00) and a page's <time datetime> (…Z) compare as the same text."""
    return moment.replace("+00:00", "Z")


@pytest.fixture
def open_review(portal: Portal) -> Iterator[dict[str, Any]]:
    """A gate review opened on a demo initiative through the API, withdrawn after the test."""
    token = portal.token(*READER)
    planning = portal.graphql(
        "{ portfolio(filter: {kind: INITIATIVE, stage: PLANNING}, first: 1) "
        "{ edges { node { id title } } } }",
        token,
    )["portfolio"]["edges"][0]["node"]
    opened = portal.graphql(
        """mutation($id: ID!) { initiativeOpenGateReview(input: {id: $id, chair: "helen.wright",
             gatekeepers: ["helen.wright", "rafael.moreno", "ingrid.falk"]}) {
             reviewId position userErrors { code message } } }""",
        token,
        id=planning["id"],
    )["initiativeOpenGateReview"]
    assert opened["userErrors"] == []
    review_id = opened["reviewId"]
    try:
        yield {"id": review_id, "initiative": planning, "position": opened["position"]}
    finally:
        withdrawn = portal.graphql(
            """mutation($id: ID!) { initiativeWithdrawGateReview(
                 input: {reviewId: $id, reason: "opened by the portal's tests"}) {
                 userErrors { code } } }""",
            token,
            id=review_id,
        )["initiativeWithdrawGateReview"]
        assert withdrawn["userErrors"] == []


def test_an_open_gate_review_shows_its_panel_votes_and_age(
    page: Page, portal: Portal, open_review: dict[str, Any]
) -> None:
    token = portal.token(*READER)
    portal.graphql(
        "query($at: Int!) { pipeline(consistentWith: $at) { killRate { gate } } }",
        token,
        at=open_review["position"],
    )
    api = api_figures(portal)["pipeline"]
    sign_in(page, portal, *READER, then="/pipeline")

    (review,) = [r for r in api["openGateReviews"] if r["reviewId"] == open_review["id"]]
    row = page.locator(f"#reviews-table tr[data-initiative='{plain_id(review['initiativeId'])}']")
    expect(row.get_by_role("link")).to_have_text(open_review["initiative"]["title"])
    values = row.locator("data").evaluate_all("ds => ds.map(d => d.value)")
    assert values[:2] == [str(review["votes"]), str(review["panel"])] == ["0", "3"]
    assert same_days(values[2:], [review["daysOpen"]])
    expect(row).to_contain_text("helen.wright (not yet), rafael.moreno (not yet)")
    assert utc(review["openedAt"]) == row.locator("time").get_attribute("datetime")
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        assert serious_violations(page) == []
