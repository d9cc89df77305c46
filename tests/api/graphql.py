"""Talking GraphQL over HTTP in tests, as a client would."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from tests.api.conftest import Client, bearer

ERRORS = "userErrors { field message code }"
INITIATIVE = f"""initiative {{ id version stage heldFrom nextGate sponsor openConditions budget
    classification {{ decided overridden }} allocations {{ period fte }} }}
    redirectedTo {{ id stage redirectedFrom }} version position {ERRORS}"""
ITEM = f"""improvementItem {{ id version stage owner due escalatedTo
    result {{ expected actual }} actDecision }}
    escalatedTo {{ id stage escalatedFrom }} version position {ERRORS}"""
OBJECTIVE = f"objective {{ id version title retired }} version position {ERRORS}"
TEAM = f"team {{ id version name capacity {{ period fte allocated }} }} version position {ERRORS}"
REVIEW = f"reviewId version position {ERRORS}"
APPROVAL = f"approvalRequestId version position {ERRORS}"
SELECTIONS = {
    "initiativeOpenGateReview": REVIEW,
    "initiativeVoteGate": REVIEW,
    "initiativeWithdrawGateReview": REVIEW,
    "approval": APPROVAL,
    "initiative": INITIATIVE,
    "improvementItem": ITEM,
    "objective": OBJECTIVE,
    "team": TEAM,
}


def uuid_in(global_id: str) -> str:
    """The UUID inside one of the API's global ids (base64 of `Type:uuid`)."""
    return base64.b64decode(global_id).decode().split(":")[1]


def global_id(type_name: str, uuid: str) -> str:
    """The global id of the object of `type_name` with `uuid`, as the API makes it."""
    return base64.b64encode(f"{type_name}:{uuid}".encode()).decode()


@dataclass(frozen=True)
class Caller:
    """One client with one bearer token."""

    api: Client
    headers: dict[str, str]

    def query(self, text: str, **variables: Any) -> dict[str, Any]:
        body = self.raw(text, **variables)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    def raw(self, text: str, **variables: Any) -> dict[str, Any]:
        # Encoded as JSON escapes, as a client would send any text (lone surrogates too).
        sent = json.dumps({"query": text, "variables": variables})
        headers = {**self.headers, "Content-Type": "application/json"}
        response = self.api.post("/graphql", content=sent, headers=headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def mutate(self, name: str, /, **fields: Any) -> dict[str, Any]:
        """Run mutation `name` with `fields` as its input; return its payload."""
        kind = next(k for k in SELECTIONS if name.startswith(k))
        input_type = INPUT_TYPES.get(name, name[0].upper() + name[1:] + "Input")
        text = f"mutation($i: {input_type}!) {{ {name}(input: $i) {{ {SELECTIONS[kind]} }} }}"
        data = self.query(text, i=fields)
        payload: dict[str, Any] = data[name]
        return payload

    def ok(self, name: str, /, **fields: Any) -> dict[str, Any]:
        """Run a mutation that must succeed."""
        payload = self.mutate(name, **fields)
        assert payload["userErrors"] == [], payload["userErrors"]
        return payload

    def refused(self, name: str, /, **fields: Any) -> str:
        """Run a mutation that must fail; return its error code."""
        payload = self.mutate(name, **fields)
        assert payload["version"] is None
        (error,) = payload["userErrors"]
        code: str = error["code"]
        return code


INPUT_TYPES = {
    "initiativeClassify": "ClassifyInput",
    "improvementItemClassify": "ClassifyInput",
    "initiativeReleaseSponsor": "ReasonInput",
    "improvementItemReleaseResources": "ReasonInput",
    "objectiveRetire": "ReasonInput",
    "initiativeAlign": "AlignInput",
    "improvementItemAlign": "AlignInput",
    "initiativeRemoveAlignment": "RemoveAlignmentInput",
    "approvalApprove": "ApprovalDecideInput",
    "approvalReject": "ApprovalDecideInput",
}

STRATEGIC = {
    "scope": "ENTERPRISE",
    "horizonMonths": 36,
    "changesSystem": True,
    "newMarketOrModel": True,
    "capitalRequired": "2000000",
    "reversible": False,
}
OPERATIONAL = {
    "scope": "TEAM",
    "horizonMonths": 2,
    "changesSystem": False,
    "newMarketOrModel": False,
}


OPENING, DECIDING = {"corrects"}, {"nextGateDate", "override"}


def review_gate(
    api: Client, initiative: str, outcome: str, gatekeepers: list[str], reason: str, **more: Any
) -> dict[str, Any]:
    """A whole gate review over HTTP: a steward opens it, each gatekeeper votes `outcome` under
    their own token, and the first, the chair, decides it; returns the decision's payload (or
    the opening's, if it was refused).
    `more` goes to the step it belongs to: corrects to opening, nextGateDate and override to
    the decision, conditions to both, the rest to each vote."""
    steward = Caller(api, bearer("stella", "steward"))
    opened = steward.mutate(
        "initiativeOpenGateReview",
        id=initiative,
        gatekeepers=gatekeepers,
        chair=gatekeepers[0],
        **{k: v for k, v in more.items() if k in OPENING},
    )
    if opened["userErrors"]:
        return opened
    review = opened["reviewId"]
    for keeper in gatekeepers:
        Caller(api, bearer(keeper, "gatekeeper")).ok(
            "initiativeVoteGate",
            reviewId=review,
            outcome=outcome,
            reason=reason,
            **{k: v for k, v in more.items() if k not in OPENING | DECIDING},
        )
    chair = Caller(api, bearer(gatekeepers[0], "gatekeeper"))
    decided = {k: v for k, v in more.items() if k in DECIDING | {"conditions"}}
    return chair.mutate(
        "initiativeDecideGateReview", reviewId=review, outcome=outcome, reason=reason, **decided
    )


def a_resourced_initiative(steward: Caller, gatekeeper: Caller, unit: str) -> dict[str, str]:
    """An initiative of `unit` through G1 (gina and gus voting GO) and resourced by a team of
    its own in 2031-Q1; its and the team's global ids, and the last write's position."""
    team = steward.ok("teamRegister", name=f"team {unit}", orgUnit=unit)["team"]["id"]
    steward.ok("teamSetCapacity", id=team, period="2031-Q1", fte="4", reason="plan")
    initiative = steward.ok("initiativePropose", title="Go", problem="p", orgUnit=unit)
    gid = initiative["initiative"]["id"]
    steward.ok("initiativeClassify", id=gid, criteria=STRATEGIC, reason="big")
    steward.ok("initiativeAssignSponsor", id=gid, sponsor="sam")
    assert review_gate(gatekeeper.api, gid, "GO", ["gina", "gus"], "fit")["userErrors"] == []
    resourced = steward.ok(
        "initiativeResource",
        id=gid,
        teamId=team,
        period="2031-Q1",
        fte="3",
        budget="1000",
        reason="squad",
    )
    return {"team": team, "initiative": gid, "position": resourced["position"]}
