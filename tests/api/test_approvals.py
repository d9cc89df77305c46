"""A classification against the policy over HTTP: asked under one token, approved under
another, visible meanwhile to those who may decide it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Client, bearer
from tests.api.graphql import OPERATIONAL, Caller, uuid_in

pytestmark = pytest.mark.database

PENDING = """query($me: Boolean!, $at: Int) {
    pendingApprovals(forMe: $me, consistentWith: $at) {
      id kind subjectId subjectUuid requestedBy approverRoles expired }
}"""


def pending(caller: Caller, position: int, for_me: bool = True) -> dict[str, dict[str, Any]]:
    """Pending requests by id (the store may hold others' requests too)."""
    found = caller.query(PENDING, me=for_me, at=position)["pendingApprovals"]
    return {request["id"]: request for request in found}


def test_an_override_is_asked_by_a_steward_and_takes_effect_when_a_sponsor_approves(
    api: Client,
) -> None:
    steward = Caller(api, bearer("stella", "steward"))
    sponsor = Caller(api, bearer("sam", "sponsor"))
    proposed = steward.ok("initiativePropose", title="Enter Norway", problem="p", orgUnit="Sales")
    initiative = proposed["initiative"]["id"]
    override = {
        "id": initiative,
        "criteria": OPERATIONAL,
        "reason": "the board's bet",
        "decidedPath": "STRATEGIC",
        "overrideReason": "board mandate",
    }

    assert steward.refused("initiativeClassify", **override) == "APPROVAL_REQUIRED"
    asked = steward.ok("approvalRequest", action={"initiativeClassify": override}, reason="board")
    request = asked["approvalRequestId"]

    waiting = pending(sponsor, asked["position"])[request]
    assert (waiting["kind"], waiting["requestedBy"], waiting["expired"]) == (
        "CLASSIFICATION_OVERRIDE",
        "stella",
        False,
    )
    assert (waiting["subjectId"], waiting["subjectUuid"]) == (initiative, uuid_in(initiative))
    assert sorted(waiting["approverRoles"]) == ["ADMIN", "GATEKEEPER", "SPONSOR"]
    assert request not in pending(steward, asked["position"])  # not hers to decide
    assert steward.refused("approvalApprove", id=request, reason="mine") == "FORBIDDEN"

    approved = sponsor.ok("approvalApprove", id=request, reason="minutes of the board")

    assert request not in pending(sponsor, approved["position"], for_me=False)
    read = steward.query(
        "query($id: ID!) { initiative(id: $id) { classification { decided overridden } } }",
        id=initiative,
    )
    assert read["initiative"]["classification"] == {"decided": "STRATEGIC", "overridden": True}
    again = sponsor.refused("approvalReject", id=request, reason="changed my mind")
    assert again == "APPROVAL_CLOSED"
    assert logged(steward, request, approved["position"]) == [
        ("APPROVAL_REQUEST", "stella", "board"),
        ("APPROVAL", "sam", "minutes of the board"),
    ]


LOG = """query($id: ID!, $at: Int) {
    decisionLog(filter: {subjectId: $id}, consistentWith: $at) {
        edges { node { decisionType actorId reason subjectId } } } }"""


def logged(caller: Caller, request: str, position: int) -> list[tuple[str, str, str]]:
    """The request's own rows in the decision log: who asked and who decided, and why."""
    edges = caller.query(LOG, id=request, at=position)["decisionLog"]["edges"]
    assert all(edge["node"]["subjectId"] == request for edge in edges)
    return [(e["node"]["decisionType"], e["node"]["actorId"], e["node"]["reason"]) for e in edges]
