"""Ids over HTTP: every object gives its UUID beside its global id, every id argument takes
either form, an id of the wrong kind is treated alike in either form, and text that is no id is
refused with BAD_USER_INPUT saying what an id looks like."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import pytest

from tests.api.conftest import Client, bearer
from tests.api.graphql import STRATEGIC, Caller, global_id, uuid_in

pytestmark = pytest.mark.database


@dataclass(frozen=True)
class Made:
    """An initiative resourced by a team and aligned to an objective, by their global ids."""

    steward: Caller
    initiative: str
    team: str
    objective: str
    unit: str
    position: int


@pytest.fixture
def made(api: Client) -> Made:
    steward = Caller(api, bearer("stella", "steward", "sponsor"))
    unit = f"unit-{uuid4().hex[:8]}"
    team = steward.ok("teamRegister", name=f"team {unit}", orgUnit=unit)["team"]["id"]
    steward.ok("teamSetCapacity", id=team, period="2031-Q1", fte="4", reason="plan")
    objective = steward.ok(
        "objectiveDefine",
        title="Grow",
        level="ANNUAL",
        owner="ceo",
        kpis=[{"name": "share", "target": "30"}],
        due="2031-12-31",
    )["objective"]["id"]
    initiative = steward.ok("initiativePropose", title="Go", problem="p", orgUnit=unit)
    gid = initiative["initiative"]["id"]
    steward.ok("initiativeClassify", id=gid, criteria=STRATEGIC, reason="big")
    aligned = steward.ok("initiativeAlign", id=gid, objectiveId=objective, reason="serves")
    return Made(steward, gid, team, objective, unit, aligned["position"])


def test_every_object_gives_its_uuid_beside_its_global_id(made: Made) -> None:
    read = made.steward.query(
        """query($i: ID!, $t: ID!, $o: ID!) {
          initiative(id: $i) { id uuid alignments { objectiveId objectiveUuid } }
          team(id: $t) { id uuid }
          objective(id: $o) { id uuid } }""",
        i=made.initiative,
        t=made.team,
        o=made.objective,
    )

    for name in ("initiative", "team", "objective"):
        assert read[name]["uuid"] == uuid_in(read[name]["id"])
    (alignment,) = read["initiative"]["alignments"]
    assert alignment == {"objectiveId": made.objective, "objectiveUuid": uuid_in(made.objective)}


def test_the_views_give_the_uuid_beside_each_id_they_name(made: Made) -> None:
    read = made.steward.query(
        """query($unit: String!, $i: ID!, $at: Int!) {
          portfolio(filter: {orgUnit: $unit}, consistentWith: $at) {
            edges { node { id uuid objectiveIds objectiveUuids } } }
          decisionLog(filter: {subjectId: $i}, consistentWith: $at) {
            edges { node { subjectId subjectUuid workItem { id uuid } } } }
          capacity(orgUnit: $unit, consistentWith: $at) { teamId teamUuid } }""",
        unit=made.unit,
        i=made.initiative,
        at=made.position,
    )

    (item,) = [edge["node"] for edge in read["portfolio"]["edges"]]
    assert (item["id"], item["uuid"]) == (made.initiative, uuid_in(made.initiative))
    assert (
        item["objectiveUuids"]
        == [uuid_in(made.objective)]
        == list(map(uuid_in, item["objectiveIds"]))
    )
    decisions = [edge["node"] for edge in read["decisionLog"]["edges"]]
    assert {(d["subjectId"], d["subjectUuid"]) for d in decisions} == {
        (made.initiative, uuid_in(made.initiative))
    }
    assert {d["workItem"]["uuid"] for d in decisions} == {uuid_in(made.initiative)}
    assert read["capacity"] == [{"teamId": made.team, "teamUuid": uuid_in(made.team)}]


QUERIES = {
    "initiative": ("query($id: ID!) { initiative(id: $id) { id } }", "initiative"),
    "node": ("query($id: ID!) { node(id: $id) { id } }", "initiative"),
    "history": ("query($id: ID!) { history(id: $id) { totalCount } }", "initiative"),
    "decisionLog's subjectId": (
        """query($id: ID!, $at: Int) {
          decisionLog(filter: {subjectId: $id}, consistentWith: $at) { totalCount } }""",
        "initiative",
    ),
    "portfolio's objectiveId": (
        """query($id: ID!, $at: Int) {
          portfolio(filter: {objectiveId: $id}, consistentWith: $at) { edges { node { id } } } }""",
        "objective",
    ),
    "capacity's teamId": (
        "query($id: ID!, $at: Int) { capacity(teamId: $id, consistentWith: $at) { teamId } }",
        "team",
    ),
    "gateReviews' initiativeId": (
        "query($id: ID!) { gateReviews(initiativeId: $id) { id } }",
        "initiative",
    ),
}


@pytest.mark.parametrize(("query", "named"), QUERIES.values(), ids=QUERIES.keys())
def test_an_id_argument_takes_the_uuid_as_well_as_the_global_id(
    made: Made, query: str, named: str
) -> None:
    gid = getattr(made, named)
    variables: dict[str, Any] = {"at": made.position} if "$at" in query else {}

    by_global_id = made.steward.query(query, id=gid, **variables)
    by_uuid = made.steward.query(query, id=uuid_in(gid), **variables)

    assert by_uuid == by_global_id
    assert "None" not in repr(by_uuid)  # each names the object it was given


def test_a_mutation_takes_uuids_for_its_ids(made: Made) -> None:
    made.steward.ok("initiativeRemoveAlignment", id=made.initiative, objectiveId=made.objective,
                    reason="redo")  # fmt: skip

    aligned = made.steward.ok(
        "initiativeAlign",
        id=uuid_in(made.initiative),
        objectiveId=uuid_in(made.objective),
        reason="serves after all",
    )

    assert aligned["initiative"]["id"] == made.initiative
    assert aligned["version"] == 5


WRONG_KIND = {
    "an initiative read by a team's id": (
        "query($id: ID!) { initiative(id: $id) { id } }",
        lambda body: body == {"data": {"initiative": None}},
    ),
    "a node read by a team's id": (
        "query($id: ID!) { team: node(id: $id) { ... on Initiative { title } } }",
        lambda body: body == {"data": {"team": {}}},
    ),
    "a team's id where an objective's is filtered on": (
        "query($id: ID!) { portfolio(filter: {objectiveId: $id}) { totalCount } }",
        lambda body: (
            [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
            and "objectiveId is the id of a Team, not of an Objective"
            in body["errors"][0]["message"]
        ),
    ),
}


@pytest.mark.parametrize(("query", "holds"), WRONG_KIND.values(), ids=WRONG_KIND.keys())
def test_an_id_of_the_wrong_kind_is_treated_alike_in_either_form(
    made: Made, query: str, holds: Any
) -> None:
    by_global_id = made.steward.raw(query, id=made.team)
    by_uuid = made.steward.raw(query, id=uuid_in(made.team))

    assert holds(by_global_id), by_global_id
    assert by_uuid == by_global_id


def test_a_mutation_refuses_a_uuid_of_the_wrong_kind_as_it_refuses_such_a_global_id(
    made: Made,
) -> None:
    refusals = [
        made.steward.mutate("initiativeAssignSponsor", id=team, sponsor="sam")["userErrors"]
        for team in (made.team, uuid_in(made.team))
    ]

    assert refusals[0] == refusals[1] == [
        {"field": "id", "message": "id is the id of a Team, not of an Initiative.",
         "code": "INVALID_ID"}
    ]  # fmt: skip


def test_a_uuid_of_nothing_is_not_found_as_a_global_id_of_nothing_is(made: Made) -> None:
    nothing = uuid4()
    codes = [
        made.steward.refused("initiativeAssignSponsor", id=id, sponsor="sam")
        for id in (str(nothing), global_id("Initiative", str(nothing)))
    ]
    reads = [
        made.steward.query("query($id: ID!) { initiative(id: $id) { id } }", id=id)
        for id in (str(nothing), global_id("Initiative", str(nothing)))
    ]

    assert codes == ["NOT_FOUND", "NOT_FOUND"]
    assert reads == [{"initiative": None}, {"initiative": None}]


NOT_IDS = ["zzz", "", "SW5pdGlhdGl2ZTpub3QtYS11dWlk", "12345", "Initiative:abc"]


@pytest.mark.parametrize("text", NOT_IDS)
def test_text_that_is_no_id_is_refused_saying_what_an_id_is(made: Made, text: str) -> None:
    as_variable = made.steward.raw("query($id: ID!) { initiative(id: $id) { id } }", id=text)
    written = made.steward.raw(f'{{ history(id: "{text}") {{ totalCount }} }}')
    mutated = made.steward.raw(
        "mutation($i: ReasonInput!) { initiativeReleaseSponsor(input: $i) { version } }",
        i={"id": text, "reason": "x"},
    )

    for body in (as_variable, written, mutated):
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", body
        assert "is not an id: give the global id the API returns" in error["message"]
        assert "or the object's UUID" in error["message"]


def test_the_access_log_finds_a_read_by_either_form_of_the_id_it_named(
    made: Made, api: Client
) -> None:
    auditor = f"auditor-{uuid4().hex[:8]}"
    reader = Caller(api, bearer(auditor, "auditor"))
    reader.query("query($id: ID!) { initiative(id: $id) { id } }", id=made.initiative)
    reader.query("query($id: ID!) { initiative(id: $id) { id } }", id=uuid_in(made.initiative))
    api.app.state.access_log.flush()
    log = """query($f: AccessLogFilter!) { accessLog(filter: $f) { edges { node { ids } } } }"""

    found = [
        [edge["node"]["ids"] for edge in reader.query(log, f=f)["accessLog"]["edges"]]
        for f in (
            {"actor": auditor, "readId": form}
            for form in (made.initiative, uuid_in(made.initiative))
        )
    ]

    assert found[0] == found[1] == [[made.initiative], [uuid_in(made.initiative)]]
