"""Whole lifecycles over HTTP: Stage-Gate, PDCA, escalation, redirection, history, time travel."""

from __future__ import annotations

from typing import Any

import pytest

from service.web import create_token
from tests.api.conftest import TEST_SETTINGS, Client, bearer
from tests.api.graphql import OPERATIONAL, STRATEGIC, Caller, review_gate

pytestmark = pytest.mark.database

GATEKEEPERS = ["gina", "gus"]
OBJECTIVE_TITLE = "Services are 30% of revenue"


@pytest.fixture
def steward(api: Client) -> Caller:
    return Caller(api, bearer("stella", "steward"))


@pytest.fixture
def gatekeeper(api: Client) -> Caller:
    return Caller(api, bearer("gina", "gatekeeper"))


@pytest.fixture
def sponsor(api: Client) -> Caller:
    return Caller(api, bearer("sam", "sponsor"))


@pytest.fixture
def contributor(api: Client) -> Caller:
    return Caller(api, bearer("carl", "contributor"))


def a_team(steward: Caller) -> str:
    team = steward.ok("teamRegister", name="Nordic squad", orgUnit="Sales")
    team_id: str = team["team"]["id"]
    steward.ok("teamSetCapacity", id=team_id, period="2027-Q1", fte="5", reason="plan")
    return team_id


def an_objective(steward: Caller) -> str:
    objective = steward.ok(
        "objectiveDefine",
        title=OBJECTIVE_TITLE,
        level="BREAKTHROUGH",
        owner="ceo",
        kpis=[{"name": "service share", "target": "30", "unit": "%"}],
        due="2030-12-31",
    )
    objective_id: str = objective["objective"]["id"]
    return objective_id


def decide(gatekeeper: Caller, initiative: str, gate: str, outcome: str, **more: Any) -> Any:
    return review_gate(
        gatekeeper.api, initiative, outcome, GATEKEEPERS, f"{gate} {outcome.lower()}", **more
    )


def test_an_initiative_goes_from_proposal_through_five_gates_to_closure(
    steward: Caller, gatekeeper: Caller, sponsor: Caller
) -> None:
    team, objective = a_team(steward), an_objective(steward)
    proposed = steward.ok(
        "initiativePropose", title="Enter the Nordic market", problem="growth", orgUnit="Sales"
    )
    initiative = proposed["initiative"]["id"]
    steward.ok("initiativeClassify", id=initiative, criteria=STRATEGIC, reason="new region")
    sponsor.ok("initiativeAssignSponsor", id=initiative, sponsor="sam")
    assert (decide(gatekeeper, initiative, "G1", "GO"))["initiative"]["stage"] == "SCOPING"
    sponsor.ok("initiativeAlign", id=initiative, objectiveId=objective, strength="STRONG")

    conditional = decide(
        gatekeeper, initiative, "G2", "CONDITIONAL_GO", conditions=["sign a local partner"]
    )
    assert conditional["initiative"]["stage"] == "PLANNING"
    assert conditional["initiative"]["openConditions"] == ["sign a local partner"]
    blocked = decide(gatekeeper, initiative, "G3", "GO")
    assert blocked["userErrors"][0]["code"] == "CONDITIONS_OPEN"
    gatekeeper.ok(
        "initiativeClearConditions", id=initiative, evidence="contract signed", reason="met"
    )
    steward.ok(
        "initiativeResource",
        id=initiative,
        teamId=team,
        period="2027-Q1",
        fte="3",
        budget="250000",
        reason="dedicated squad",
    )
    recycled = decide(gatekeeper, initiative, "G3", "RECYCLE")
    assert recycled["initiative"]["stage"] == "PLANNING"
    for gate, stage in [("G3", "EXECUTING"), ("G4", "SUSTAINING")]:
        assert (decide(gatekeeper, initiative, gate, "GO"))["initiative"]["stage"] == stage
    sponsor.ok(
        "initiativeRecordBenefit",
        id=initiative,
        benefit="Nordic revenue",
        planned="1000000",
        realised="1200000",
        unit="EUR",
        reason="year one",
    )
    decide(gatekeeper, initiative, "G5", "GO")
    closed = sponsor.ok(
        "initiativeClose", id=initiative, outcome="benefits realised", reason="G5 passed"
    )

    assert closed["initiative"]["stage"] == "CLOSED"
    assert closed["initiative"]["allocations"] == []
    capacity = steward.query(
        "query($id: ID!) { team(id: $id) { capacity { period allocated } } }", id=team
    )
    assert capacity["team"]["capacity"] == [{"period": "2027-Q1", "allocated": "0"}]
    history = steward.query(
        "query($id: ID!) { history(id: $id) { edges { node { type actor { id } reason } } } }",
        id=initiative,
    )
    events = [edge["node"] for edge in history["history"]["edges"]]
    gate_decisions = [e for e in events if e["type"] == "Initiative.GateDecided"]
    assert [e["reason"] for e in gate_decisions] == [
        "G1 go",
        "G2 conditional_go",
        "G3 recycle",
        "G3 go",
        "G4 go",
        "G5 go",
    ]
    assert {e["actor"]["id"] for e in gate_decisions} == {"gina"}


