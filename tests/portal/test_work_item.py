"""A work item's page shows its state and timeline as the API reads them, and "view as of" shows
it as it was at an earlier version or moment, marked as a past view."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from portal.links import global_id, work_url
from tests.portal.conftest import Portal, photograph, serious_violations, sign_in

pytestmark = pytest.mark.database

STATE = """query($id: ID!, $version: Int, $asOf: DateTime) {
  initiative(id: $id, version: $version, asOf: $asOf) {
    title version stage nextGate sponsor budget lastReview openConditions proposer
    classification { decided recommended overridden }
    gateDecisions { version gate outcome stageBefore voters }
    alignments { strength objective { title } } allocations { period fte team { name } } } }"""
HISTORY = """query($id: ID!, $after: String) {
  history(id: $id, first: 25, after: $after) {
    totalCount pageInfo { endCursor }
    edges { node { version type recordedAt reason actor { id roles onBehalfOf }
      changes { field from to } } } } }"""
REVIEWS = """query($id: ID!) { gateReviews(initiativeId: $id, first: 6) {
  gate status chair votes { gatekeeper outcome } } }"""
ITEM = """query($id: ID!) { improvementItem(id: $id) {
  title stage owner due raisedBy lastReview actDecision result { expected actual }
  allocation { period fte team { name } } } }"""


def steward(portal: Portal) -> str:
    return portal.token("priya.shah", "steward")


def initiative(portal: Portal, uuid: str, **at: Any) -> dict[str, Any]:
    gid = global_id("Initiative", uuid)
    found: dict[str, Any] = portal.graphql(STATE, steward(portal), id=gid, **at)
    return dict(found["initiative"])


def history(portal: Portal, gid: str, after: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = portal.graphql(HISTORY, steward(portal), id=gid, after=after)
    return dict(found["history"])


def facts(page: Page) -> dict[str, str]:
    """Each fact of the item's state the page shows: its API field and exact value."""
    shown: dict[str, str] = dict(
        page.locator("dl.facts [data-field][data-value]").evaluate_all(
            "facts => facts.map(f => [f.dataset.field, f.dataset.value])"
        )
    )
    return shown


def timeline(page: Page) -> list[dict[str, Any]]:
    """The events the page lists: version, type, actor, roles, when, why and what changed."""
    events: list[dict[str, Any]] = page.locator("ol.timeline > li").evaluate_all(
        """items => items.map(li => ({
            version: Number(li.dataset.version), type: li.dataset.type, actor: li.dataset.actor,
            roles: li.querySelector('.roles').textContent,
            at: li.querySelector('.who-when time').getAttribute('datetime'),
            reason: li.querySelector('.reason q')?.textContent ?? null,
            fields: [...li.querySelectorAll('.changes li')].map(c => c.dataset.field)}))"""
    )
    return events


def expected_timeline(edges: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The API's events as the page should list them; the fields an event creates empty (a
    proposal's empty lists and nulls) go unsaid."""
    empty = (None, "null", "[]", "{}", '""')
    return [
        {
            "version": n["version"],
            "type": n["type"],
            "actor": n["actor"]["id"],
            "roles": f"({', '.join(r.lower() for r in n['actor']['roles'])})",
            "at": datetime.fromisoformat(n["recordedAt"]),
            "reason": n["reason"],
            "fields": [
                c["field"] for c in n["changes"] if c["from"] is not None or c["to"] not in empty
            ],
        }
        for n in (edge["node"] for edge in edges)
    ]


def as_listed(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**e, "at": datetime.fromisoformat(e["at"])} for e in events]


def test_a_health_link_leads_to_an_initiative_whose_state_and_timeline_are_the_apis(
    page: Page, portal: Portal
) -> None:
    sign_in(page, portal, "priya.shah", "steward")
    links = page.locator(".checks .named a[href^='/initiatives/']")
    named = {a.get_attribute("href") or "" for a in links.all()}
    assert named, "the governance-health questions name initiatives on the demo"
    passed = {href: initiative(portal, href.rpartition("/")[2])["gateDecisions"] for href in named}
    href = max(sorted(passed), key=lambda h: len(passed[h]))
    assert passed[href], "one of the initiatives they name has passed a gate"

    links.and_(page.locator(f"[href='{href}']")).first.click()

    expect(page).to_have_url(portal.url(href))
    uuid = href.rpartition("/")[2]
    api = initiative(portal, uuid)
    expect(page.locator("h1")).to_have_text(api["title"])
    expect(page).to_have_title(f"{api['title']} · Polarity")
    shown = facts(page)
    assert shown["stage"] == api["stage"]
    assert shown["nextGate"] == (api["nextGate"] or "")
    assert shown["sponsor"] == (api["sponsor"] or "")
    assert shown["budget"] == api["budget"]
    assert shown["lastReview"] == (api["lastReview"] or "")
    assert shown["openConditions"] == "; ".join(api["openConditions"])
    assert shown["classification.decided"] == api["classification"]["decided"]
    assert shown["classification.overridden"] == str(api["classification"]["overridden"]).lower()
    decisions = page.locator("#gate-decisions tbody tr[data-version]").evaluate_all(
        "rows => rows.map(r => [Number(r.dataset.version), r.dataset.gate, r.dataset.outcome])"
    )
    assert decisions == [[d["version"], d["gate"], d["outcome"]] for d in api["gateDecisions"]]
    allocations = page.locator("#allocations tbody tr[data-period]").evaluate_all(
        "rows => rows.map(r => [r.dataset.period, r.querySelector('th').textContent, "
        "r.querySelector('data').value])"
    )
    assert allocations == [[a["period"], a["team"]["name"], a["fte"]] for a in api["allocations"]]
    api_history = history(portal, global_id("Initiative", uuid))
    assert as_listed(timeline(page)) == expected_timeline(api_history["edges"])


