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
        e["node"] for e in logged["decisionLog"]["edges"] if e["node"]["decisionType"] == "GATE"
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


REVIEWS = """query($id: ID!, $at: Int!) { gateReviews(initiativeId: $id, consistentWith: $at) {
  id gate status gatekeepers chair quorum openedBy outcome override closedBy closeReason
  votes { gatekeeper outcome mustMeet { name passed evidence } shouldMeetScore conditions reason
          votedAt } } }"""


def test_gate_reviews_read_with_each_vote_as_its_gatekeeper_cast_it(api: Client) -> None:
    steward = Caller(api, bearer("stella", "steward"))
    keepers = {name: Caller(api, bearer(name, "gatekeeper")) for name in PANEL}
    initiative = a_sponsored_initiative(steward)
    first = steward.ok("initiativeOpenGateReview", id=initiative, gatekeepers=PANEL, chair="gus")
    second = steward.mutate(
        "initiativeOpenGateReview", id=initiative, gatekeepers=PANEL, chair="gus"
    )
    keepers["gail"].ok(
        "initiativeVoteGate", reviewId=first["reviewId"], outcome="HOLD", reason="wait"
    )
    withdrawn = steward.ok(
        "initiativeWithdrawGateReview", reviewId=first["reviewId"], reason="panel cannot meet"
    )
    late = keepers["gina"].mutate(
        "initiativeVoteGate", reviewId=first["reviewId"], outcome="GO", reason="late"
    )
    review = steward.ok("initiativeOpenGateReview", id=initiative, gatekeepers=PANEL, chair="gina")[
        "reviewId"
    ]
    for name, outcome in (("gus", "CONDITIONAL_GO"), ("gail", "CONDITIONAL_GO")):
        keepers[name].ok(
            "initiativeVoteGate",
            reviewId=review,
            outcome=outcome,
            reason=f"{name}: go, with a lead named",
            mustMeet=[{"name": "strategic fit", "passed": True, "evidence": "minutes p.2"}],
            shouldMeetScore=75,
            conditions=["name a PMO lead"],
        )
    decided = keepers["gina"].ok(
        "initiativeDecideGateReview", reviewId=review, outcome="CONDITIONAL_GO", reason="agreed"
    )

    assert [e["code"] for e in second["userErrors"]] == ["REVIEW_ALREADY_OPEN"]
    assert [e["code"] for e in late["userErrors"]] == ["REVIEW_WITHDRAWN"]
    reviews = steward.query(REVIEWS, id=initiative, at=decided["position"])["gateReviews"]
    assert [(r["status"], r["chair"], r["closedBy"]) for r in reviews] == [
        ("DECIDED", "gina", "gina"),
        ("WITHDRAWN", "gus", "stella"),
    ]
    latest, earlier = reviews
    assert (latest["id"], latest["outcome"], latest["quorum"]) == (review, "CONDITIONAL_GO", 2)
    assert (earlier["id"], earlier["closeReason"]) == (withdrawn["reviewId"], "panel cannot meet")
    assert [(v["gatekeeper"], v["outcome"]) for v in earlier["votes"]] == [("gail", "HOLD")]
    gus = latest["votes"][0]
    assert {k: v for k, v in gus.items() if k != "votedAt"} == {
        "gatekeeper": "gus",
        "outcome": "CONDITIONAL_GO",
        "mustMeet": [{"name": "strategic fit", "passed": True, "evidence": "minutes p.2"}],
        "shouldMeetScore": 75,
        "conditions": ["name a PMO lead"],
        "reason": "gus: go, with a lead named",
    }
    assert gus["votedAt"].endswith("+00:00")
    assert [v["gatekeeper"] for v in latest["votes"]] == ["gus", "gail"]
