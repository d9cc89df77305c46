"""The API's limits over HTTP: depth, aliases, tokens, page size and cursors, and never a 500."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest
from graphql.language import Lexer, Source, TokenKind

from schema.build import MAX_ALIASES, MAX_DEPTH, MAX_TOKENS
from schema.cost import MAX_COST
from schema.paging import MAX_PAGE
from tests.api.conftest import Client, bearer
from tests.api.graphql import Caller

pytestmark = pytest.mark.database

Body = dict[str, Any]


def post(api: Client, query: str, **variables: Any) -> Body:
    """Send an operation as an auditor; whatever it asks for, the server never fails with a 5xx."""
    response = api.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers=bearer("aud", "auditor"),
    )
    assert response.status_code < 500, response.text
    body: Body = response.json()
    return body


def messages(body: Body) -> list[str]:
    return [error["message"] for error in body.get("errors", [])]


def error_codes(body: Body) -> list[str | None]:
    return [error.get("extensions", {}).get("code") for error in body.get("errors", [])]


# Depth -----------------------------------------------------------------------------------------


def of_depth(depth: int) -> str:
    """An operation `depth` levels deep.

    No object in the schema nests deeper than a few levels (objects link by id), so the levels
    below `viewer` are made-up fields; the depth rule measures the document all the same."""
    return "query Deep { viewer { " + "nested { " * (depth - 1) + "id" + " }" * depth + " }"


def test_an_operation_deeper_than_max_depth_is_refused_saying_so(api: Client) -> None:
    body = post(api, of_depth(MAX_DEPTH + 1))

    assert body["data"] is None
    assert f"'Deep' exceeds maximum operation depth of {MAX_DEPTH}" in messages(body)


def test_an_operation_at_max_depth_is_not_refused_for_its_depth(api: Client) -> None:
    body = post(api, of_depth(MAX_DEPTH))

    assert not [message for message in messages(body) if "depth" in message]


# Aliases ---------------------------------------------------------------------------------------


def with_aliases(count: int) -> str:
    return "{ " + " ".join(f"a{n}: viewer {{ id }}" for n in range(count)) + " }"


def test_more_aliases_than_max_aliases_are_refused_saying_so(api: Client) -> None:
    body = post(api, with_aliases(MAX_ALIASES + 1))

    assert body["data"] is None
    assert messages(body) == [f"{MAX_ALIASES + 1} aliases found. Allowed: {MAX_ALIASES}"]


def test_max_aliases_aliases_are_served(api: Client) -> None:
    body = post(api, with_aliases(MAX_ALIASES))

    assert "errors" not in body
    assert len(body["data"]) == MAX_ALIASES


# Tokens ----------------------------------------------------------------------------------------


def tokens_in(document: str) -> int:
    lexer = Lexer(Source(document))
    count = 0
    while lexer.advance().kind is not TokenKind.EOF:
        count += 1
    return count


# An auditor's gate decision: refused by role, whatever it names; its list pads it to length.
PADDED = """mutation { initiativeOpenGateReview(input: {
  id: "SW5pdGlhdGl2ZTowMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDE=",
  chair: "g", reason: "r", gatekeepers: [NAMES]
}) { userErrors { code } } }"""


def with_tokens(count: int) -> str:
    """A document of exactly `count` tokens.

    It is padded with a list of strings, not repeated fields: thousands of fields with one name
    would trip graphql-core's own budget for comparing overlapping fields."""

    def document(names: int) -> str:
        return PADDED.replace("NAMES", " ".join(['"g"'] * names))

    padded = document(count - tokens_in(document(0)))
    assert tokens_in(padded) == count
    return padded


def test_a_document_of_more_than_max_tokens_is_refused_saying_so(api: Client) -> None:
    body = post(api, with_tokens(MAX_TOKENS + 1))

    assert body.get("data") is None
    (message,) = messages(body)
    assert f"Document contains more than {MAX_TOKENS} tokens" in message


def test_a_document_of_max_tokens_is_served(api: Client) -> None:
    body = post(api, with_tokens(MAX_TOKENS))

    assert "errors" not in body
    assert body["data"]["initiativeOpenGateReview"]["userErrors"] == [{"code": "FORBIDDEN"}]


