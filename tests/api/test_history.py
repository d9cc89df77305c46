"""History is read a page at a time: at most 100 events, oldest first, with their number."""

from __future__ import annotations

import pytest

from tests.api.conftest import Client, bearer
from tests.api.graphql import Caller

pytestmark = pytest.mark.database

HISTORY = """query($id: ID!, $first: Int!, $after: String) {
  history(id: $id, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { version type } } } }"""


@pytest.fixture(scope="module")
def busy_team(api: Client) -> str:
    """A team with 130 events: registered, then its capacity set 129 times."""
    steward = Caller(api, bearer("stella", "steward"))
    team: str = steward.ok("teamRegister", name="Busy", orgUnit="Ops")["team"]["id"]
    for n in range(129):
        steward.ok("teamSetCapacity", id=team, period="2027-Q1", fte=str(n + 1), reason="plan")
    return team


def test_history_pages_through_every_event_once_in_order(api: Client, busy_team: str) -> None:
    auditor = Caller(api, bearer("aud", "auditor"))
    versions: list[int] = []
    pages: list[int] = []
    after = None
    while True:
        page = auditor.query(HISTORY, id=busy_team, first=100, after=after)["history"]
        assert page["totalCount"] == 130
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        versions += [edge["node"]["version"] for edge in page["edges"]]
        pages.append(len(page["edges"]))
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert pages == [100, 30]
    assert versions == list(range(1, 131))


def test_a_page_starts_after_the_cursor_of_any_edge(api: Client, busy_team: str) -> None:
    auditor = Caller(api, bearer("aud", "auditor"))
    first = auditor.query(HISTORY, id=busy_team, first=3)["history"]["edges"]

    after_second = auditor.query(HISTORY, id=busy_team, first=2, after=first[1]["cursor"])

    assert [e["node"]["version"] for e in after_second["history"]["edges"]] == [3, 4]


@pytest.mark.parametrize("first", [0, 101])
def test_a_page_holds_one_to_a_hundred_events(api: Client, busy_team: str, first: int) -> None:
    body = Caller(api, bearer("aud", "auditor")).raw(HISTORY, id=busy_team, first=first)

    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


def test_the_history_of_nothing_is_empty(api: Client) -> None:
    nothing = "VGVhbTpmNzc4MmRlNS03MmU0LTQ1ZTctYTRjMS02ODhkMTQ3NzcxYTc="

    page = Caller(api, bearer("aud", "auditor")).query(HISTORY, id=nothing, first=10)

    assert page["history"]["totalCount"] == 0
    assert page["history"]["edges"] == []
