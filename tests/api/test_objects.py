"""Objects over HTTP come from the objects view, with the events it has not applied yet on top."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from uuid import uuid4

import psycopg
import pytest
from strawberry import relay

from service.database import Database
from service.projector import Projector
from tests.api.conftest import TEST_SETTINGS, bearer, serving
from tests.api.graphql import STRATEGIC, Caller
from tests.conftest import fresh_database

pytestmark = pytest.mark.database

INITIATIVE = """query($id: ID!) {
  initiative(id: $id) { id title version classification { decided } } }"""
TEAMS = """query($after: String) { teams(first: 2, after: $after) {
  totalCount pageInfo { hasNextPage endCursor } edges { node { name } } } }"""


@dataclass
class Quiet:
    """A fresh store served with no runner: its views move only when the test applies them."""

    steward: Caller
    database: Database
    projector: Projector

    def sql(self, statement: str, *params: object) -> list[tuple[object, ...]]:
        with psycopg.connect(self.database.conninfo) as conn:
            cursor = conn.execute(statement, params)
            return cursor.fetchall() if cursor.description else []


@pytest.fixture
def quiet(database: Database) -> Iterator[Quiet]:
    fresh = fresh_database(database)
    db = next(fresh)
    try:
        with serving(replace(TEST_SETTINGS, projections_inline=False), db) as client:
            steward = Caller(client, bearer("stella", "steward"))
            yield Quiet(steward, db, client.app.state.projector)
    finally:
        next(fresh, None)


def test_a_write_is_read_and_listed_at_once_though_the_view_has_not_applied_it(
    quiet: Quiet,
) -> None:
    proposed = quiet.steward.ok(
        "initiativePropose", title="Enter Nordics", problem="p", orgUnit="S"
    )
    gid = proposed["initiative"]["id"]

    read = quiet.steward.query(INITIATIVE, id=gid)["initiative"]
    listed = quiet.steward.query("{ initiatives { totalCount edges { node { id } } } }")

    assert quiet.sql("SELECT count(*) FROM reporting.objects") == [(0,)]
    assert (read["id"], read["title"], read["version"]) == (gid, "Enter Nordics", 1)
    assert listed["initiatives"]["totalCount"] == 1
    assert [edge["node"]["id"] for edge in listed["initiatives"]["edges"]] == [gid]


def test_an_object_the_view_holds_is_read_from_the_view_with_newer_events_applied(
    quiet: Quiet,
) -> None:
    proposed = quiet.steward.ok(
        "initiativePropose", title="Enter Nordics", problem="p", orgUnit="S"
    )
    gid = proposed["initiative"]["id"]
    quiet.projector.catch_up()
    # Only the view says so: a read that replayed the events would still say "Enter Nordics".
    quiet.sql(
        "UPDATE reporting.objects "
        "SET state = replace(state::text, 'Enter Nordics', 'From the view')::json"
    )
    quiet.steward.ok("initiativeClassify", id=gid, criteria=STRATEGIC, reason="new market")

    read = quiet.steward.query(INITIATIVE, id=gid)["initiative"]

    assert read["title"] == "From the view"
    assert (read["version"], read["classification"]["decided"]) == (2, "STRATEGIC")


def test_a_list_pages_in_creation_order_across_what_the_view_holds_and_what_it_has_not_applied(
    quiet: Quiet,
) -> None:
    for name in ("one", "two", "three"):
        quiet.steward.ok("teamRegister", name=name, orgUnit="Ops")
    quiet.projector.catch_up()
    for name in ("four", "five"):
        quiet.steward.ok("teamRegister", name=name, orgUnit="Ops")

    names, after, totals = [], None, set()
    while True:
        page = quiet.steward.query(TEAMS, after=after)["teams"]
        names += [edge["node"]["name"] for edge in page["edges"]]
        totals.add(page["totalCount"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert names == ["one", "two", "three", "four", "five"]
    assert totals == {5}


def test_an_id_of_another_kind_or_of_nothing_reads_as_null(quiet: Quiet) -> None:
    team = quiet.steward.ok("teamRegister", name="Ops", orgUnit="Ops")["team"]["id"]
    quiet.projector.catch_up()
    team_id = relay.GlobalID.from_id(team).node_id

    for node_id in (team_id, str(uuid4())):
        gid = str(relay.GlobalID("Initiative", node_id))
        assert quiet.steward.query(INITIATIVE, id=gid)["initiative"] is None


def test_a_health_check_names_work_from_the_view_and_work_the_view_has_not_reached(
    quiet: Quiet,
) -> None:
    viewed = quiet.steward.ok("initiativePropose", title="Viewed", problem="p", orgUnit="S")
    quiet.projector.catch_up()
    quiet.sql(  # only the view's row says so: restoring or replaying would say "Viewed"
        "UPDATE reporting.objects SET state = replace(state::text, 'Viewed', 'In the view')::json"
    )
    newer = quiet.steward.ok("improvementItemRaise", title="Newer", problem="p", area="S")
    quiet.projector.run_batch(["governance_health"])  # the objects view stays behind

    checks = quiet.steward.query(
        "{ governanceHealth { name workItems(first: 10) { uuid kind title } } }"
    )["governanceHealth"]

    (unaligned,) = [c["workItems"] for c in checks if c["name"] == "not_aligned"]
    named = {w["uuid"]: (w["kind"], w["title"]) for w in unaligned}
    assert named == {
        plain_id(viewed["initiative"]["id"]): ("INITIATIVE", "In the view"),
        plain_id(newer["improvementItem"]["id"]): ("IMPROVEMENT_ITEM", "Newer"),
    }


def plain_id(global_id: str) -> str:
    return relay.GlobalID.from_id(global_id).node_id
