"""History is read a page at a time: at most 100 events, oldest first, with their number."""

from __future__ import annotations

import base64

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


# Boundaries: the last page, past the end, and a deep page's changes ------------------------------

CHANGES = """query($id: ID!, $first: Int!, $after: String) {
  history(id: $id, first: $first, after: $after) {
    totalCount edges { node { version changes { field from to } } } } }"""
TEAM_AT = """query($id: ID!, $version: Int, $asOf: DateTime) {
  team(id: $id, version: $version, asOf: $asOf) { version capacity { period fte } } }"""
RECORDED_AT = """query($id: ID!, $first: Int!, $after: String) {
  history(id: $id, first: $first, after: $after) { edges { node { recordedAt } } } }"""


def cursor_after(version: int) -> str:
    return base64.urlsafe_b64encode(f"version:{version}".encode()).decode()


@pytest.mark.parametrize(
    ("after", "first", "versions", "has_next"),
    [
        (100, 30, (101, 130), False),  # ends exactly at the last event
        (100, 29, (101, 129), True),  # one short of it
        (129, 100, (130, 130), False),  # the last event alone
    ],
)
def test_a_page_near_the_end_says_whether_more_follow(
    api: Client, busy_team: str, after: int, first: int, versions: tuple[int, int], has_next: bool
) -> None:
    auditor = Caller(api, bearer("aud", "auditor"))

    page = auditor.query(HISTORY, id=busy_team, first=first, after=cursor_after(after))["history"]

    assert [edge["node"]["version"] for edge in page["edges"]] == list(
        range(versions[0], versions[1] + 1)
    )
    assert page["pageInfo"] == {
        "hasNextPage": has_next,
        "hasPreviousPage": True,
        "endCursor": cursor_after(versions[1]),
    }
    assert page["totalCount"] == 130


def test_a_page_past_the_last_event_is_empty_and_still_counts_them_all(
    api: Client, busy_team: str
) -> None:
    auditor = Caller(api, bearer("aud", "auditor"))

    page = auditor.query(HISTORY, id=busy_team, first=10, after=cursor_after(130))["history"]

    assert page["edges"] == []
    assert page["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": True, "endCursor": None}
    assert page["totalCount"] == 130


def test_a_deep_page_shows_what_each_event_changed_from_the_version_before_it(
    api: Client, busy_team: str
) -> None:
    auditor = Caller(api, bearer("aud", "auditor"))

    page = auditor.query(CHANGES, id=busy_team, first=2, after=cursor_after(97))["history"]

    assert page["totalCount"] == 130
    assert [(edge["node"]["version"], edge["node"]["changes"]) for edge in page["edges"]] == [
        (98, [{"field": "capacity.2027-Q1", "from": '"96"', "to": '"97"'}]),
        (99, [{"field": "capacity.2027-Q1", "from": '"97"', "to": '"98"'}]),
    ]


def test_a_long_lived_team_reads_at_any_version_and_moment(api: Client, busy_team: str) -> None:
    auditor = Caller(api, bearer("aud", "auditor"))
    (edge,) = auditor.query(RECORDED_AT, id=busy_team, first=1, after=cursor_after(56))["history"][
        "edges"
    ]

    at_version = auditor.query(TEAM_AT, id=busy_team, version=57)["team"]
    at_moment = auditor.query(TEAM_AT, id=busy_team, asOf=edge["node"]["recordedAt"])["team"]
    now = auditor.query(TEAM_AT, id=busy_team)["team"]

    assert (
        at_version == at_moment == {"version": 57, "capacity": [{"period": "2027-Q1", "fte": "56"}]}
    )
    assert now == {"version": 130, "capacity": [{"period": "2027-Q1", "fte": "129"}]}
