"""Reporting over HTTP: the portfolio view's filters and pages, and read-your-writes."""

from __future__ import annotations

from dataclasses import replace
from uuid import uuid4

import pytest

from service.database import Database
from tests.api.conftest import TEST_SETTINGS, Client, bearer, serving
from tests.api.graphql import STRATEGIC, Caller

pytestmark = pytest.mark.database

PORTFOLIO = """query($f: PortfolioFilter, $first: Int!, $after: String, $at: Int) {
  portfolio(filter: $f, first: $first, after: $after, consistentWith: $at) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id kind path title stage orgUnit sponsor classifiedPath fte version } } } }"""


def test_a_query_consistent_with_a_write_sees_that_write(api: Client) -> None:
    steward = Caller(api, bearer("stella", "steward"))
    unit = f"unit-{uuid4().hex[:8]}"
    proposed = steward.ok("initiativePropose", title="Fresh", problem="p", orgUnit=unit)
    classified = steward.ok(
        "initiativeClassify", id=proposed["initiative"]["id"], criteria=STRATEGIC, reason="big"
    )

    seen = steward.query(PORTFOLIO, f={"orgUnit": unit}, first=5, at=classified["position"])

    (edge,) = seen["portfolio"]["edges"]
    assert edge["node"]["id"] == proposed["initiative"]["id"]
    assert edge["node"]["classifiedPath"] == "STRATEGIC"
    assert edge["node"]["version"] == classified["version"]


def test_the_portfolio_filters_and_pages_with_a_total(api: Client) -> None:
    steward = Caller(api, bearer("stella", "steward"))
    unit = f"unit-{uuid4().hex[:8]}"
    last = 0
    for n in range(5):
        raised = steward.ok("improvementItemRaise", title=f"fix {n}", problem="p", area=unit)
        last = raised["position"]
    steward.ok("initiativePropose", title="Big", problem="p", orgUnit=unit)

    titles, after = [], None
    while True:
        page = steward.query(
            PORTFOLIO,
            f={"orgUnit": unit, "kind": "improvement_item"},
            first=2,
            after=after,
            at=last,
        )["portfolio"]
        titles += [edge["node"]["title"] for edge in page["edges"]]
        assert page["totalCount"] == 5
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert sorted(titles) == [f"fix {n}" for n in range(5)]


def test_a_query_waiting_for_a_position_the_views_never_reach_is_told_so(
    own_database: Database,
) -> None:
    settings = replace(TEST_SETTINGS, projections_inline=False)
    with serving(settings, own_database) as client:
        written = Caller(client, bearer("stella", "steward")).ok(
            "teamRegister", name="Unprojected", orgUnit="Ops"
        )
        caller = Caller(client, bearer("aud", "auditor"))

        body = caller.raw(PORTFOLIO, first=1, at=written["position"])

    (error,) = body["errors"]
    assert error["extensions"]["code"] == "NOT_YET_CONSISTENT"


def test_a_position_nothing_was_written_at_is_refused_at_once(api: Client) -> None:
    caller = Caller(api, bearer("aud", "auditor"))

    body = caller.raw(PORTFOLIO, first=1, at=2**31 - 1)

    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "Nothing has been written at position" in error["message"]
