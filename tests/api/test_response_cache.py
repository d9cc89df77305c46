"""The response cache over HTTP: a query over the views is answered again from the cache while
they have not moved, recomputed once a write moves them, never shared between roles, and not
kept at all with POLARITY_RESPONSE_CACHE_MB=0."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from uuid import uuid4

import psycopg
import pytest

from service.database import Database
from tests.api.conftest import TEST_SETTINGS, Client, bearer, serving
from tests.api.graphql import Caller
from tests.api.metrics import scrape, value
from tests.api.test_metrics import eventually

pytestmark = pytest.mark.database

CACHE = "polarity_graphql_response_cache_total"
OUTCOMES = ("hit", "joined", "miss")
PORTFOLIO = """query($f: PortfolioFilter, $at: Int) {
  portfolio(filter: $f, first: 10, consistentWith: $at) {
    totalCount edges { node { id uuid title stage reviewOverdue } } } }"""
DECISIONS = """query($subject: ID) {
  decisionLog(filter: {subjectId: $subject}, first: 10) {
    totalCount edges { node { position subjectUuid decisionType reason } } } }"""


class Counts:
    """The cache's hits and misses counted since it was made, read from GET /metrics."""

    def __init__(self, api: Client) -> None:
        self.api = api
        self.start = self.now()

    def now(self) -> dict[str, float]:
        samples = scrape(self.api)
        return {outcome: value(samples, CACHE, outcome=outcome) for outcome in OUTCOMES}

    def since(self) -> dict[str, float]:
        """The outcomes counted since; `joined` only when there were any."""
        now = self.now()
        counted = {outcome: now[outcome] - self.start[outcome] for outcome in OUTCOMES}
        return {k: v for k, v in counted.items() if k != "joined" or v}


@pytest.fixture
def counts(api: Client) -> Callable[[], Counts]:
    return lambda: Counts(api)


@pytest.fixture
def unit(api: Client) -> tuple[str, int]:
    """An org unit of this test's own with two improvement items; the position of the last."""
    steward = Caller(api, bearer("stella", "steward"))
    name = f"unit-{uuid4().hex[:8]}"
    steward.ok("improvementItemRaise", title="first", problem="p", area=name)
    last = steward.ok("improvementItemRaise", title="second", problem="p", area=name)
    wait_for_views(api, last["position"])
    return name, last["position"]


def wait_for_views(api: Client, position: int) -> None:
    """Return once the views hold the write at `position` (a query that waits is not kept)."""
    Caller(api, bearer("wes", "steward")).query(
        "query($at: Int) { a: portfolio(first: 1, consistentWith: $at) { totalCount } "
        "b: decisionLog(first: 1, consistentWith: $at) { totalCount } }",
        at=position,
    )


def test_a_repeated_query_is_answered_from_the_cache_with_the_same_answer(
    api: Client, unit: tuple[str, int], counts: Callable[[], Counts]
) -> None:
    name, position = unit
    reader = Caller(api, bearer("rae", "steward"))
    first = reader.raw(PORTFOLIO, f={"orgUnit": name}, at=position)
    counted = counts()

    again = reader.raw(PORTFOLIO, f={"orgUnit": name}, at=position)

    assert again == first
    assert first["data"]["portfolio"]["totalCount"] == 2
    assert counted.since() == {"hit": 1, "miss": 0}


def test_a_write_that_moves_the_view_is_seen_by_the_very_query_that_was_cached(
    api: Client, unit: tuple[str, int], counts: Callable[[], Counts]
) -> None:
    name, position = unit
    reader = Caller(api, bearer("rae", "steward"))
    reader.query(PORTFOLIO, f={"orgUnit": name}, at=position)  # computed, then kept
    steward = Caller(api, bearer("stella", "steward"))
    raised = steward.ok("improvementItemRaise", title="third", problem="p", area=name)

    wait_for_views(api, raised["position"])
    counted = counts()
    same_query_again = reader.query(PORTFOLIO, f={"orgUnit": name}, at=position)

    assert same_query_again["portfolio"]["totalCount"] == 3  # not the answer kept before
    assert counted.since() == {"hit": 0, "miss": 1}


def test_a_decision_is_in_the_log_as_soon_as_the_view_has_it(api: Client) -> None:
    steward = Caller(api, bearer("stella", "steward"))
    raised = steward.ok("improvementItemRaise", title="log me", problem="p", area="ops")
    item = raised["improvementItem"]["id"]
    reader = Caller(api, bearer("aria", "steward"))
    reader.query(DECISIONS, subject=item)  # whatever the view held then, now kept
    abandoned = steward.ok(
        "improvementItemAbandon", id=item, lessonLearned="none", reason="not worth it"
    )

    wait_for_views(api, abandoned["position"])
    found = reader.query(DECISIONS, subject=item)["decisionLog"]

    assert "not worth it" in [edge["node"]["reason"] for edge in found["edges"]]


