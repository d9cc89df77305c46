"""Reporting over HTTP: the portfolio view's filters and pages, and read-your-writes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from uuid import uuid4

import pytest
from litestar.testing import TestClient
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from service.database import Database
from service.tracing import Tracing
from service.web import create_app
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
            f={"orgUnit": unit, "kind": "IMPROVEMENT_ITEM"},
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


ORDERED = """query($f: PortfolioFilter, $order: PortfolioOrder, $first: Int! = 2, $after: String,
    $last: Int, $before: String) {
  portfolio(filter: $f, orderBy: $order, first: $first, after: $after, last: $last,
      before: $before) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { node { title sponsor } } } }"""


def a_unit_of_initiatives(steward: Caller, sponsors: dict[str, str | None]) -> tuple[str, int]:
    """Initiatives titled as the keys of `sponsors` in a new org unit, each with its sponsor."""
    unit, last = f"unit-{uuid4().hex[:8]}", 0
    for title, sponsor in sponsors.items():
        gid = steward.ok("initiativePropose", title=title, problem="p", orgUnit=unit)
        last = gid["position"]
        if sponsor is not None:
            made = gid["initiative"]["id"]
            steward.ok("initiativeClassify", id=made, criteria=STRATEGIC, reason="big")
            last = steward.ok("initiativeAssignSponsor", id=made, sponsor=sponsor)["position"]
    return unit, last


def every_page(caller: Caller, unit: str, order: dict[str, str], backward: bool) -> list[str]:
    """The titles of the unit's initiatives, two a page, forward from the first page or back
    from the last, in the order the list gives them."""
    titles: list[str] = []
    cursor = None
    while True:
        paging = {"last": 2, "before": cursor} if backward else {"after": cursor}
        page = caller.query(ORDERED, f={"orgUnit": unit}, order=order, **paging)["portfolio"]
        shown = [edge["node"]["title"] for edge in page["edges"]]
        titles = shown + titles if backward else titles + shown
        info = page["pageInfo"]
        if not info["hasPreviousPage" if backward else "hasNextPage"]:
            return titles
        cursor = info["startCursor" if backward else "endCursor"]


def test_the_portfolio_is_ordered_by_a_field_either_way_and_pages_back_as_it_paged_forward(
    api: Client,
) -> None:
    steward = Caller(api, bearer("stella", "steward"))
    titles = ["delta", "alpha", "echo", "charlie", "bravo"]
    unit, last = a_unit_of_initiatives(steward, dict.fromkeys(titles))
    steward.query(PORTFOLIO, f={"orgUnit": unit}, first=1, at=last)

    for direction, expected in (("ASC", sorted(titles)), ("DESC", sorted(titles)[::-1])):
        order = {"field": "TITLE", "direction": direction}
        assert every_page(steward, unit, order, backward=False) == expected
        assert every_page(steward, unit, order, backward=True) == expected


def test_items_without_a_sponsor_come_last_whichever_way_the_sponsors_are_ordered(
    api: Client,
) -> None:
    steward = Caller(api, bearer("stella", "steward"))
    sponsors = {"one": None, "two": "zoe", "three": "amir", "four": None, "five": "maya"}
    unit, last = a_unit_of_initiatives(steward, sponsors)
    steward.query(PORTFOLIO, f={"orgUnit": unit}, first=1, at=last)

    def sponsors_in(direction: str, backward: bool) -> list[str | None]:
        order = {"field": "SPONSOR", "direction": direction}
        return [sponsors[t] for t in every_page(steward, unit, order, backward)]

    assert sponsors_in("ASC", backward=False) == ["amir", "maya", "zoe", None, None]
    assert sponsors_in("DESC", backward=False) == ["zoe", "maya", "amir", None, None]
    assert sponsors_in("DESC", backward=True) == ["zoe", "maya", "amir", None, None]


def test_paging_both_ways_at_once_is_refused_with_a_reason(api: Client) -> None:
    caller = Caller(api, bearer("aud", "auditor"))
    first = caller.query(ORDERED)["portfolio"]["pageInfo"]["endCursor"]

    for paging, said in (
        ({"after": first, "last": 2}, "Page forward with first and after, or back"),
        ({"before": first}, "before pages backward: give last"),
        ({"last": 101}, "last must be between 1 and 100"),
    ):
        (error,) = caller.raw(ORDERED, **paging)["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert said in error["message"]


def test_the_portfolio_choices_are_the_values_its_items_hold(api: Client) -> None:
    steward = Caller(api, bearer("stella", "steward"))
    unit, last = a_unit_of_initiatives(steward, {"one": "zoe-" + uuid4().hex[:6]})

    choices = steward.query(
        """query($at: Int) {
          portfolioChoices(consistentWith: $at) { stages orgUnits sponsors owners } }""",
        at=last,
    )["portfolioChoices"]

    assert unit in choices["orgUnits"]
    assert "PROPOSED" in choices["stages"] or "SCOPING" in choices["stages"]
    assert any(sponsor.startswith("zoe-") for sponsor in choices["sponsors"])
    for values in choices.values():
        assert len(values) == len(set(values))


class Traced:
    """The app, traced: the SQL statements it ran since the last look."""

    def __init__(self, client: Client, spans: InMemorySpanExporter) -> None:
        self.client, self.spans = client, spans

    def statements(self) -> list[str]:
        ran = [
            str((s.attributes or {}).get("db.statement")) for s in self.spans.get_finished_spans()
        ]
        self.spans.clear()
        return ran


@pytest.fixture
def traced(database: Database) -> Iterator[Traced]:
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    with TestClient(app=create_app(TEST_SETTINGS, database, tracing=Tracing(provider))) as client:
        traced = Traced(client, spans)
        traced.statements()  # what starting up ran
        yield traced


@pytest.mark.parametrize(
    ("query", "counts"),
    [
        ("{ portfolio(first: 3) { edges { node { title } } } }", False),
        ("{ portfolio(first: 3) { totalCount edges { node { title } } } }", True),
        ("{ decisionLog(first: 3) { edges { node { reason } } } }", False),
        (
            "{ decisionLog(first: 3) { ...total } } "
            "fragment total on DecisionConnection { totalCount }",
            True,
        ),
        ("{ teams(first: 3) { edges { node { name } } } }", False),
        ("{ teams(first: 3) { totalCount } }", True),
    ],
)
def test_a_list_counts_its_rows_only_when_asked_for_its_total(
    traced: Traced, query: str, counts: bool
) -> None:
    Caller(traced.client, bearer("rae", "steward")).query(query)

    assert any("count(*)" in statement for statement in traced.statements()) is counts
