"""Fuzzing the GraphQL API over HTTP: operations generated from the committed schema, valid and
with one violation each, sent by two roles, never get an internal error, a 5xx or an error
without a code. POLARITY_FUZZ_EXAMPLES sets how many (`make fuzz` runs a long campaign)."""

from __future__ import annotations

import base64
import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import nodes
from hypothesis_graphql import strategies as graphql

from tests.api.conftest import Client, bearer
from tests.api.graphql import STRATEGIC, Caller

pytestmark = pytest.mark.database

EXAMPLES = int(os.environ.get("POLARITY_FUZZ_EXAMPLES", "100"))
SDL = (Path(__file__).resolve().parents[2] / "schema" / "schema.graphql").read_text()
ROLES = {"steward": bearer("fuzz-steward", "steward"), "auditor": bearer("fuzz-auditor", "auditor")}
OUTCOMES: Counter[str] = Counter()

EDGE_TEXTS = ["", "\x00", "\ud800", "=HYPERLINK(1)", "x" * 10_001, "2027-Q1", "GO", "1e999999"]
EDGE_NUMBERS = ["1e200000", "1e-20000", "-0", "NaN", "Infinity", "abc", "0.1234567", "1e15"]


@pytest.fixture(scope="module")
def known_ids(api: Client) -> list[str]:
    """Ids of real objects of every kind, so that generated commands reach the domain."""
    steward = Caller(api, bearer("fuzz-steward", "steward"))
    team = steward.ok("teamRegister", name="Fuzz", orgUnit="Ops")["team"]["id"]
    initiative = steward.ok("initiativePropose", title="Fuzz", problem="p", orgUnit="Ops")
    steward.ok(
        "initiativeClassify", id=initiative["initiative"]["id"], criteria=STRATEGIC, reason="r"
    )
    item = steward.ok("improvementItemRaise", title="Fuzz", problem="p", area="Ops")
    kpis = [{"name": "share", "target": "1"}]
    objective = steward.ok(
        "objectiveDefine", title="Fuzz", level="ANNUAL", owner="o", kpis=kpis, due="2030-01-01"
    )
    return [
        team,
        initiative["initiative"]["id"],
        item["improvementItem"]["id"],
        objective["objective"]["id"],
    ]


def mostly(valid: st.SearchStrategy[str], edge: st.SearchStrategy[str]) -> Any:
    """Valid values three times in four, so that operations get past the schema to the domain."""
    return st.one_of(valid, valid, valid, edge).map(nodes.String)


def scalars(ids: list[str]) -> dict[str, st.SearchStrategy[Any]]:
    text = st.text(max_size=30) | st.sampled_from(EDGE_TEXTS)
    forged = st.builds(lambda kind: f"{kind}:{uuid4()}", st.sampled_from(["Team", "Initiative"]))
    global_ids = st.sampled_from(ids) | forged.map(lambda t: base64.b64encode(t.encode()).decode())
    numbers = st.decimals(allow_nan=False, allow_infinity=False, places=2, max_value=10**6)
    moments = st.datetimes().map(lambda d: d.isoformat() + "Z")
    return {
        "ID": mostly(global_ids, text),
        "Decimal": mostly(numbers.map(str), st.sampled_from(EDGE_NUMBERS)),
        "DateTime": mostly(moments, text),
        "Date": mostly(st.dates().map(str), text),
        "JSON": text.map(nodes.String),
    }


def operations(ids: list[str]) -> st.SearchStrategy[Any]:
    custom = scalars(ids)
    return st.one_of(
        graphql.queries(SDL, custom_scalars=custom, codec=None),
        graphql.mutations(SDL, custom_scalars=custom, codec=None),
        graphql.queries(SDL, custom_scalars=custom, codec=None, mode=graphql.Mode.NEGATIVE),
        graphql.mutations(SDL, custom_scalars=custom, codec=None, mode=graphql.Mode.NEGATIVE),
    )


@pytest.fixture(scope="module", autouse=True)
def summary() -> Iterator[None]:
    """Print what the campaign met: answers by kind and error code."""
    yield
    if OUTCOMES:
        counts = ", ".join(f"{kind} {n}" for kind, n in OUTCOMES.most_common())
        print(f"\nfuzz: {sum(OUTCOMES.values())} operations: {counts}")


def test_no_generated_operation_gets_an_internal_error_a_5xx_or_an_uncoded_error(
    api: Client, known_ids: list[str]
) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(operation=operations(known_ids), role=st.sampled_from(sorted(ROLES)))
    def send(operation: str, role: str) -> None:
        body = json.dumps({"query": operation})  # escapes lone surrogates as JSON allows
        headers = {**ROLES[role], "Content-Type": "application/json"}
        response = api.post("/graphql", content=body, headers=headers)
        assert response.status_code < 500, (operation, response.text)
        answer = response.json()
        assert response.status_code == 200 or "detail" in answer, (operation, answer)
        record(answer)

    send()


def record(answer: dict[str, Any]) -> None:
    errors = answer.get("errors") or []
    for error in errors:
        code = (error.get("extensions") or {}).get("code")
        assert code, error
        assert code != "INTERNAL_ERROR", error
        OUTCOMES[f"error {code}"] += 1
    for payload in (answer.get("data") or {}).values():
        if isinstance(payload, dict) and payload.get("userErrors"):
            OUTCOMES[f"userError {payload['userErrors'][0].get('code', '(not selected)')}"] += 1
    if not errors:
        OUTCOMES["answered"] += 1