def test_an_initiatives_gate_reviews_show_every_vote_the_api_gives(
    page: Page, portal: Portal, page_paths: dict[str, str]
) -> None:
    path = page_paths["initiative"]
    reviews = portal.graphql(
        REVIEWS, steward(portal), id=global_id("Initiative", path.rpartition("/")[2])
    )["gateReviews"]
    sign_in(page, portal, "helen.wright", "gatekeeper", then=path)

    shown = page.locator("article.review").evaluate_all(
        """cards => cards.map(card => [card.dataset.gate, card.dataset.status,
            [...card.querySelectorAll('tbody tr[data-gatekeeper]')]
              .map(r => [r.dataset.gatekeeper, r.dataset.outcome])])"""
    )
    assert reviews, "the demo initiative was reviewed at its gates"
    assert shown == [
        [r["gate"], r["status"], [[v["gatekeeper"], v["outcome"]] for v in r["votes"]]]
        for r in reviews
    ]


def test_view_as_of_an_earlier_version_shows_the_stage_before_its_first_gate(
    browser: Browser, portal: Portal, page_paths: dict[str, str]
) -> None:
    path = page_paths["initiative"]
    uuid = path.rpartition("/")[2]
    first_gate = initiative(portal, uuid)["gateDecisions"][0]
    before = first_gate["version"] - 1
    context = browser.new_context(java_script_enabled=False)  # a plain GET form
    page = context.new_page()
    sign_in(page, portal, "priya.shah", "steward", then=path)
    now_stage = facts(page)["stage"]

    page.fill("#version", str(before))
    page.click("form.as-of button[type=submit]")

    expect(page).to_have_url(portal.url(f"{path}?as_of=&version={before}"))
    then = initiative(portal, uuid, version=before)
    assert then["stage"] == first_gate["stageBefore"] != now_stage
    assert facts(page)["stage"] == then["stage"]
    expect(page.locator(".past-view")).to_contain_text(f"version {before}")
    expect(page).to_have_title(f"{then['title']} (as of version {before}) · Polarity")
    chosen = page.locator("ol.timeline > li.chosen")
    expect(chosen).to_have_attribute("data-version", str(before))
    expect(chosen).to_have_attribute("aria-current", "step")
    later = page.locator("ol.timeline > li.later").evaluate_all(
        "items => items.map(li => Number(li.dataset.version))"
    )
    assert later == list(range(before + 1, min(25, history_total(portal, uuid)) + 1))

    page.click(".past-view a.now-link")
    expect(page).to_have_url(portal.url(path))
    assert facts(page)["stage"] == now_stage
    expect(page.locator(".past-view")).to_have_count(0)
    context.close()


def history_total(portal: Portal, uuid: str) -> int:
    return int(history(portal, global_id("Initiative", uuid))["totalCount"])


def test_each_event_links_to_the_item_as_that_event_left_it(
    page: Page, portal: Portal, page_paths: dict[str, str]
) -> None:
    path = page_paths["initiative"]
    uuid = path.rpartition("/")[2]
    decided = initiative(portal, uuid)["gateDecisions"][1]
    sign_in(page, portal, "noah.keller", "auditor", then=path)

    page.click(f"#event-{decided['version']} a.as-of-link")

    expect(page.locator("ol.timeline > li.chosen")).to_have_attribute(
        "data-version", str(decided["version"])
    )
    then = initiative(portal, uuid, version=decided["version"])
    assert facts(page)["stage"] == then["stage"]
    shown = page.locator("#gate-decisions tbody tr[data-version]").evaluate_all(
        "rows => rows.map(r => r.dataset.gate)"
    )
    assert shown == [d["gate"] for d in then["gateDecisions"]]
    assert serious_violations(page) == []
    photograph(page, "initiative-as-of")


