"""Talking GraphQL over HTTP in tests, as a client would."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tests.api.conftest import Client

ERRORS = "userErrors { field message code }"
INITIATIVE = f"""initiative {{ id version stage heldFrom nextGate sponsor openConditions budget
    classification {{ decided overridden }} allocations {{ period fte }} }}
    redirectedTo {{ id stage redirectedFrom }} version position {ERRORS}"""
ITEM = f"""improvementItem {{ id version stage owner due escalatedTo
    result {{ expected actual }} actDecision }}
    escalatedTo {{ id stage escalatedFrom }} version position {ERRORS}"""
OBJECTIVE = f"objective {{ id version title retired }} version position {ERRORS}"
TEAM = f"team {{ id version name capacity {{ period fte allocated }} }} version position {ERRORS}"
APPROVAL = f"approvalRequestId version position {ERRORS}"
SELECTIONS = {
    "approval": APPROVAL,
    "initiative": INITIATIVE,
    "improvementItem": ITEM,
    "objective": OBJECTIVE,
    "team": TEAM,
}


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
