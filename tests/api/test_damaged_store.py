"""A damaged store is reported, never a crash: reads over a deleted or altered event answer
INTEGRITY_VIOLATION with its position, in GraphQL errors and as a 409 from the feed."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any, NamedTuple

import psycopg
import pytest

from service.database import Database
from service.roles import break_glass
from service.settings import Settings
from tests.api.conftest import Client, bearer, serving
from tests.api.graphql import Caller

pytestmark = pytest.mark.database

EVENTS = "polarity_events"
AUDITOR = bearer("aud", "auditor")
HISTORY = """query($id: ID!) { history(id: $id) { edges { node { version position reason
    changes { field } } } } }"""
TEAM_AT = "query($id: ID!, $v: Int) { team(id: $id, version: $v) { version } }"
PAGE = """query($id: ID!, $after: String) { history(id: $id, after: $after) {
    edges { node { version changes { field from to } } } } }"""


class Served(NamedTuple):
    client: Client
    database: Database
    team: str
    positions: list[int]  # of the team's events, version 1 first


@pytest.fixture
def served(settings: Settings, own_database: Database) -> Iterator[Served]:
    """A service of its own holding one team with five events."""
    with serving(settings, own_database) as client:
        steward = Caller(client, bearer("stella", "steward"))
        team: str = steward.ok("teamRegister", name="Line 3", orgUnit="Ops")["team"]["id"]
        for fte in range(1, 5):
            steward.ok("teamSetCapacity", id=team, period="2027-Q1", fte=str(fte), reason="plan")
        edges = Caller(client, AUDITOR).query(HISTORY, id=team)["history"]["edges"]
        yield Served(client, own_database, team, [edge["node"]["position"] for edge in edges])


def tamper(served: Served, statement: str) -> None:
    break_glass(served.database, "a test of a damaged store", statement)


def delete(served: Served, version: int) -> int:
    position = served.positions[version - 1]
    tamper(served, f"DELETE FROM {EVENTS} WHERE notification_id = {position}")
    return position


def alter(served: Served, version: int) -> int:
    position = served.positions[version - 1]
    forged = (
        f"UPDATE {EVENTS} SET state = convert_to(replace(convert_from(state, 'UTF8'), "
        "'\"plan\"', '\"forged\"'), 'UTF8') "
        f"WHERE notification_id = {position}"
    )
    tamper(served, forged)
    return position


def violation(body: dict[str, Any]) -> dict[str, Any]:
    (error,) = body["errors"]
    extensions: dict[str, Any] = error["extensions"]
    return extensions


def test_history_over_a_deleted_event_is_an_integrity_violation_at_its_position(
    served: Served,
) -> None:
    position = delete(served, 3)

    body = Caller(served.client, AUDITOR).raw(HISTORY, id=served.team)

    assert violation(body) | {"code": "INTEGRITY_VIOLATION", "position": position} == violation(
        body
    )
    assert violation(body)["damage"] == "missing"


def test_history_over_a_forged_reason_is_an_integrity_violation_not_the_forgery(
    served: Served,
) -> None:
    position = alter(served, 4)

    body = Caller(served.client, AUDITOR).raw(HISTORY, id=served.team)

    assert (violation(body)["code"], violation(body)["position"]) == (
        "INTEGRITY_VIOLATION",
        position,
    )
    assert "forged" not in str(body)


def test_a_version_past_a_deleted_event_is_an_integrity_violation_never_an_internal_error(
    served: Served,
) -> None:
    position = delete(served, 2)
    auditor = Caller(served.client, AUDITOR)

    body = auditor.raw(TEAM_AT, id=served.team, v=4)

    assert (violation(body)["code"], violation(body)["position"]) == (
        "INTEGRITY_VIOLATION",
        position,
    )
    assert auditor.query(TEAM_AT, id=served.team, v=1)["team"]["version"] == 1


def test_a_page_after_a_forged_event_does_not_show_changes_worked_out_from_it(
    served: Served,
) -> None:
    position = alter(served, 2)
    after_version_3 = base64.urlsafe_b64encode(b"version:3").decode()

    body = Caller(served.client, AUDITOR).raw(PAGE, id=served.team, after=after_version_3)

    assert (violation(body)["code"], violation(body)["position"]) == (
        "INTEGRITY_VIOLATION",
        position,
    )
    assert "forged" not in str(body)


def test_the_feed_over_a_deleted_event_is_a_409_naming_its_position(served: Served) -> None:
    position = delete(served, 3)

    response = served.client.get("/feeds/events", headers=AUDITOR)

    assert response.status_code == 409
    assert response.json() | {"code": "INTEGRITY_VIOLATION", "position": position} == (
        response.json()
    )
    before = served.client.get(
        "/feeds/events", params={"limit": str(position - 1)}, headers=AUDITOR
    )
    assert before.status_code == 200  # up to the damage, the feed still reads


def test_the_feed_over_an_altered_event_is_a_409_naming_its_position(served: Served) -> None:
    position = alter(served, 5)

    response = served.client.get("/feeds/events", headers=AUDITOR)

    assert (response.status_code, response.json()["position"]) == (409, position)
    assert response.json()["damage"] == "altered"


def test_an_object_read_over_a_forged_event_at_its_tail_is_an_integrity_violation(
    served: Served,
) -> None:
    """An event inserted below the service (no link of its own) is never applied to the object
    a read returns: the objects view stops before it, and the read's tail check names it."""
    last = served.positions[-1]
    tamper(
        served,
        f"INSERT INTO {EVENTS} (originator_id, originator_version, topic, state) "
        f"SELECT originator_id, originator_version + 1, topic, state FROM {EVENTS} "
        f"WHERE notification_id = {last}",
    )

    body = Caller(served.client, AUDITOR).raw(
        "query($id: ID!) { team(id: $id) { version } }", id=served.team
    )

    assert (violation(body)["code"], violation(body)["damage"]) == (
        "INTEGRITY_VIOLATION",
        "inserted",
    )
    assert violation(body)["position"] > last


CAPACITY = """mutation($i: TeamSetCapacityInput!) { teamSetCapacity(input: $i) {
    userErrors { code } } }"""


def test_a_mutation_on_a_forged_aggregate_is_refused_as_an_integrity_violation(
    served: Served,
) -> None:
    """A command replays the events after the aggregate's snapshot checked against the chain:
    a forged one that still reads as valid JSON is named, and nothing is recorded on top of it."""
    steward = Caller(served.client, bearer("stella", "steward"))
    capacity = {"id": served.team, "period": "2027-Q2", "fte": "6", "reason": "plan"}
    steward.ok("teamSetCapacity", **capacity)  # version 6, after the snapshot at 5
    edges = Caller(served.client, AUDITOR).query(HISTORY, id=served.team)["history"]["edges"]
    sixth = edges[-1]["node"]["position"]
    position = alter(served._replace(positions=[*served.positions, sixth]), 6)

    body = steward.raw(CAPACITY, i={**capacity, "fte": "9"})

    assert violation(body) | {"code": "INTEGRITY_VIOLATION", "position": position} == violation(
        body
    )
    with psycopg.connect(served.database.conninfo) as conn:
        later = conn.execute(f"SELECT count(*) FROM {EVENTS} WHERE notification_id > {sixth}")
        assert later.fetchone() == (0,)  # nothing recorded on top of the forgery