def test_an_improvement_item_runs_pdca_to_standard_work(
    steward: Caller, contributor: Caller
) -> None:
    team = a_team(steward)
    raised = contributor.ok(
        "improvementItemRaise",
        title="Cut changeover time on line 3",
        problem="90 minutes",
        area="Line 3",
        metric="minutes",
    )
    item = raised["improvementItem"]["id"]
    steward.ok("improvementItemClassify", id=item, criteria=OPERATIONAL, reason="local")
    contributor.ok("improvementItemAdvance", id=item, to="PLAN")
    owner_first = contributor.mutate("improvementItemAdvance", id=item, to="DO")
    assert owner_first["userErrors"][0]["code"] == "OWNER_REQUIRED"
    steward.ok(
        "improvementItemResource",
        id=item,
        owner="olly",
        due="2027-03-31",
        reason="owner found",
        teamId=team,
        period="2027-Q1",
        fte="0.5",
    )
    contributor.ok("improvementItemAdvance", id=item, to="DO", evidence="trial started")
    contributor.ok(
        "improvementItemReview", id=item, status="GREEN", metricValue="52", reason="huddle"
    )
    contributor.ok(
        "improvementItemAdvance", id=item, to="CHECK", result={"expected": "45", "actual": "41"}
    )
    contributor.ok(
        "improvementItemAdvance",
        id=item,
        to="ACT",
        decision="STANDARDISE",
        reason="held for four weeks",
    )
    done = steward.ok("improvementItemStandardise", id=item, standardReference="SOP-17")

    assert done["improvementItem"]["stage"] == "STANDARDISED"
    assert done["improvementItem"]["result"] == {"expected": "45", "actual": "41"}
    capacity = steward.query(
        "query($id: ID!) { team(id: $id) { capacity { allocated } } }", id=team
    )
    assert capacity["team"]["capacity"][0]["allocated"] == "0"


def test_classifying_an_item_strategic_escalates_it_into_a_linked_initiative(
    steward: Caller, contributor: Caller
) -> None:
    raised = contributor.ok(
        "improvementItemRaise", title="Replace the MES", problem="old", area="Plant"
    )
    item = raised["improvementItem"]["id"]

    escalated = steward.ok(
        "improvementItemClassify", id=item, criteria=STRATEGIC, reason="core system"
    )

    assert escalated["improvementItem"]["stage"] == "ESCALATED"
    initiative = escalated["escalatedTo"]
    assert initiative["escalatedFrom"] == item
    assert escalated["improvementItem"]["escalatedTo"] == initiative["id"]


def test_classifying_an_initiative_operational_redirects_it_into_an_item(
    steward: Caller,
) -> None:
    proposed = steward.ok(
        "initiativePropose", title="5S in all plants", problem="uneven", orgUnit="Ops"
    )
    initiative = proposed["initiative"]["id"]

    redirected = steward.ok(
        "initiativeClassify", id=initiative, criteria=OPERATIONAL, reason="refines work"
    )

    assert redirected["initiative"]["stage"] == "REDIRECTED"
    assert redirected["redirectedTo"]["redirectedFrom"] == initiative
    assert redirected["redirectedTo"]["stage"] == "RAISED"


