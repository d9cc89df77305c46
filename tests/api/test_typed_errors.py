"""No request can produce an internal error from its content: every failure says what it is."""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import replace
from typing import Any
from uuid import uuid4

import pytest
from graphql import GraphQLInputObjectType, get_named_type

from schema.build import build_schema
from service.database import Database
from tests.api.conftest import TEST_SETTINGS, Client, bearer, serving

pytestmark = pytest.mark.database

Body = dict[str, Any]


def post(api: Client, body: bytes, **headers: str) -> tuple[int, Body]:
    sent = {**bearer("stella", "steward"), "Content-Type": "application/json", **headers}
    response = api.post("/graphql", content=body, headers=sent)
    parsed: Body = response.json()
    return response.status_code, parsed


def operation(query: str, **variables: Any) -> bytes:
    return json.dumps({"query": query, "variables": variables}).encode()


def codes(body: Body) -> list[str]:
    return [error.get("extensions", {}).get("code") for error in body.get("errors", [])]


def gid(type_name: str) -> str:
    return base64.b64encode(f"{type_name}:{uuid4()}".encode()).decode()


MALFORMED = {
    "a JSON string": b'"{ viewer { id } }"',
    "null": b"null",
    "a number": b"5",
    "invalid UTF-8": b'{"query": "{ viewer { id } }\xff"}',
    "not JSON": b'{"query": ',
    "nesting 5,000 deep": b'{"query": "{ viewer { id } }", "variables": {"v": '
    + b"[" * 5000
    + b"]" * 5000
    + b"}}",
    "variables that are not an object": b'{"query": "{ viewer { id } }", "variables": "x"}',
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_body_is_a_400_with_a_json_body_that_says_why(api: Client, body: bytes) -> None:
    status, answer = post(api, body)

    assert status == 400
    assert answer["status_code"] == 400
    assert answer["detail"].strip()


INITIATIVE_AS_OF = "query($id: ID!, $at: DateTime) { initiative(id: $id, asOf: $at) { id } }"
INITIATIVE_AT = "query($id: ID!, $v: Int) { initiative(id: $id, version: $v) { id } }"
PORTFOLIO = """query($f: PortfolioFilter, $after: String) {
  portfolio(filter: $f, after: $after) { totalCount } }"""
INITIATIVES = "query($after: String) { initiatives(after: $after) { totalCount } }"
DECISIONS = "query($after: String) { decisionLog(after: $after) { totalCount } }"
FUZZED = {
    "a syntax error": ("{ viewer { id ", {}, "GRAPHQL_PARSE_FAILED"),
    "an unknown field": ("{ viewer { idd } }", {}, "GRAPHQL_VALIDATION_FAILED"),
    "a variable of the wrong type": (
        "query($n: Int!) { initiatives(first: $n) { totalCount } }",
        {"n": "ten"},
        "BAD_USER_INPUT",
    ),
    "asOf without a time zone": (
        INITIATIVE_AS_OF,
        {"id": gid("Initiative"), "at": "2026-12-03T20:13:13"},
        "BAD_USER_INPUT",
    ),
    "asOf without a time zone, written in the query": (
        f'{{ initiative(id: "{gid("Initiative")}", asOf: "2026-12-03T20:13:13") {{ id }} }}',
        {},
        "GRAPHQL_VALIDATION_FAILED",
    ),
    "version 0": (INITIATIVE_AT, {"id": gid("Initiative"), "v": 0}, "BAD_USER_INPUT"),
    "a negative version": (INITIATIVE_AT, {"id": gid("Initiative"), "v": -1}, "BAD_USER_INPUT"),
    "a team's id where an objective's is filtered on": (
        PORTFOLIO,
        {"f": {"objectiveId": gid("Team")}},
        "BAD_USER_INPUT",
    ),
    "a global id that is not one": ('{ node(id: "zzz") { id } }', {}, "BAD_USER_INPUT"),
    "a cursor that is not a number": (DECISIONS, {"after": "²"}, "BAD_USER_INPUT"),
    "a 5,000-digit cursor": (DECISIONS, {"after": "9" * 5000}, "BAD_USER_INPUT"),
    "a 5,000-character object cursor": (INITIATIVES, {"after": "1" * 5000}, "BAD_USER_INPUT"),
    "a forged portfolio cursor": (PORTFOLIO, {"after": "cG9ydGZvbGlvOng="}, "BAD_USER_INPUT"),
    "NUL in a filter": (PORTFOLIO, {"f": {"orgUnit": "a\u0000b"}}, "BAD_USER_INPUT"),
    "a lone surrogate in a filter": (PORTFOLIO, {"f": {"owner": "a\ud800"}}, "BAD_USER_INPUT"),
    "NUL in a filter, written in the query": (
        '{ portfolio(filter: {sponsor: "a\\u0000"}) { totalCount } }',
        {},
        "BAD_USER_INPUT",
    ),
}


@pytest.mark.parametrize(("query", "variables", "code"), FUZZED.values(), ids=FUZZED.keys())
def test_bad_input_gets_a_graphql_error_with_its_code(
    api: Client, caplog: pytest.LogCaptureFixture, query: str, variables: Body, code: str
) -> None:
    with caplog.at_level(logging.INFO):
        status, body = post(api, operation(query, **variables))

    assert status == 200
    assert codes(body) == [code], body
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert any("refused" in r.getMessage() for r in caplog.records)


def test_a_naive_moment_is_refused_even_when_the_object_exists(api: Client) -> None:
    created = json.loads(
        api.post(
            "/graphql",
            json={
                "query": 'mutation { teamRegister(input: {name: "A", orgUnit: "B"}) '
                "{ team { id } } }"
            },
            headers=bearer("stella", "steward"),
        ).text
    )["data"]["teamRegister"]["team"]["id"]
    query = "query($id: ID!, $at: DateTime) { team(id: $id, asOf: $at) { id } }"

    _, naive = post(api, operation(query, id=created, at="2030-01-01T00:00:00"))
    _, aware = post(api, operation(query, id=created, at="2030-01-01T00:00:00Z"))

    assert codes(naive) == ["BAD_USER_INPUT"]
    assert aware["data"]["team"]["id"] == created


@pytest.mark.parametrize("key", ["a\u0000b", "a\ud800b", "k" * 201])
def test_an_idempotency_key_that_cannot_be_stored_is_a_user_error(api: Client, key: str) -> None:
    query = """mutation($i: TeamRegisterInput!) {
      teamRegister(input: $i) { version userErrors { field code } } }"""

    _, body = post(api, operation(query, i={"name": "A", "orgUnit": "B", "idempotencyKey": key}))

    (error,) = body["data"]["teamRegister"]["userErrors"]
    assert error["field"] == "idempotencyKey"
    assert error["code"] in ("INVALID_TEXT", "TEXT_TOO_LONG")


def test_without_introspection_errors_suggest_no_field_names(database: Database) -> None:
    closed = replace(TEST_SETTINGS, introspection=False, graphiql=False)
    with serving(closed, database) as client:
        _, body = post(client, operation("mutation { teamRegistr { version } }"))

    (error,) = body["errors"]
    assert "Did you mean" not in error["message"]
    assert "teamRegister" not in error["message"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_with_introspection_errors_still_suggest(api: Client) -> None:
    _, body = post(api, operation("mutation { teamRegistr { version } }"))

    assert "Did you mean 'teamRegister'" in body["errors"][0]["message"]


NAIVE, AWARE = "2026-12-03T20:13:13", "2026-12-03T20:13:13Z"
# Every argument and input field that takes a moment, with a selection that gives it AT.
MOMENTS = {
    "Query.initiative(asOf)": "initiative(id: THE_ID, asOf: AT) { id }",
    "Query.improvementItem(asOf)": "improvementItem(id: THE_ID, asOf: AT) { id }",
    "Query.objective(asOf)": "objective(id: THE_ID, asOf: AT) { id }",
    "Query.team(asOf)": "team(id: THE_ID, asOf: AT) { id }",
    "DecisionFilter.since": "decisionLog(filter: {since: AT}) { totalCount }",
    "DecisionFilter.until": "decisionLog(filter: {until: AT}) { totalCount }",
    "AccessLogFilter.since": "accessLog(filter: {since: AT}) { pageInfo { hasNextPage } }",
    "AccessLogFilter.until": "accessLog(filter: {until: AT}) { pageInfo { hasNextPage } }",
}


def test_every_argument_that_takes_a_moment_is_tried_below() -> None:
    schema = build_schema(TEST_SETTINGS)._schema
    taking = set()
    for name, type_ in schema.type_map.items():
        for field_name, field in getattr(type_, "fields", {}).items():
            if (
                isinstance(type_, GraphQLInputObjectType)
                and get_named_type(field.type).name == "DateTime"
            ):
                taking.add(f"{name}.{field_name}")  # an input's field
            for argument, value in getattr(field, "args", {}).items():
                if get_named_type(value.type).name == "DateTime":
                    taking.add(f"{name}.{field_name}({argument})")

    assert taking == set(MOMENTS)


@pytest.mark.parametrize("selection", MOMENTS.values(), ids=MOMENTS.keys())
def test_a_moment_without_a_time_zone_is_refused_as_the_clients_error_wherever_it_is_given(
    api: Client, selection: str
) -> None:
    selection = selection.replace("THE_ID", json.dumps(gid("Initiative")))
    variable = f"query($at: DateTime) {{ {selection.replace('AT', '$at')} }}"
    written = f"{{ {selection.replace('AT', json.dumps(NAIVE))} }}"
    headers = {"Content-Type": "application/json", **bearer("ada", "auditor", "steward")}

    def sent(text: str, **variables: Any) -> Body:
        body = json.dumps({"query": text, "variables": variables}).encode()
        parsed: Body = api.post("/graphql", content=body, headers=headers).json()
        return parsed

    naive, literal, aware = sent(variable, at=NAIVE), sent(written), sent(variable, at=AWARE)

    assert codes(naive) == ["BAD_USER_INPUT"]
    assert "has no time zone: add Z or an offset" in naive["errors"][0]["message"]
    assert codes(literal) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "has no time zone" in literal["errors"][0]["message"]
    assert "errors" not in aware, aware