# Pages and cursors -----------------------------------------------------------------------------

TEAMS = """query($first: Int!, $after: String) { teams(first: $first, after: $after) {
  totalCount edges { cursor node { id name } } pageInfo { hasNextPage endCursor } } }"""


@pytest.mark.parametrize("first", [MAX_PAGE + 1, 10 * MAX_PAGE, 0, -1])
def test_a_page_size_outside_one_to_max_page_is_refused_as_bad_user_input(
    api: Client, first: int
) -> None:
    body = post(api, TEAMS, first=first)

    assert body["data"] is None
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert str(MAX_PAGE) in messages(body)[0]


def test_a_page_of_max_page_is_served(api: Client) -> None:
    body = post(api, TEAMS, first=MAX_PAGE)

    assert "errors" not in body
    assert len(body["data"]["teams"]["edges"]) <= MAX_PAGE


def pages(api: Client, first: int) -> Iterator[Body]:
    """Every page of the teams list, following `after` cursors to the end."""
    auditor = Caller(api, bearer("aud", "auditor"))
    after = None
    for _ in range(10_000):
        page: Body = auditor.query(TEAMS, first=first, after=after)["teams"]
        yield page
        if not page["pageInfo"]["hasNextPage"]:
            return
        after = page["pageInfo"]["endCursor"]
    pytest.fail("the list never reached its end")


def test_a_list_pages_to_its_end_and_its_total_count_matches_the_edges_seen(
    api: Client,
) -> None:
    steward = Caller(api, bearer("stella", "steward"))
    mine = [f"Paged team {uuid4().hex[:8]} {n}" for n in range(5)]
    for name in mine:
        steward.ok("teamRegister", name=name, orgUnit="Ops")

    walked = list(pages(api, first=2))

    edges = [edge for page in walked for edge in page["edges"]]
    totals = {page["totalCount"] for page in walked}

    assert len(walked) >= 3  # at least our five teams, two to a page
    assert totals == {len(edges)}
    assert len({edge["node"]["id"] for edge in edges}) == len(edges)
    assert [edge["node"]["name"] for edge in edges if edge["node"]["name"] in mine] == mine


def cursor_of(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    ["garbage", "!!!", cursor_of("position:many"), cursor_of("offset:3")],
)
def test_a_cursor_the_list_never_gave_out_is_refused_as_bad_user_input(
    api: Client, cursor: str
) -> None:
    body = post(api, TEAMS, first=2, after=cursor)

    assert body["data"] is None
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert cursor in messages(body)[0]


# Cost ------------------------------------------------------------------------------------------

ENVELOPE = """eventId aggregateId version position type schemaVersion recordedAt
  actor { id roles onBehalfOf } reason correlationId causationId requestId data"""


def history_pages(aliases: int, first: str = "100") -> str:
    """`aliases` pages of history, each of `first` events with their whole envelope."""
    page = f"history(id: $id, first: {first}) {{ totalCount edges {{ node {{ {ENVELOPE} }} }} }}"
    variables = "$id: ID!, $n: Int!" if first == "$n" else "$id: ID!"
    return f"query({variables}) {{ " + " ".join(f"p{n}: {page}" for n in range(aliases)) + " }"


def test_twenty_pages_of_history_cost_more_than_the_limit_and_are_refused(api: Client) -> None:
    team = base64.b64encode(f"Team:{uuid4()}".encode()).decode()

    body = post(api, history_pages(20), id=team)

    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert error["extensions"]["cost"] > error["extensions"]["maxCost"] == MAX_COST


def test_the_cost_counts_the_page_size_a_variable_gives(api: Client) -> None:
    team = base64.b64encode(f"Team:{uuid4()}".encode()).decode()

    small = post(api, history_pages(20, first="$n"), id=team, n=5)
    large = post(api, history_pages(20, first="$n"), id=team, n=100)

    assert "errors" not in small
    assert error_codes(large) == ["MAX_COST_EXCEEDED"]


def test_the_most_expensive_query_documented_is_allowed(api: Client) -> None:
    team = base64.b64encode(f"Team:{uuid4()}".encode()).decode()

    body = post(api, history_pages(4), id=team)

    assert "errors" not in body, body