def test_answers_are_kept_apart_by_role_and_shared_between_callers_of_the_same_roles(
    api: Client, unit: tuple[str, int], counts: Callable[[], Counts]
) -> None:
    name, position = unit
    Caller(api, bearer("rae", "steward")).query(PORTFOLIO, f={"orgUnit": name}, at=position)
    counted = counts()

    Caller(api, bearer("ari", "auditor")).query(PORTFOLIO, f={"orgUnit": name}, at=position)
    after_other_role = counted.since()
    Caller(api, bearer("sam", "steward")).query(PORTFOLIO, f={"orgUnit": name}, at=position)

    assert after_other_role == {"hit": 0, "miss": 1}
    assert counted.since() == {"hit": 1, "miss": 1}


def test_an_answer_with_errors_is_not_kept(api: Client, counts: Callable[[], Counts]) -> None:
    reader = Caller(api, bearer("rae", "steward"))
    bad = 'query { portfolio(first: 5, after: "not-a-cursor") { totalCount } }'
    counted = counts()

    answers = [reader.raw(bad) for _ in range(2)]

    assert all(answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT" for answer in answers)
    assert counted.since() == {"hit": 0, "miss": 2}


def test_a_query_that_also_asks_for_anything_else_is_never_cached(
    api: Client, unit: tuple[str, int], counts: Callable[[], Counts]
) -> None:
    name, _ = unit
    reader = Caller(api, bearer("rae", "steward"))
    text = """query($f: PortfolioFilter) { viewer { id }
      portfolio(filter: $f, first: 5) { totalCount } }"""
    counted = counts()

    for _ in range(2):
        reader.query(text, f={"orgUnit": name})

    assert counted.since() == {"hit": 0, "miss": 0}


def test_with_no_megabytes_for_it_nothing_is_cached(database: Database) -> None:
    with serving(replace(TEST_SETTINGS, response_cache_mb=0), database) as client:
        reader = Caller(client, bearer("rae", "steward"))
        name = f"unit-{uuid4().hex[:8]}"
        raised = Caller(client, bearer("stella", "steward")).ok(
            "improvementItemRaise", title="only", problem="p", area=name
        )
        wait_for_views(client, raised["position"])
        counted = Counts(client)

        answers = [reader.query(PORTFOLIO, f={"orgUnit": name}, at=raised["position"])]
        answers.append(reader.query(PORTFOLIO, f={"orgUnit": name}, at=raised["position"]))

    assert answers[0] == answers[1]
    assert answers[0]["portfolio"]["totalCount"] == 1
    assert counted.since() == {"hit": 0, "miss": 0}


def test_an_answer_that_changes_with_the_clock_is_kept_only_until_a_review_falls_due(
    own_database: Database,
) -> None:
    with serving(TEST_SETTINGS, own_database) as client:
        raised = Caller(client, bearer("stella", "steward")).ok(
            "improvementItemRaise", title="due soon", problem="p", area="ops"
        )
        wait_for_views(client, raised["position"])
        with psycopg.connect(own_database.conninfo, autocommit=True) as conn:
            # As if its review were set a moment ahead: the view does not move, the clock does.
            conn.execute("UPDATE reporting.portfolio SET next_review_due = now() + interval '1 s'")
        reader = Caller(client, bearer("rae", "steward"))
        text = "{ portfolio(first: 1) { edges { node { reviewOverdue } } } }"

        def overdue() -> bool:
            edge = reader.query(text)["portfolio"]["edges"][0]
            return bool(edge["node"]["reviewOverdue"])

        before = [overdue(), overdue()]
        counted = Counts(client)
        time.sleep(1.5)
        after = overdue()

    assert before == [False, False]
    assert after is True
    assert counted.since() == {"hit": 0, "miss": 1}


def test_identical_queries_that_arrive_together_compute_the_answer_once(
    own_database: Database,
) -> None:
    clients = 6
    with serving(TEST_SETTINGS, own_database) as client:
        name = f"unit-{uuid4().hex[:8]}"
        raised = Caller(client, bearer("stella", "steward")).ok(
            "improvementItemRaise", title="wanted", problem="p", area=name
        )
        wait_for_views(client, raised["position"])
        reader = Caller(client, bearer("rae", "steward"))
        counted = Counts(client)
        with (
            ThreadPoolExecutor(clients) as pool,
            psycopg.connect(own_database.conninfo) as lock,  # released first, should it fail
        ):
            # The first to arrive waits on the view while the others come in (as when a view
            # has just moved and every client's next query misses).
            lock.execute("LOCK TABLE reporting.portfolio IN ACCESS EXCLUSIVE MODE")
            asked = [
                pool.submit(reader.raw, PORTFOLIO, f={"orgUnit": name}) for _ in range(clients)
            ]
            eventually(lambda: counted.since() == {"hit": 0, "joined": clients - 1, "miss": 1})
            lock.rollback()
            answers = [future.result() for future in asked]

    assert all(answer == answers[0] for answer in answers)
    assert answers[0]["data"]["portfolio"]["totalCount"] == 1
