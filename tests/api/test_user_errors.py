"""Every userError code a client can receive comes back over HTTP as data, with its stable code."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from tests.api.conftest import Client, bearer
from tests.api.graphql import OPERATIONAL, STRATEGIC, Caller, review_gate

pytestmark = pytest.mark.database

Payload = dict[str, Any]
GATEKEEPERS = ["gina", "gus"]
PERIOD = "2027-Q1"


@dataclass(frozen=True)
class Cast:
    """One caller per role; the steward stella proposes, the sponsor is sam."""

    steward: Caller
    sponsor: Caller
    gatekeeper: Caller
    contributor: Caller
    auditor: Caller


@pytest.fixture
def cast(api: Client) -> Cast:
    return Cast(
        steward=Caller(api, bearer("stella", "steward")),
        sponsor=Caller(api, bearer("sam", "sponsor")),
        gatekeeper=Caller(api, bearer("gina", "gatekeeper")),
        contributor=Caller(api, bearer("carl", "contributor")),
        auditor=Caller(api, bearer("aud", "auditor")),
    )


When = Callable[[Cast], Payload]


@dataclass(frozen=True)
class Case:
    when: When
    field: str | None  # checked only where the code is about one input


CASES: dict[str, Case] = {}


def case(code: str, field: str | None = None) -> Callable[[When], When]:
    def register(when: When) -> When:
        CASES[code] = Case(when, field)
        return when

    return register


# Givens: states built through mutations that must pass; the commands the scenarios send -----


def accepted(payload: Payload) -> Payload:
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


def missing(type_name: str) -> str:
    return base64.b64encode(f"{type_name}:{uuid4()}".encode()).decode()


def decide(cast: Cast, initiative: str, gate: str, outcome: str, **more: Any) -> Payload:
    """A whole gate review at the pending gate (`gate` names it, for the reader)."""
    keepers = more.pop("gatekeepers", GATEKEEPERS)
    api = cast.gatekeeper.api
    return review_gate(api, initiative, outcome, keepers, f"{gate} {outcome}", **more)


def as_gatekeeper(cast: Cast, name: str) -> Caller:
    return Caller(cast.gatekeeper.api, bearer(name, "gatekeeper"))


def open_review(cast: Cast, initiative: str, panel: list[str], chair: str) -> str:
    opened = accepted(
        cast.steward.mutate(
            "initiativeOpenGateReview", id=initiative, gatekeepers=panel, chair=chair
        )
    )
    review: str = opened["reviewId"]
    return review


def vote(cast: Cast, review: str, name: str, outcome: str = "HOLD") -> Payload:
    return as_gatekeeper(cast, name).mutate(
        "initiativeVoteGate", reviewId=review, outcome=outcome, reason="my view"
    )


def chair_decides(cast: Cast, review: str, name: str, outcome: str = "HOLD") -> Payload:
    return as_gatekeeper(cast, name).mutate(
        "initiativeDecideGateReview", reviewId=review, outcome=outcome, reason="decided"
    )


def resource(cast: Cast, initiative: str, team: str, fte: str, **more: Any) -> Payload:
    return cast.steward.mutate(
        "initiativeResource", id=initiative, teamId=team, period=PERIOD, fte=fte, reason="r", **more
    )


def a_team(cast: Cast) -> str:
    team: str = cast.steward.ok("teamRegister", name="Squad", orgUnit="Ops")["team"]["id"]
    cast.steward.ok("teamSetCapacity", id=team, period=PERIOD, fte="5", reason="plan")
    return team


def an_objective(cast: Cast, **fields: Any) -> Payload:
    kpis = [{"name": "service share", "target": "30"}]
    defaults = {"level": "BREAKTHROUGH", "owner": "ceo", "kpis": kpis, "due": "2030-12-31"}
    return cast.steward.mutate("objectiveDefine", title="Grow", **{**defaults, **fields})


def objective(cast: Cast) -> str:
    defined: str = accepted(an_objective(cast))["objective"]["id"]
    return defined


def proposed(cast: Cast) -> str:
    initiative: str = cast.steward.ok(
        "initiativePropose", title="Enter Norway", problem="growth", orgUnit="Sales"
    )["initiative"]["id"]
    return initiative


def strategic(cast: Cast) -> str:
    initiative = proposed(cast)
    cast.steward.ok("initiativeClassify", id=initiative, criteria=STRATEGIC, reason="new market")
    return initiative


def sponsored(cast: Cast) -> str:
    initiative = strategic(cast)
    cast.sponsor.ok("initiativeAssignSponsor", id=initiative, sponsor="sam")
    return initiative


def scoping(cast: Cast) -> str:
    initiative = sponsored(cast)
    accepted(decide(cast, initiative, "G1", "GO"))
    return initiative


def planning(cast: Cast) -> str:
    initiative = scoping(cast)
    cast.sponsor.ok("initiativeAlign", id=initiative, objectiveId=objective(cast))
    accepted(decide(cast, initiative, "G2", "GO"))
    return initiative


def raised(cast: Cast) -> str:
    item: str = cast.contributor.ok(
        "improvementItemRaise", title="Faster changeover", problem="90 min", area="Line 3"
    )["improvementItem"]["id"]
    return item


def advance(cast: Cast, item: str, to: str, **more: Any) -> Payload:
    return cast.contributor.mutate("improvementItemAdvance", id=item, to=to, **more)


def planned(cast: Cast) -> str:
    item = raised(cast)
    cast.steward.ok("improvementItemClassify", id=item, criteria=OPERATIONAL, reason="local")
    accepted(advance(cast, item, "PLAN"))
    return item


def doing(cast: Cast) -> str:
    item = planned(cast)
    cast.steward.ok("improvementItemResource", id=item, owner="olly", due="2027-03-31", reason="r")
    accepted(advance(cast, item, "DO"))
    return item


def checking(cast: Cast) -> str:
    item = doing(cast)
    accepted(advance(cast, item, "CHECK", result={"expected": "45", "actual": "41"}))
    return item


# Scenarios: given a state, when one mutation breaks a rule, then its code --------------------


@case("FORBIDDEN")
def an_auditor_registers_a_team(cast: Cast) -> Payload:
    return cast.auditor.mutate("teamRegister", name="Audit squad", orgUnit="Ops")


@case("INVALID_ID", field="id")
def a_team_id_given_for_an_initiative(cast: Cast) -> Payload:
    return cast.sponsor.mutate("initiativeAssignSponsor", id=a_team(cast), sponsor="sam")


@case("NOT_FOUND", field="id")
def an_initiative_that_does_not_exist(cast: Cast) -> Payload:
    return cast.sponsor.mutate("initiativeAssignSponsor", id=missing("Initiative"), sponsor="sam")


@case("VERSION_CONFLICT", field="expectedVersion")
def a_stale_expected_version(cast: Cast) -> Payload:
    return cast.sponsor.mutate(
        "initiativeAssignSponsor", id=proposed(cast), sponsor="sam", expectedVersion=7
    )


@case("IDEMPOTENCY_KEY_REUSED", field="idempotencyKey")
def one_idempotency_key_for_two_different_commands(cast: Cast) -> Payload:
    key = f"key-{uuid4()}"
    cast.steward.ok("teamRegister", name="First", orgUnit="Ops", idempotencyKey=key)
    return cast.steward.mutate("teamRegister", name="Second", orgUnit="Ops", idempotencyKey=key)


@case("INVALID_INPUT", field="horizonMonths")
def a_horizon_of_zero_months(cast: Cast) -> Payload:
    return cast.steward.mutate(
        "initiativePropose", title="t", problem="p", orgUnit="Sales", horizonMonths=0
    )


@case("REQUIRED", field="title")
def a_blank_title(cast: Cast) -> Payload:
    return cast.steward.mutate("initiativePropose", title="  ", problem="p", orgUnit="Sales")


@case("REASON_REQUIRED", field="reason")
def a_classification_without_a_reason(cast: Cast) -> Payload:
    initiative = proposed(cast)
    return cast.steward.mutate("initiativeClassify", id=initiative, criteria=STRATEGIC, reason=" ")


@case("INVALID_PERIOD", field="period")
def a_period_that_is_not_a_quarter(cast: Cast) -> Payload:
    return cast.steward.mutate(
        "teamSetCapacity", id=a_team(cast), period="2027-01", fte="4", reason="plan"
    )


@case("KPI_REQUIRED", field="kpis")
def an_objective_without_kpis(cast: Cast) -> Payload:
    return an_objective(cast, kpis=[])


@case("INVALID_PARENT", field="parentId")
def an_annual_objective_under_an_annual_one(cast: Cast) -> Payload:
    parent = accepted(an_objective(cast, level="ANNUAL"))["objective"]["id"]
    return an_objective(cast, level="ANNUAL", parentId=parent)


@case("OBJECTIVE_RETIRED")
def aligning_to_a_retired_objective(cast: Cast) -> Payload:
    retired = objective(cast)
    cast.steward.ok("objectiveRetire", id=retired, reason="superseded")
    return cast.sponsor.mutate("initiativeAlign", id=strategic(cast), objectiveId=retired)


@case("OVERRIDE_REASON_REQUIRED", field="overrideReason")
def overriding_the_policy_without_saying_why(cast: Cast) -> Payload:
    return cast.steward.mutate(
        "initiativeClassify",
        id=proposed(cast),
        criteria=STRATEGIC,
        decidedPath="OPERATIONAL",
        reason="feels small",
    )


@case("CORRECTION_REQUIRED", field="corrects")
def classifying_twice_without_naming_the_correction(cast: Cast) -> Payload:
    initiative = strategic(cast)
    return cast.steward.mutate("initiativeClassify", id=initiative, criteria=STRATEGIC, reason="r")


@case("CORRECTION_TARGET_INVALID", field="corrects")
def correcting_a_version_that_is_not_a_classification(cast: Cast) -> Payload:
    initiative = strategic(cast)
    return cast.steward.mutate(
        "initiativeClassify", id=initiative, criteria=STRATEGIC, reason="r", corrects=1
    )


@case("ALREADY_GATED")
def reclassifying_after_a_gate_decision(cast: Cast) -> Payload:
    initiative = strategic(cast)
    accepted(decide(cast, initiative, "G1", "HOLD"))
    return cast.steward.mutate(
        "initiativeClassify", id=initiative, criteria=STRATEGIC, reason="r", corrects=2
    )


@case("INITIATIVE_CLOSED")
def sponsoring_a_redirected_initiative(cast: Cast) -> Payload:
    initiative = proposed(cast)
    cast.steward.ok("initiativeClassify", id=initiative, criteria=OPERATIONAL, reason="local")
    return cast.sponsor.mutate("initiativeAssignSponsor", id=initiative, sponsor="sam")


@case("NO_CHANGE")
def assigning_the_sponsor_it_already_has(cast: Cast) -> Payload:
    return cast.sponsor.mutate("initiativeAssignSponsor", id=sponsored(cast), sponsor="sam")


@case("NO_SPONSOR")
def releasing_a_sponsor_nobody_holds(cast: Cast) -> Payload:
    return cast.sponsor.mutate("initiativeReleaseSponsor", id=proposed(cast), reason="r")


@case("NOT_ALIGNED")
def removing_an_alignment_that_does_not_exist(cast: Cast) -> Payload:
    return cast.sponsor.mutate(
        "initiativeRemoveAlignment", id=proposed(cast), objectiveId=objective(cast), reason="r"
    )


@case("NOT_CLASSIFIED_STRATEGIC")
def a_gate_decision_before_classification(cast: Cast) -> Payload:
    return decide(cast, proposed(cast), "G1", "HOLD")


@case("REVIEW_ALREADY_OPEN")
def a_second_review_while_one_is_open(cast: Cast) -> Payload:
    initiative = sponsored(cast)
    open_review(cast, initiative, GATEKEEPERS, "gina")
    return cast.steward.mutate(
        "initiativeOpenGateReview", id=initiative, gatekeepers=GATEKEEPERS, chair="gus"
    )


@case("REVIEW_WITHDRAWN")
def a_vote_after_the_review_was_withdrawn(cast: Cast) -> Payload:
    review = open_review(cast, sponsored(cast), GATEKEEPERS, "gina")
    accepted(
        cast.steward.mutate("initiativeWithdrawGateReview", reviewId=review, reason="no panel")
    )
    return vote(cast, review, "gina")


@case("SPONSOR_REQUIRED", field="outcome")
def a_go_at_g1_without_a_sponsor(cast: Cast) -> Payload:
    return decide(cast, strategic(cast), "G1", "GO")


@case("ALIGNMENT_REQUIRED", field="outcome")
def a_go_at_g2_without_an_objective(cast: Cast) -> Payload:
    return decide(cast, scoping(cast), "G2", "GO")


@case("RESOURCES_REQUIRED", field="outcome")
def a_go_at_g3_without_resources(cast: Cast) -> Payload:
    return decide(cast, planning(cast), "G3", "GO")


@case("SEGREGATION_OF_DUTIES")
def the_proposer_and_the_sponsor_as_the_only_voters(cast: Cast) -> Payload:
    review = open_review(cast, sponsored(cast), ["gina", "stella", "sam"], "gina")
    accepted(vote(cast, review, "stella"))
    accepted(vote(cast, review, "sam"))
    return chair_decides(cast, review, "gina")


@case("CONDITIONS_REQUIRED", field="conditions")
def an_overriding_conditional_go_without_conditions(cast: Cast) -> Payload:
    return decide(cast, sponsored(cast), "G1", "CONDITIONAL_GO", override="the chair's call")


@case("PANEL_TOO_SMALL", field="gatekeepers")
def a_review_with_one_gatekeeper(cast: Cast) -> Payload:
    return cast.steward.mutate(
        "initiativeOpenGateReview", id=sponsored(cast), gatekeepers=["gina"], chair="gina"
    )


@case("CHAIR_NOT_ON_PANEL", field="chair")
def a_chair_who_is_not_a_gatekeeper_of_the_review(cast: Cast) -> Payload:
    return cast.steward.mutate(
        "initiativeOpenGateReview", id=sponsored(cast), gatekeepers=GATEKEEPERS, chair="gail"
    )


@case("CHAIR_NOT_INDEPENDENT", field="chair")
def the_sponsor_chairing_their_own_gate(cast: Cast) -> Payload:
    return cast.steward.mutate(
        "initiativeOpenGateReview", id=sponsored(cast), gatekeepers=["sam", "gus"], chair="sam"
    )


@case("NOT_ON_PANEL")
def a_vote_by_a_gatekeeper_the_review_does_not_name(cast: Cast) -> Payload:
    review = open_review(cast, sponsored(cast), GATEKEEPERS, "gina")
    return vote(cast, review, "gail")


@case("ALREADY_VOTED")
def a_second_vote_by_the_same_gatekeeper(cast: Cast) -> Payload:
    review = open_review(cast, sponsored(cast), GATEKEEPERS, "gina")
    accepted(vote(cast, review, "gus"))
    return vote(cast, review, "gus")


@case("NOT_CHAIR")
def a_decision_by_a_gatekeeper_who_is_not_the_chair(cast: Cast) -> Payload:
    review = open_review(cast, sponsored(cast), GATEKEEPERS, "gina")
    return chair_decides(cast, review, "gus")


@case("NO_QUORUM")
def the_sponsor_deciding_with_an_absent_colleague(cast: Cast) -> Payload:
    """The case of issue 15: the sponsor, a gatekeeper, names a colleague who never votes."""
    review = open_review(cast, sponsored(cast), ["gina", "sam"], "gina")
    accepted(vote(cast, review, "sam"))
    return chair_decides(cast, review, "gina")


@case("DECISION_AGAINST_VOTES", field="outcome")
def a_go_the_votes_do_not_support(cast: Cast) -> Payload:
    review = open_review(cast, sponsored(cast), GATEKEEPERS, "gina")
    for name in GATEKEEPERS:
        accepted(vote(cast, review, name, "KILL"))
    return chair_decides(cast, review, "gina", "GO")


@case("REVIEW_DECIDED")
def a_vote_after_the_decision(cast: Cast) -> Payload:
    review = open_review(cast, sponsored(cast), ["gina", "gus", "gail"], "gina")
    accepted(vote(cast, review, "gina"))
    accepted(vote(cast, review, "gus"))
    accepted(chair_decides(cast, review, "gina"))
    return vote(cast, review, "gail")


@case("CONDITIONAL_GO_NOT_ALLOWED", field="outcome")
def a_conditional_go_at_the_benefits_review(cast: Cast) -> Payload:
    initiative = planning(cast)
    accepted(resource(cast, initiative, a_team(cast), fte="3"))
    for gate in ("G3", "G4"):
        accepted(decide(cast, initiative, gate, "GO"))
    return decide(cast, initiative, "G5", "CONDITIONAL_GO", conditions=["audit"])


@case("CONDITIONS_OPEN")
def the_next_gate_while_conditions_are_open(cast: Cast) -> Payload:
    initiative = sponsored(cast)
    accepted(decide(cast, initiative, "G1", "CONDITIONAL_GO", conditions=["sign a partner"]))
    return decide(cast, initiative, "G2", "HOLD")


@case("NO_OPEN_CONDITIONS")
def clearing_conditions_nobody_set(cast: Cast) -> Payload:
    return cast.gatekeeper.mutate(
        "initiativeClearConditions", id=strategic(cast), evidence="signed", reason="met"
    )


@case("NO_GATE_PENDING")
def a_second_benefits_review(cast: Cast) -> Payload:
    initiative = planning(cast)
    accepted(resource(cast, initiative, a_team(cast), fte="3"))
    for gate in ("G3", "G4", "G5"):
        accepted(decide(cast, initiative, gate, "GO"))
    return decide(cast, initiative, "G5", "GO")


@case("BENEFITS_NOT_REVIEWED")
def closing_before_the_benefits_review(cast: Cast) -> Payload:
    return cast.sponsor.mutate("initiativeClose", id=strategic(cast), outcome="done", reason="r")


@case("COUNTERMEASURE_REQUIRED", field="countermeasure")
def a_red_review_without_a_countermeasure(cast: Cast) -> Payload:
    red = {"period": "2027-01", "status": "RED", "summary": "late", "reason": "r"}
    return cast.sponsor.mutate("initiativeReview", id=proposed(cast), **red)


@case("TOO_EARLY")
def recording_benefits_of_a_proposal(cast: Cast) -> Payload:
    benefit = {"benefit": "revenue", "planned": "10", "realised": "12", "reason": "r"}
    return cast.sponsor.mutate("initiativeRecordBenefit", id=proposed(cast), **benefit)


@case("ALREADY_RESOURCED")
def resourcing_the_same_team_and_quarter_twice(cast: Cast) -> Payload:
    initiative, team = proposed(cast), a_team(cast)
    accepted(resource(cast, initiative, team, fte="1"))
    return resource(cast, initiative, team, fte="1")


@case("NOT_RESOURCED")
def releasing_resources_never_held(cast: Cast) -> Payload:
    held = {"teamId": a_team(cast), "period": PERIOD, "reason": "r"}
    return cast.steward.mutate("initiativeReleaseResources", id=proposed(cast), **held)


@case("OVER_ALLOCATION", field="fte")
def allocating_beyond_capacity(cast: Cast) -> Payload:
    return resource(cast, proposed(cast), a_team(cast), fte="6")


def asked(cast: Cast, by: Caller | None = None) -> str:
    """A request for 6 FTE of a team that has 5, by the steward unless said otherwise."""
    over = {"id": proposed(cast), "teamId": a_team(cast), "period": PERIOD, "fte": "6"}
    action = {"initiativeResource": {**over, "reason": "launch"}}
    payload = accepted((by or cast.steward).mutate("approvalRequest", action=action, reason="r"))
    request: str = payload["approvalRequestId"]
    return request


@case("SELF_APPROVAL")
def approving_ones_own_over_allocation(cast: Cast) -> Payload:
    both = Caller(cast.steward.api, bearer("stella", "steward", "sponsor"))
    return both.mutate("approvalApprove", id=asked(cast, by=both), reason="urgent")


@case("NOT_AN_APPROVER")
def a_gatekeeper_approving_an_over_allocation(cast: Cast) -> Payload:
    return cast.gatekeeper.mutate("approvalApprove", id=asked(cast), reason="fine")


@case("APPROVAL_CLOSED")
def approving_a_rejected_request(cast: Cast) -> Payload:
    request = asked(cast)
    accepted(cast.sponsor.mutate("approvalReject", id=request, reason="no budget"))
    return cast.sponsor.mutate("approvalApprove", id=request, reason="after all")


@case("APPROVAL_NOT_NEEDED", field="action")
def requesting_what_fits_the_team(cast: Cast) -> Payload:
    within = {"id": proposed(cast), "teamId": a_team(cast), "period": PERIOD, "fte": "1"}
    action = {"initiativeResource": {**within, "reason": "fits"}}
    return cast.steward.mutate("approvalRequest", action=action, reason="r")


@case("APPROVAL_REQUIRED", field="decided")
def overriding_the_policy_without_a_second_person(cast: Cast) -> Payload:
    return cast.steward.mutate(
        "initiativeClassify",
        id=proposed(cast),
        criteria=OPERATIONAL,
        decidedPath="STRATEGIC",
        overrideReason="board mandate",
        reason="bet",
    )


@case("CAPACITY_BELOW_ALLOCATED", field="fte")
def cutting_capacity_below_what_is_allocated(cast: Cast) -> Payload:
    team = a_team(cast)
    accepted(resource(cast, proposed(cast), team, fte="3"))
    return cast.steward.mutate("teamSetCapacity", id=team, period=PERIOD, fte="2", reason="cut")


@case("ITEM_CLOSED")
def reviewing_an_abandoned_item(cast: Cast) -> Payload:
    item = raised(cast)
    cast.steward.ok("improvementItemAbandon", id=item, lessonLearned="no data", reason="r")
    return cast.contributor.mutate("improvementItemReview", id=item, status="GREEN", reason="r")


@case("ALREADY_STARTED")
def classifying_an_item_once_work_has_started(cast: Cast) -> Payload:
    return cast.steward.mutate(
        "improvementItemClassify", id=doing(cast), criteria=OPERATIONAL, reason="r", corrects=2
    )


@case("NOT_CLASSIFIED_OPERATIONAL")
def planning_an_unclassified_item(cast: Cast) -> Payload:
    return advance(cast, raised(cast), "PLAN")


@case("INVALID_TRANSITION", field="to")
def skipping_a_pdca_step(cast: Cast) -> Payload:
    return advance(cast, raised(cast), "DO")


@case("OWNER_REQUIRED")
def doing_without_an_owner(cast: Cast) -> Payload:
    return advance(cast, planned(cast), "DO")


@case("RESULT_REQUIRED", field="result")
def checking_without_a_result(cast: Cast) -> Payload:
    return advance(cast, doing(cast), "CHECK")


@case("DECISION_REQUIRED", field="decision")
def acting_without_a_decision(cast: Cast) -> Payload:
    return advance(cast, checking(cast), "ACT", reason="held for four weeks")


@case("CHECK_RESULT_REQUIRED")
def standardising_without_a_check_result(cast: Cast) -> Payload:
    return cast.steward.mutate("improvementItemStandardise", id=raised(cast), standardReference="S")


@case("NOT_READY_TO_STANDARDISE")
def standardising_before_deciding_to(cast: Cast) -> Payload:
    return cast.steward.mutate(
        "improvementItemStandardise", id=checking(cast), standardReference="S"
    )


@case("INVALID_TEXT", field="title")
def a_title_with_a_nul_character(cast: Cast) -> Payload:
    return cast.contributor.mutate(
        "initiativePropose", title="Enter\u0000Norway", problem="growth", orgUnit="Sales"
    )


@case("TEXT_TOO_LONG", field="orgUnit")
def an_org_unit_longer_than_a_name_may_be(cast: Cast) -> Payload:
    return cast.steward.mutate("teamRegister", name="Squad", orgUnit="O" * 201)


@case("NUMBER_OUT_OF_RANGE", field="budget")
def a_budget_beyond_what_any_view_can_hold(cast: Cast) -> Payload:
    return resource(cast, strategic(cast), a_team(cast), "1", budget="1e300000")


@case("DATE_OUT_OF_RANGE", field="due")
def an_objective_due_in_the_year_9999(cast: Cast) -> Payload:
    return an_objective(cast, due="9999-12-31")


@case("TOO_MANY_ITEMS", field="risks")
def a_review_with_a_thousand_risks(cast: Cast) -> Payload:
    return cast.sponsor.mutate(
        "initiativeReview",
        id=proposed(cast),
        period="2027-01",
        status="GREEN",
        summary="on track",
        reason="monthly",
        risks=[f"risk {n}" for n in range(1000)],
    )


@pytest.mark.parametrize("code", sorted(CASES))
def test_a_refused_command_returns_its_stable_code_as_data(cast: Cast, code: str) -> None:
    expected = CASES[code]

    payload = expected.when(cast)  # mutate() has checked: HTTP 200, no top-level errors

    (error,) = payload["userErrors"]
    assert error["code"] == code
    assert error["message"].strip()
    if expected.field is not None:
        assert error["field"] == expected.field
    assert payload["version"] is None
    assert all(value is None for key, value in payload.items() if key != "userErrors")


# Which codes exist -----------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
LITERAL_CODE = re.compile(r'\b(?:default_)?code\s*=\s*"([A-Z][A-Z_]*)"')
# require_text computes these two from the name of the blank field.
COMPUTED = {"REQUIRED", "REASON_REQUIRED"}
# Codes in the source that no request can produce, each with the reason why.
UNREACHABLE = {
    "WRONG_TEAM": "Team.grant is only called by grant_on_team, which loads the team by the "
    "allocation's own team_id, so the ids always match.",
    "ALREADY_ALLOCATED": "A team and the work item holding its time are saved together, so the "
    "team holds an allocation exactly when the work item does; the work item refuses a second "
    "one first, with ALREADY_RESOURCED.",
    "NOT_ALLOCATED": "Team.release is only called by release_on_teams, for allocations the work "
    "item held before the command; the team, saved with it, holds the same ones.",
    "DOMAIN_ERROR": "Nothing raises a bare DomainError; every refusal is one of its subclasses.",
    "RULE_VIOLATION": "Every RuleViolation raised names its own code.",
    "MUST_MEET_FAILED": "A gate decision rests on its review's votes: a GO with a criterion some "
    "vote failed is refused first as DECISION_AGAINST_VOTES, and a chair who overrides the votes "
    "may record it.",
    "WRONG_GATE": "A review's gate is the initiative's pending gate when it opens, and only one "
    "review is open at a time, so nothing else can decide that gate before the review does.",
    "APPROVAL_EXPIRED": "Reachable, but only once POLARITY_APPROVAL_HOURS (at least one) have "
    "passed between a request and its approval; tests/service/test_approvals.py moves the "
    "application clock to get it.",
}


def codes_in_source() -> set[str]:
    found = set()
    for folder in ("domain", "service", "schema"):
        for path in (ROOT / folder).rglob("*.py"):
            found |= set(LITERAL_CODE.findall(path.read_text(encoding="utf-8")))
    return found | COMPUTED


def test_every_code_the_source_can_return_has_a_scenario_and_no_other() -> None:
    codes = codes_in_source()

    assert set(UNREACHABLE) <= codes, "an exclusion names a code the source no longer has"
    assert set(CASES) == codes - set(UNREACHABLE)


# What the type system catches ------------------------------------------------------------------

VOTE_GATE = """mutation($i: InitiativeVoteGateInput!) {
  initiativeVoteGate(input: $i) { version userErrors { code } } }"""
SET_CAPACITY = """mutation($i: TeamSetCapacityInput!) {
  teamSetCapacity(input: $i) { version userErrors { field code } } }"""


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("outcome", "MAYBE"),
        ("shouldMeetScore", "high"),
    ],
)
def test_a_malformed_value_is_a_graphql_validation_error_not_a_user_error(
    api: Client, cast: Cast, field: str, value: str
) -> None:
    review = open_review(cast, sponsored(cast), GATEKEEPERS, "gina")
    fields = {"reviewId": review, "outcome": "HOLD", "reason": "r", field: value}

    response = api.post(
        "/graphql",
        json={"query": VOTE_GATE, "variables": {"i": fields}},
        headers=bearer("gina", "gatekeeper"),
    )

    assert response.status_code in (200, 400)
    body = response.json()
    assert body.get("data") is None
    (error,) = body["errors"]
    assert field in error["message"]
    assert error.get("extensions", {}).get("code") != "INTERNAL_ERROR"


def test_a_decimal_that_is_not_a_number_is_refused_rather_than_an_internal_error(
    cast: Cast,
) -> None:
    nan = {"id": a_team(cast), "period": PERIOD, "fte": "NaN", "reason": "plan"}

    body = cast.steward.raw(SET_CAPACITY, i=nan)

    errors = body.get("errors") or []
    assert all(e.get("extensions", {}).get("code") != "INTERNAL_ERROR" for e in errors), errors
    if not errors:
        (error,) = body["data"]["teamSetCapacity"]["userErrors"]
        assert (error["code"], error["field"]) == ("INVALID_INPUT", "fte")
