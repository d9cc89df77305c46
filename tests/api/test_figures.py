"""Reporting figures over HTTP: capacity, path balance, pipeline and gates, the decision log."""

from __future__ import annotations

import base64
from uuid import uuid4

import pytest

from service.database import Database
from service.settings import Settings
from tests.api.conftest import Client, bearer, serving
from tests.api.graphql import STRATEGIC, Caller, a_resourced_initiative

pytestmark = pytest.mark.database


def test_capacity_path_balance_and_pipeline_figures_follow_the_writes(api: Client) -> None:
    steward = Caller(api, bearer("stella", "steward"))
    gatekeeper = Caller(api, bearer("gina", "gatekeeper"))
    unit = f"unit-{uuid4().hex[:8]}"
    made = a_resourced_initiative(steward, gatekeeper, unit)

    figures = steward.query(
        """query($unit: String!, $at: Int!) {
          capacity(orgUnit: $unit, consistentWith: $at) {
            teamId capacityFte strategicFte utilisation overAllocated }
          strategicShare(orgUnit: $unit, period: "2031-Q1", consistentWith: $at) {
            strategicShare insideBand }
          pipeline(orgUnit: $unit, consistentWith: $at) {
            itemsPerStage { path stage items } openGateReviews { gate daysOpen } } }""",
        unit=unit,
        at=made["position"],
    )

    (team,) = figures["capacity"]
    assert team == {
        "teamId": made["team"],
        "capacityFte": "4",
        "strategicFte": "3",
        "utilisation": "0.7500",
        "overAllocated": False,
    }
    assert figures["strategicShare"] == [{"strategicShare": "1.0000", "insideBand": False}]
    assert figures["pipeline"]["itemsPerStage"] == [
        {"path": "STRATEGIC", "stage": "SCOPING", "items": 1}
    ]
    assert figures["pipeline"]["openGateReviews"] == []  # its G1 review is decided


def test_the_decision_log_filters_by_subject_and_type_with_a_total(api: Client) -> None:
    steward = Caller(api, bearer("stella", "steward"))
    gatekeeper = Caller(api, bearer("gina", "gatekeeper"))
    made = a_resourced_initiative(steward, gatekeeper, f"unit-{uuid4().hex[:8]}")

    log = steward.query(
        """query($id: ID!, $at: Int!) {
          all: decisionLog(filter: {subjectId: $id}, consistentWith: $at) {
            totalCount edges { node { decisionType actorId reason } } }
          gates: decisionLog(filter: {subjectId: $id, decisionType: GATE}, consistentWith: $at) {
            totalCount } }""",
        id=made["initiative"],
        at=made["position"],
    )

    kinds = [edge["node"]["decisionType"] for edge in log["all"]["edges"]]
    assert kinds == [
        "CLASSIFICATION",
        "SPONSOR",
        "GATE_REVIEW",
        "VOTE",
        "VOTE",
        "GATE",
        "RESOURCING",
    ]
    assert log["all"]["totalCount"] == 7
    assert log["gates"]["totalCount"] == 1
    votes = [edge["node"] for edge in log["all"]["edges"][3:5]]
    assert [vote["actorId"] for vote in votes] == ["gina", "gus"]  # each voter, under their name
    gate = log["all"]["edges"][5]["node"]
    assert (gate["actorId"], gate["reason"]) == ("gina", "fit")


DECISIONS = """query($f: DecisionFilter, $first: Int! = 3, $after: String, $last: Int,
    $before: String, $newest: Boolean! = false) {
  decisionLog(filter: $f, first: $first, after: $after, last: $last, before: $before,
      newestFirst: $newest) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { node { decisionType subjectKind workItem { id uuid kind title } } } } }"""


