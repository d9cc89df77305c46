"""Fixed sets of values over HTTP: each is an enum of UPPER_CASE names, a value outside it is
refused saying which ones there are, and the values a query gives are the ones its filters take."""

from __future__ import annotations

from uuid import uuid4

import pytest

from tests.api.conftest import Client, bearer
from tests.api.graphql import OPERATIONAL, Caller, a_resourced_initiative

pytestmark = pytest.mark.database

# What a newcomer tried, each once in a variable and once written in the query.
WRONG = {
    "a kind in another case": (
        "query($v: WorkKind) { portfolio(filter: {kind: $v}) { totalCount } }",
        '{ portfolio(filter: {kind: "Initiative"}) { totalCount } }',
        "Initiative",
        "WorkKind",
    ),
    "a decision type that is none": (
        "query($v: DecisionType) { decisionLog(filter: {decisionType: $v}) { totalCount } }",
        "{ decisionLog(filter: {decisionType: gates}) { totalCount } }",
        "gates",
        "DecisionType",
    ),
    "a path in lower case": (
        "query($v: Path) { pathBalance(path: $v) { path } }",
        '{ pathBalance(path: "strategic") { path } }',
        "strategic",
        "Path",
    ),
    "a stage that is none": (
        "query($v: WorkStage) { portfolio(filter: {stage: $v}) { totalCount } }",
        "{ portfolio(filter: {stage: DOING}) { totalCount } }",
        "DOING",
        "WorkStage",
    ),
    "a review status in lower case": (
        "query($v: GateReviewStatus) { gateReviews(status: $v) { id } }",
        "{ gateReviews(status: open) { id } }",
        "open",
        "GateReviewStatus",
    ),
}


@pytest.mark.parametrize(("query", "written", "value", "enum"), WRONG.values(), ids=WRONG.keys())
def test_a_value_outside_a_fixed_set_is_refused_naming_the_set(
    api: Client, query: str, written: str, value: str, enum: str
) -> None:
    steward = Caller(api, bearer("stella", "steward"))

    given = steward.raw(query, v=value)
    literal = steward.raw(written)

    for body, code in ((given, "BAD_USER_INPUT"), (literal, "GRAPHQL_VALIDATION_FAILED")):
        (error,) = body["errors"]
        assert error["extensions"]["code"] == code
        assert enum in error["message"], error["message"]
    assert "Did you mean the enum value" in given["errors"][0]["message"]


def test_the_values_a_query_gives_are_the_ones_its_filters_take(api: Client) -> None:
    steward = Caller(api, bearer("stella", "steward"))
    unit = f"unit-{uuid4().hex[:8]}"
    made = a_resourced_initiative(steward, Caller(api, bearer("gina", "gatekeeper")), unit)
    read = steward.query(
        """query($unit: String!, $id: ID!, $at: Int!) {
          portfolio(filter: {orgUnit: $unit}, consistentWith: $at) {
            edges { node { kind stage path nextGate } } }
          decisionLog(filter: {subjectId: $id}, consistentWith: $at) {
            edges { node { decisionType subjectKind actorRoles } } }
          pathBalance(orgUnit: $unit, consistentWith: $at) { path }
          gateReviews(initiativeId: $id, consistentWith: $at) { status gate outcome } }""",
        unit=unit,
        id=made["initiative"],
        at=made["position"],
    )
    (item,) = [edge["node"] for edge in read["portfolio"]["edges"]]
    types = [edge["node"]["decisionType"] for edge in read["decisionLog"]["edges"]]
    (balance,) = read["pathBalance"]
    (review,) = read["gateReviews"]

    assert item == {"kind": "INITIATIVE", "stage": "SCOPING", "path": "STRATEGIC", "nextGate": "G2"}
    assert review == {"status": "DECIDED", "gate": "G1", "outcome": "GO"}
    assert {edge["node"]["subjectKind"] for edge in read["decisionLog"]["edges"]} == {"INITIATIVE"}
    again = steward.query(
        """query($unit: String!, $item: PortfolioFilter!, $id: ID!, $type: DecisionType!,
            $path: Path!, $status: GateReviewStatus!) {
          portfolio(filter: $item) { totalCount }
          decisionLog(filter: {subjectId: $id, decisionType: $type}) { totalCount }
          pathBalance(orgUnit: $unit, path: $path) { path }
          gateReviews(initiativeId: $id, status: $status) { gate } }""",
        unit=unit,
        item={"orgUnit": unit, "kind": item["kind"], "stage": item["stage"], "path": item["path"]},
        id=made["initiative"],
        type=types[-1],
        path=balance["path"],
        status=review["status"],
    )
    assert again["portfolio"]["totalCount"] == 1
    assert again["decisionLog"]["totalCount"] == types.count(types[-1])
    assert again["pathBalance"] == [balance]
    assert again["gateReviews"] == [{"gate": "G1"}]


def test_the_roles_a_request_gives_are_the_ones_approvals_are_filtered_by(api: Client) -> None:
    steward = Caller(api, bearer("stella", "steward"))
    proposed = steward.ok("initiativePropose", title="Enter Norway", problem="p", orgUnit="S")
    override = {
        "id": proposed["initiative"]["id"],
        "criteria": OPERATIONAL,
        "reason": "the board's bet",
        "decidedPath": "STRATEGIC",
        "overrideReason": "board mandate",
    }
    asked = steward.ok("approvalRequest", action={"initiativeClassify": override}, reason="b")
    pending = """query($role: Role, $at: Int) {
        pendingApprovals(role: $role, consistentWith: $at) { id kind approverRoles } }"""
    (request,) = [
        p
        for p in steward.query(pending, at=asked["position"])["pendingApprovals"]
        if p["id"] == asked["approvalRequestId"]
    ]
    roles = steward.query("{ viewer { roles } }")["viewer"]["roles"]

    def found(role: str) -> bool:
        listed = steward.query(pending, role=role)["pendingApprovals"]
        return request["id"] in {p["id"] for p in listed}

    assert request["kind"] == "CLASSIFICATION_OVERRIDE"
    assert sorted(request["approverRoles"]) == ["ADMIN", "GATEKEEPER", "SPONSOR"]
    assert all(found(role) for role in request["approverRoles"])
    assert roles == ["STEWARD"]
    assert not found(roles[0])