def test_view_as_of_a_moment_shows_the_last_version_recorded_by_then(
    page: Page, portal: Portal, page_paths: dict[str, str]
) -> None:
    path = page_paths["initiative"]
    uuid = path.rpartition("/")[2]
    events = history(portal, global_id("Initiative", uuid))["edges"]
    moment = datetime.fromisoformat(events[5]["node"]["recordedAt"]) + timedelta(seconds=1)
    sign_in(page, portal, "priya.shah", "steward", then=path)

    page.fill("#as-of", moment.strftime("%Y-%m-%dT%H:%M:%S"))
    page.click("form.as-of button[type=submit]")

    then = initiative(portal, uuid, asOf=moment.isoformat())
    assert then["version"] == events[5]["node"]["version"]
    expect(page.locator("ol.timeline > li.chosen")).to_have_attribute(
        "data-version", str(then["version"])
    )
    assert facts(page)["stage"] == then["stage"]
    expect(page.locator(".past-view")).to_contain_text(f"version {then['version']}")


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ("version=abc", "The version must be a whole number of 1 or more, not “abc”."),
        ("version=0", "The version must be a whole number of 1 or more, not “0”."),
        ("version=9999", "There is no version 9999: this initiative has"),
        ("as_of=yesterday", "“yesterday” is not a date and time"),
        ("as_of=1999-01-01T00:00", "did not exist yet at 01 Jan 1999 00:00 UTC: its first event"),
        ("as_of=3100-01-01", "3100 is not a year Polarity records"),
        ("as_of=2026-01-01&version=3", "Give a moment or a version"),
        ("from=x", "The first event of the page must be a whole number"),
        ("from=5000", "The timeline has"),
    ],
)
def test_a_point_or_page_the_item_cannot_be_shown_at_is_said_and_it_is_shown_now(
    page: Page, portal: Portal, page_paths: dict[str, str], query: str, said: str
) -> None:
    path = page_paths["initiative"]
    sign_in(page, portal, "priya.shah", "steward")

    response = page.goto(portal.url(f"{path}?{query}"))

    assert response is not None
    assert response.status == 400
    expect(page.get_by_role("alert")).to_contain_text(said)
    expect(page.locator("h1")).to_have_text("Enter the Nordic market")
    expect(page.locator("#state-heading")).to_have_text("State now")


def test_the_timeline_pages_through_every_event_of_a_long_history(
    page: Page, portal: Portal, page_paths: dict[str, str]
) -> None:
    path = page_paths["initiative"]
    gid = global_id("Initiative", path.rpartition("/")[2])
    first = history(portal, gid)
    assert first["totalCount"] > 25, "the demo initiative has more events than a page"
    rest = history(portal, gid, after=first["pageInfo"]["endCursor"])
    sign_in(page, portal, "priya.shah", "steward", then=path)

    page.click("nav[aria-label='Timeline pages, above the events'] >> text=Later events")

    assert as_listed(timeline(page)) == expected_timeline(rest["edges"])
    page.click("nav[aria-label='Timeline pages, below the events'] >> text=Earlier events")
    assert as_listed(timeline(page)) == expected_timeline(first["edges"])


def test_an_improvement_items_page_shows_its_state_as_the_api_reads_it(
    page: Page, portal: Portal, page_paths: dict[str, str]
) -> None:
    path = page_paths["improvement"]
    gid = global_id("ImprovementItem", path.rpartition("/")[2])
    api = portal.graphql(ITEM, steward(portal), id=gid)["improvementItem"]
    sign_in(page, portal, "jakob.weber", "contributor", then=path)

    expect(page.locator("h1")).to_have_text(api["title"])
    shown = facts(page)
    assert shown["stage"] == api["stage"]
    assert shown["owner"] == (api["owner"] or "")
    assert shown["due"] == (api["due"] or "")
    assert shown["actDecision"] == api["actDecision"]
    assert shown["result"] == f"{api['result']['expected']}/{api['result']['actual']}"
    allocation = api["allocation"]
    row = page.locator(f"#allocations tbody tr[data-period='{allocation['period']}']")
    expect(row.locator("th")).to_have_text(allocation["team"]["name"])
    expect(row.locator("data")).to_have_attribute("value", allocation["fte"])
    assert as_listed(timeline(page)) == expected_timeline(history(portal, gid)["edges"])


def test_an_item_is_reached_by_its_global_id_and_an_unknown_id_is_a_404_page(
    page: Page, portal: Portal, demo_ids: dict[str, str]
) -> None:
    sign_in(page, portal, "priya.shah", "steward")
    uuid, item = demo_ids["initiative"], demo_ids["improvement"]

    page.goto(portal.url(f"/initiatives/{global_id('Initiative', uuid)}?version=3"))
    expect(page).to_have_url(portal.url(f"/initiatives/{uuid}?version=3"))
    page.goto(portal.url(f"/initiatives/{item}"))  # an improvement item's id
    expect(page).to_have_url(portal.url(work_url("IMPROVEMENT_ITEM", item)))
    page.goto(portal.url(f"/improvements/{uuid.upper()}"))
    expect(page).to_have_url(portal.url(f"/initiatives/{uuid}"))

    for address, said in [
        ("/initiatives/00000000-0000-4000-8000-000000000000", "No initiative has the id"),
        ("/initiatives/not-an-id", "is not the id of any initiative"),
        (f"/improvements/{global_id('Team', uuid)}", "This id names a team, not a work item."),
    ]:
        response = page.goto(portal.url(address))
        assert response is not None
        assert response.status == 404, address
        expect(page.get_by_role("alert")).to_contain_text(said)
        expect(page.get_by_role("navigation", name="Breadcrumb")).to_be_visible()
