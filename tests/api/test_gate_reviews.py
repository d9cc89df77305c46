"""One gate review over HTTP: three gatekeepers vote, each under their own token."""

from __future__ import annotations

import pytest

from tests.api.conftest import Client, bearer
from tests.api.graphql import STRATEGIC, Caller

pytestmark = pytest.mark.database

PANEL = ["gina", "gus", "gail"]
LOG = """query($id: ID!, $at: Int!) {
  decisionLog(filter: {subjectId: $id}, first: 10, consistentWith: $at) {
  edges { node { decisionType actorId overridden summary } } } }"""


def a_sponsored_initiative(steward: Caller) -> str:
    proposed = steward.ok("initiativePropose", title="Nordics", problem="growth", orgUnit="Sales")
    initiative: str = proposed["initiative"]["id"]
    steward.ok("initiativeClassify", id=initiative, criteria=STRATEGIC, reason="new region")
    steward.ok("initiativeAssignSponsor", id=initiative, sponsor="sam")
    return initiative


def test_three_gatekeepers_vote_with_their_own_tokens_and_the_chair_decides(api: Client) -> None:
    steward = Caller(api, bearer("stella", "steward"))
    keepers = {name: Caller(api, bearer(name, "gatekeeper")) for name in PANEL}
    initiative = a_sponsored_initiative(steward)
    opened = steward.ok(
        "initiativeOpenGateReview", id=initiative, gatekeepers=PANEL, chair="gina", reason="G1"
    )
    review = opened["reviewId"]

    for score, (name, keeper) in zip((60, 70, 80), keepers.items(), strict=True):
        keeper.ok(
            "initiativeVoteGate",
            reviewId=review,
            outcome="GO",
            reason=f"{name}: fits",
            mustMeet=[{"name": "strategic fit", "passed": True, "evidence": "minutes"}],
            shouldMeetScore=score,
        )
    again = keepers["gus"].mutate("initiativeVoteGate", reviewId=review, outcome="KILL", reason="x")
    not_chair = keepers["gus"].mutate(
        "initiativeDecideGateReview", reviewId=review, outcome="GO", reason="fits"
    )
    decided = keepers["gina"].ok(
        "initiativeDecideGateReview", reviewId=review, outcome="GO", reason="fits the strategy"
    )

    assert [e["code"] for e in again["userErrors"]] == ["ALREADY_VOTED"]
    assert [e["code"] for e in not_chair["userErrors"]] == ["NOT_CHAIR"]
    assert decided["initiative"]["stage"] == "SCOPING"
    logged = steward.query(LOG, id=initiative, at=decided["position"])
    (gate,) = [
        e["node"] for e in logged["decisionLog"]["edges"] if e["node"]["decisionType"] == "gate"
    ]
    assert (gate["actorId"], gate["overridden"]) == ("gina", False)
    votes = gate["summary"]["votes"]
    assert [(v["gatekeeper"], v["should_meet_score"]) for v in votes] == [
        ("gina", 60),
        ("gus", 70),
        ("gail", 80),
    ]
    assert gate["summary"]["recorded_without_votes"] is False
    read = steward.query(
        "query($id: ID!) { initiative(id: $id) { gateDecisions { gate voters override "
        "recordedWithoutVotes } } }",
        id=initiative,
    )
    assert read["initiative"]["gateDecisions"] == [
        {"gate": "G1", "voters": PANEL, "override": None, "recordedWithoutVotes": False}
    ]
