"""Who may do what: each mutation is open only to the roles the domain implies; auditors read."""

from __future__ import annotations

import base64
from typing import Any
from uuid import uuid4

import pytest

from tests.api.conftest import Client, bearer
from tests.api.graphql import OPERATIONAL, Caller
from tests.test_commands import commands_of_mutations

pytestmark = pytest.mark.database

ROLES = ("contributor", "steward", "sponsor", "gatekeeper", "auditor", "admin")
ALLOWED = {mutation: kind.roles for mutation, kind in commands_of_mutations().items()}


def missing(type_name: str) -> str:
    return base64.b64encode(f"{type_name}:{uuid4()}".encode()).decode()


def inputs() -> dict[str, dict[str, Any]]:
    """A well-formed input for every mutation; ids name objects that do not exist."""
    kinds = ("Initiative", "ImprovementItem", "Objective", "Team", "GateReview", "ApprovalRequest")
    i, item, o, t, r, request = (missing(n) for n in kinds)
    why = {"reason": "because"}
    return {
        "initiativePropose": {"title": "t", "problem": "p", "orgUnit": "u"},
        "initiativeClassify": {"id": i, "criteria": OPERATIONAL, **why},
        "initiativeAssignSponsor": {"id": i, "sponsor": "sam"},
        "initiativeReleaseSponsor": {"id": i, **why},
        "initiativeAlign": {"id": i, "objectiveId": o},
        "initiativeRemoveAlignment": {"id": i, "objectiveId": o, **why},
        "initiativeResource": {"id": i, "teamId": t, "period": "2027-Q1", "fte": "1", **why},
        "initiativeReleaseResources": {"id": i, "teamId": t, "period": "2027-Q1", **why},
        "initiativeOpenGateReview": {"id": i, "gatekeepers": ["g", "h"], "chair": "g"},
        "initiativeVoteGate": {"reviewId": r, "outcome": "HOLD", **why},
        "initiativeDecideGateReview": {"reviewId": r, "outcome": "HOLD", **why},
        "initiativeWithdrawGateReview": {"reviewId": r, **why},
        "initiativeClearConditions": {"id": i, "evidence": "e", **why},
        "initiativeReview": {
            "id": i,
            "period": "2027-01",
            "status": "GREEN",
            "summary": "s",
            **why,
        },
        "initiativeRecordBenefit": {
            "id": i,
            "benefit": "b",
            "planned": "1",
            "realised": "1",
            **why,
        },
        "initiativeClose": {"id": i, "outcome": "done", **why},
        "improvementItemRaise": {"title": "t", "problem": "p", "area": "a"},
        "improvementItemClassify": {"id": item, "criteria": OPERATIONAL, **why},
        "improvementItemResource": {"id": item, "owner": "o", "due": "2027-01-01", **why},
        "improvementItemReleaseResources": {"id": item, **why},
        "improvementItemAdvance": {"id": item, "to": "PLAN"},
        "improvementItemReview": {"id": item, "status": "GREEN", **why},
        "improvementItemAlign": {"id": item, "objectiveId": o},
        "improvementItemStandardise": {"id": item, "standardReference": "SOP"},
        "improvementItemAbandon": {"id": item, "lessonLearned": "l", **why},
        "objectiveDefine": {
            "title": "t",
            "level": "ANNUAL",
            "owner": "o",
            "due": "2027-12-31",
            "kpis": [{"name": "k", "target": "1"}],
        },
        "objectiveRetarget": {
            "id": o,
            "due": "2027-12-31",
            "kpis": [{"name": "k", "target": "2"}],
            **why,
        },
        "objectiveRetire": {"id": o, **why},
        "teamRegister": {"name": "n", "orgUnit": "u"},
        "teamSetCapacity": {"id": t, "period": "2027-Q1", "fte": "1", **why},
        "approvalRequest": {
            "action": {
                "initiativeResource": {"id": i, "teamId": t, "period": "2027-Q1", "fte": "9", **why}
            },
            **why,
        },
        "approvalApprove": {"id": request, **why},
        "approvalReject": {"id": request, **why},
    }


def test_every_mutation_has_an_input_here_and_a_rule_for_who_may_run_it() -> None:
    assert set(inputs()) == set(ALLOWED)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_may_run_exactly_the_mutations_the_domain_gives_it(
    api: Client, role: str
) -> None:
    caller = Caller(api, bearer(f"someone-{role}", role))
    forbidden = set()

    for mutation, fields in inputs().items():
        payload = caller.mutate(mutation, **fields)
        if any(error["code"] == "FORBIDDEN" for error in payload["userErrors"]):
            forbidden.add(mutation)

    assert forbidden == {m for m, roles in ALLOWED.items() if role not in roles}


def test_an_auditor_may_run_no_mutation_at_all(api: Client) -> None:
    assert not any("auditor" in roles for roles in ALLOWED.values())


def test_an_auditor_reads_objects_lists_and_history(api: Client) -> None:
    steward = Caller(api, bearer("stella", "steward"))
    created = steward.ok("teamRegister", name="Audited team", orgUnit="Plant")
    auditor = Caller(api, bearer("aud", "auditor"))

    read = auditor.query(
        """query($id: ID!) { team(id: $id) { name } history(id: $id) { edges { node { type } } }
             teams(first: 1) { totalCount } }""",
        id=created["team"]["id"],
    )

    assert read["team"] == {"name": "Audited team"}
    assert read["history"]["edges"] == [{"node": {"type": "Team.Registered"}}]
    assert read["teams"]["totalCount"] >= 1


def test_the_actor_recorded_is_the_tokens_subject_whatever_the_client_sends(api: Client) -> None:
    steward = Caller(api, {**bearer("stella", "steward"), "X-Actor": "mallory"})

    created = steward.ok("teamRegister", name="Honest team", orgUnit="Plant")

    history = steward.query(
        "query($id: ID!) { history(id: $id) { edges { node { actor { id roles } } } } }",
        id=created["team"]["id"],
    )
    assert history["history"]["edges"] == [
        {"node": {"actor": {"id": "stella", "roles": ["STEWARD"]}}}
    ]