def test_an_object_reads_as_it_was_at_a_version_and_at_a_moment(
    steward: Caller, sponsor: Caller
) -> None:
    proposed = steward.ok("initiativePropose", title="Go", problem="p", orgUnit="Sales")
    initiative = proposed["initiative"]["id"]
    steward.ok("initiativeClassify", id=initiative, criteria=STRATEGIC, reason="why")
    first = steward.query(
        "query($id: ID!) { history(id: $id) { edges { node { recordedAt } } } }", id=initiative
    )
    moment = first["history"]["edges"][-1]["node"]["recordedAt"]
    sponsor.ok("initiativeAssignSponsor", id=initiative, sponsor="sam")

    then = steward.query(
        """query($id: ID!, $at: DateTime!) {
             byVersion: initiative(id: $id, version: 1) { version classification { decided } }
             byMoment: initiative(id: $id, asOf: $at) { version sponsor }
             now: initiative(id: $id) { version sponsor } }""",
        id=initiative,
        at=moment,
    )

    assert then["byVersion"] == {"version": 1, "classification": None}
    assert then["byMoment"] == {"version": 2, "sponsor": None}
    assert then["now"] == {"version": 3, "sponsor": "sam"}


def test_alignments_and_allocations_name_their_objective_and_team_now_and_as_they_were(
    steward: Caller, sponsor: Caller, contributor: Caller
) -> None:
    team, objective = a_team(steward), an_objective(steward)
    proposed = steward.ok("initiativePropose", title="Go", problem="p", orgUnit="Sales")
    initiative = proposed["initiative"]["id"]
    steward.ok("initiativeClassify", id=initiative, criteria=STRATEGIC, reason="why")
    sponsor.ok("initiativeAlign", id=initiative, objectiveId=objective, strength="STRONG")
    steward.ok(
        "initiativeResource", id=initiative, teamId=team, period="2027-Q1", fte="2", reason="go"
    )
    raised = contributor.ok("improvementItemRaise", title="Fix", problem="p", area="Line 3")
    item = raised["improvementItem"]["id"]
    steward.ok("improvementItemClassify", id=item, criteria=OPERATIONAL, reason="local")
    steward.ok(
        "improvementItemResource", id=item, owner="olly", due="2027-03-31", reason="owner",
        teamId=team, period="2027-Q1", fte="0.5",
    )  # fmt: skip

    read = steward.query(
        """query($id: ID!, $item: ID!) {
             now: initiative(id: $id) { ...named }
             then: initiative(id: $id, version: 3) { ...named }
             item: improvementItem(id: $item) { allocation { fte team { id name } } } }
           fragment named on Initiative {
             alignments { strength objective { id title } }
             allocations { fte team { id name } } }""",
        id=initiative,
        item=item,
    )

    aligned = [{"strength": "STRONG", "objective": {"id": objective, "title": OBJECTIVE_TITLE}}]
    squad = {"id": team, "name": "Nordic squad"}
    assert read["now"] == {"alignments": aligned, "allocations": [{"fte": "2", "team": squad}]}
    assert read["then"] == {"alignments": aligned, "allocations": []}
    assert read["item"] == {"allocation": {"fte": "0.5", "team": squad}}


def test_history_gives_every_event_with_its_full_envelope(api: Client) -> None:
    token = create_token(TEST_SETTINGS, "omar", ["steward"], on_behalf_of="olga")
    agent = Caller(api, {"Authorization": f"Bearer {token}"})
    proposed = agent.ok("initiativePropose", title="Go", problem="p", orgUnit="Sales")
    initiative = proposed["initiative"]["id"]
    auditor = Caller(api, {**bearer("aud", "auditor"), "X-Correlation-Id": "corr-1"})

    history = auditor.query(
        """query($id: ID!) { history(id: $id) { totalCount edges { node { eventId aggregateId
             version position type schemaVersion recordedAt actor { id roles onBehalfOf } reason
             correlationId causationId requestId data } } } }""",
        id=initiative,
    )

    assert history["history"]["totalCount"] == 1
    (event,) = [edge["node"] for edge in history["history"]["edges"]]
    assert event["aggregateId"] == initiative
    assert (event["version"], event["position"]) == (1, proposed["position"])
    assert event["type"] == "Initiative.Proposed"
    assert event["actor"] == {"id": "omar", "roles": ["STEWARD"], "onBehalfOf": "olga"}
    assert all(event[key] for key in ("requestId", "eventId", "recordedAt"))
    assert event["data"]["title"] == "Go"