def test_the_decision_log_pages_back_as_it_paged_forward_either_way_round(api: Client) -> None:
    steward = Caller(api, bearer("stella", "steward"))
    gatekeeper = Caller(api, bearer("gina", "gatekeeper"))
    made = a_resourced_initiative(steward, gatekeeper, f"unit-{uuid4().hex[:8]}")
    subject = {"subjectId": made["initiative"]}
    steward.query("query($at: Int!) { decisionLog(consistentWith: $at) { totalCount } }",
                  at=made["position"])  # fmt: skip

    for newest in (False, True):
        forward: list[str] = []
        cursor = None
        while True:
            page = steward.query(DECISIONS, f=subject, after=cursor, newest=newest)["decisionLog"]
            forward += [edge["node"]["decisionType"] for edge in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            cursor = page["pageInfo"]["endCursor"]
        back: list[str] = []
        cursor = None
        while True:
            page = steward.query(DECISIONS, f=subject, last=3, before=cursor, newest=newest)
            log = page["decisionLog"]
            back = [edge["node"]["decisionType"] for edge in log["edges"]] + back
            if not log["pageInfo"]["hasPreviousPage"]:
                break
            assert log["pageInfo"]["hasNextPage"] == (cursor is not None)
            cursor = log["pageInfo"]["startCursor"]

        assert len(forward) == 7
        assert back == forward
        assert forward[0] == ("RESOURCING" if newest else "CLASSIFICATION")


def test_each_decision_names_the_work_item_it_concerns(api: Client) -> None:
    steward = Caller(api, bearer("stella", "steward"))
    gatekeeper = Caller(api, bearer("gina", "gatekeeper"))
    made = a_resourced_initiative(steward, gatekeeper, f"unit-{uuid4().hex[:8]}")
    initiative = made["initiative"]
    named = {"id": initiative, "uuid": plain(initiative), "kind": "INITIATIVE", "title": "Go"}

    log = steward.query(
        DECISIONS.replace("$f: DecisionFilter", "$f: DecisionFilter, $at: Int").replace(
            "newestFirst: $newest)", "newestFirst: $newest, consistentWith: $at)"
        ),
        f={"subjectId": made["team"]},
        first=10,
        at=made["position"],
    )["decisionLog"]

    rows = [(e["node"]["decisionType"], e["node"]["workItem"]) for e in log["edges"]]
    assert rows == [("CAPACITY", None), ("RESOURCING", named)]  # the team's grant names it
    by_initiative = steward.query(DECISIONS, f={"subjectId": made["initiative"]}, first=10)
    assert all(e["node"]["workItem"] == named for e in by_initiative["decisionLog"]["edges"])


def test_governance_health_answers_the_reflection_questions_with_the_ids_concerned(
    api: Client,
) -> None:
    steward = Caller(api, bearer("stella", "steward"))
    gatekeeper = Caller(api, bearer("gina", "gatekeeper"))
    made = a_resourced_initiative(steward, gatekeeper, f"unit-{uuid4().hex[:8]}")
    raw = made["initiative"]

    answers = steward.query(
        """query($at: Int!) {
          governanceHealth(consistentWith: $at) { name question subject count ids healthy }
          reviewsDue(consistentWith: $at) { byCadence { cadence active } }
          kaizenFlow { standardisation { finished } }
          alignment(consistentWith: $at) { unalignedWork { id uuid title } } }""",
        at=made["position"],
    )

    checks = {c["name"]: c for c in answers["governanceHealth"]}
    assert len(checks) == 11
    assert checks["gates_decided_against_votes"]["count"] == 0  # gina's GO followed the votes
    assert all(c["question"] and c["healthy"] == (c["count"] == 0) for c in checks.values())
    unaligned = {(w["id"], w["uuid"]) for w in answers["alignment"]["unalignedWork"]}
    assert (raw, plain(raw)) in unaligned, "the initiative serves no objective yet"
    assert {c["cadence"] for c in answers["reviewsDue"]["byCadence"]} <= {"WEEKLY", "MONTHLY"}


def test_a_health_check_gives_the_first_of_its_ids_when_asked_for_some(api: Client) -> None:
    steward = Caller(api, bearer("stella", "steward"))
    made = a_resourced_initiative(steward, Caller(api, bearer("gina", "gatekeeper")), "Ops")
    steward.ok("initiativePropose", title="Unaligned too", problem="p", orgUnit="Ops")

    answers = steward.query(
        """query($at: Int!) { governanceHealth(consistentWith: $at) {
             name count ids some: ids(first: 1) } }""",
        at=made["position"],
    )

    checks = {c["name"]: c for c in answers["governanceHealth"]}
    assert checks["not_aligned"]["count"] >= 2
    assert all(len(c["ids"]) == c["count"] for c in checks.values())
    assert all(c["some"] == c["ids"][:1] for c in checks.values())


@pytest.mark.parametrize("first", [0, 101])
def test_a_health_check_gives_one_to_a_hundred_ids_at_a_time(api: Client, first: int) -> None:
    body = Caller(api, bearer("stella", "steward")).raw(
        "query($first: Int!) { governanceHealth { ids(first: $first) } }", first=first
    )

    assert {e["extensions"]["code"] for e in body["errors"]} == {"BAD_USER_INPUT"}


def test_a_health_check_names_its_work_items_with_their_kind_and_title(
    settings: Settings, own_database: Database
) -> None:
    with serving(settings, own_database) as api:  # alone: the checks name only this test's work
        steward = Caller(api, bearer("stella", "steward"))
        made = a_resourced_initiative(steward, Caller(api, bearer("gina", "gatekeeper")), "Ops")
        item = steward.ok("improvementItemRaise", title="Fix rework", problem="p", area="Ops")
        answers = steward.query(
            """query($at: Int!) { governanceHealth(consistentWith: $at) {
                 name ids workItems(first: 100) { id uuid kind title } } }""",
            at=item["position"],
        )

    checks = {c["name"]: c for c in answers["governanceHealth"]}
    unaligned = checks["not_aligned"]
    named = {w["id"]: (w["kind"], w["title"]) for w in unaligned["workItems"]}
    item_id = item["improvementItem"]["id"]
    assert named == {
        made["initiative"]: ("INITIATIVE", "Go"),
        item_id: ("IMPROVEMENT_ITEM", "Fix rework"),
    }
    assert [w["uuid"] for w in unaligned["workItems"]] == unaligned["ids"]
    assert checks["teams_over_allocated"]["workItems"] == []  # it names teams, not work


def plain(global_id: str) -> str:
    return base64.b64decode(global_id).decode().split(":")[1]


def test_alignment_lists_the_work_serving_each_objective_with_its_strength(api: Client) -> None:
    steward = Caller(api, bearer("stella", "steward", "sponsor", "contributor"))
    kpis = [{"name": "share", "target": "30", "unit": "%"}]
    defined = {"owner": "ceo", "kpis": kpis, "due": "2030-12-31"}
    aim = steward.ok("objectiveDefine", title="Aim", level="BREAKTHROUGH", **defined)
    aim_id = aim["objective"]["id"]
    year = steward.ok("objectiveDefine", title="Year", level="ANNUAL", parentId=aim_id, **defined)
    year_id = year["objective"]["id"]
    initiative = steward.ok("initiativePropose", title="Big", problem="p", orgUnit="Ops")
    initiative_id = initiative["initiative"]["id"]
    steward.ok("initiativeClassify", id=initiative_id, criteria=STRATEGIC, reason="big")
    steward.ok("initiativeAlign", id=initiative_id, objectiveId=aim_id, strength="STRONG")
    item = steward.ok("improvementItemRaise", title="Small", problem="p", area="Line 1")
    item_id = item["improvementItem"]["id"]
    steward.ok("improvementItemAlign", id=item_id, objectiveId=year_id, strength="WEAK")
    more = steward.ok("improvementItemRaise", title="Also", problem="p", area="Line 1")
    aligned = steward.ok(
        "improvementItemAlign",
        id=more["improvementItem"]["id"],
        objectiveId=aim_id,
        strength="MODERATE",
    )

    figures = steward.query(
        """query($at: Int!) { alignment(consistentWith: $at) {
             objectives { id uuid work }
             servingWork { objectiveId objectiveUuid id uuid kind path title orgUnit strength
               alignedAt }
             firstOfEach: servingWork(first: 1) { objectiveId id } } }""",
        at=aligned["position"],
    )["alignment"]

    ours = {aim_id, year_id}
    serving = [w for w in figures["servingWork"] if w["objectiveId"] in ours]
    by_objective = {o: [w for w in serving if w["objectiveId"] == o] for o in ours}
    assert [(w["id"], w["kind"], w["strength"]) for w in by_objective[aim_id]] == [
        (initiative_id, "INITIATIVE", "STRONG"),  # strategic first
        (more["improvementItem"]["id"], "IMPROVEMENT_ITEM", "MODERATE"),
    ]
    assert [(w["id"], w["path"], w["strength"]) for w in by_objective[year_id]] == [
        (item_id, "OPERATIONAL", "WEAK")
    ]
    assert all(w["uuid"] == plain(w["id"]) for w in serving)
    assert all(w["objectiveUuid"] == plain(w["objectiveId"]) for w in serving)
    counted = {o["id"]: o["work"] for o in figures["objectives"]}
    assert all(counted[o] == len(by_objective[o]) for o in ours)
    assert {w["title"]: w["orgUnit"] for w in serving} == {
        "Big": "Ops",
        "Small": "Line 1",
        "Also": "Line 1",
    }
    first = [
        (w["objectiveId"], w["id"]) for w in figures["firstOfEach"] if w["objectiveId"] in ours
    ]
    assert sorted(first) == sorted((o, by_objective[o][0]["id"]) for o in ours)
