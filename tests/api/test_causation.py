"""Causation and correlation on every event, and what each event changed, as a client reads them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.conftest import Client, bearer
from tests.api.graphql import OPERATIONAL, STRATEGIC, Caller, review_gate

pytestmark = pytest.mark.database

HISTORY = """query($id: ID!, $first: Int = 100, $after: String) {
  history(id: $id, first: $first, after: $after) { edges { node {
    eventId version type correlationId causationId requestId changes { field from to } } } } }"""


@pytest.fixture
def steward(api: Client) -> Caller:
    return Caller(api, bearer("stella", "steward"))


def history(caller: Caller, aggregate: str, **page: Any) -> list[dict[str, Any]]:
    edges = caller.query(HISTORY, id=aggregate, **page)["history"]["edges"]
    return [edge["node"] for edge in edges]


def event_of(caller: Caller, aggregate: str, kind: str) -> dict[str, Any]:
    (found,) = [e for e in history(caller, aggregate) if e["type"] == kind]
    return found


def a_team(steward: Caller) -> str:
    team: str = steward.ok("teamRegister", name="Causes", orgUnit="Ops")["team"]["id"]
    steward.ok("teamSetCapacity", id=team, period="2027-Q1", fte="5", reason="plan")
    return team


def a_strategic_initiative(steward: Caller) -> str:
    proposed = steward.ok("initiativePropose", title="Hub", problem="growth", orgUnit="Sales")
    initiative: str = proposed["initiative"]["id"]
    steward.ok("initiativeClassify", id=initiative, criteria=STRATEGIC, reason="new region")
    return initiative


def resource(steward: Caller, initiative: str, team: str) -> int:
    """Resource the initiative from the team; the position of the command's last event."""
    resourced = steward.ok(
        "initiativeResource",
        id=initiative,
        teamId=team,
        period="2027-Q1",
        fte="2",
        budget="1000",
        reason="squad",
    )
    position: int = resourced["position"]
    return position


# Correlation and causation from the client -----------------------------------------------


def test_the_client_s_correlation_and_causation_ids_are_recorded(api: Client) -> None:
    headers = {"X-Correlation-Id": "onboarding-7", "X-Causation-Id": "ticket-42"}
    steward = Caller(api, {**bearer("stella", "steward"), **headers})

    proposed = steward.ok("initiativePropose", title="Hub", problem="p", orgUnit="Sales")

    (event,) = history(steward, proposed["initiative"]["id"])
    assert (event["correlationId"], event["causationId"]) == ("onboarding-7", "ticket-42")


def test_a_correlation_id_is_made_when_the_client_names_none(steward: Caller) -> None:
    one = steward.ok("initiativePropose", title="A", problem="p", orgUnit="Sales")
    two = steward.ok("initiativePropose", title="B", problem="p", orgUnit="Sales")

    (first,) = history(steward, one["initiative"]["id"])
    (second,) = history(steward, two["initiative"]["id"])
    assert first["correlationId"] == first["requestId"]
    assert first["correlationId"]
    assert first["correlationId"] != second["correlationId"]
    assert first["causationId"] is None


def test_ids_that_are_not_short_and_plain_are_not_recorded(api: Client) -> None:
    headers = {"X-Correlation-Id": "a b;c", "X-Causation-Id": "x" * 101}
    steward = Caller(api, {**bearer("stella", "steward"), **headers})

    proposed = steward.ok("initiativePropose", title="Hub", problem="p", orgUnit="Sales")

    (event,) = history(steward, proposed["initiative"]["id"])
    assert event["correlationId"] == event["requestId"]
    assert event["causationId"] is None


# Consequences name their cause --------------------------------------------------------------


def test_the_team_s_allocation_names_the_resourcing_as_its_cause(api: Client) -> None:
    steward = Caller(api, {**bearer("stella", "steward"), "X-Causation-Id": "budget-mail"})
    team, initiative = a_team(steward), a_strategic_initiative(steward)

    resource(steward, initiative, team)

    resourced = event_of(steward, initiative, "Initiative.Resourced")
    granted = event_of(steward, team, "Team.AllocationGranted")
    assert resourced["causationId"] == "budget-mail"
    assert granted["causationId"] == resourced["eventId"]
    assert granted["correlationId"] == resourced["correlationId"]


def test_an_escalation_s_initiative_names_the_item_s_classification(steward: Caller) -> None:
    raised = steward.ok("improvementItemRaise", title="MES", problem="old", area="Plant")
    item = raised["improvementItem"]["id"]

    escalated = steward.ok("improvementItemClassify", id=item, criteria=STRATEGIC, reason="core")

    classified = event_of(steward, item, "ImprovementItem.Classified")
    consequences = history(steward, escalated["escalatedTo"]["id"])
    assert [e["type"] for e in consequences] == ["Initiative.Proposed", "Initiative.Classified"]
    assert {e["causationId"] for e in consequences} == {classified["eventId"]}
    escalation = event_of(steward, item, "ImprovementItem.Escalated")
    assert escalation["causationId"] == classified["eventId"]


def test_a_redirection_s_item_names_the_initiative_s_classification(steward: Caller) -> None:
    proposed = steward.ok("initiativePropose", title="5S", problem="uneven", orgUnit="Ops")
    initiative = proposed["initiative"]["id"]

    redirected = steward.ok(
        "initiativeClassify", id=initiative, criteria=OPERATIONAL, reason="refines work"
    )

    classified = event_of(steward, initiative, "Initiative.Classified")
    consequences = history(steward, redirected["redirectedTo"]["id"])
    assert consequences
    assert {e["causationId"] for e in consequences} == {classified["eventId"]}


def test_a_kill_s_releases_name_the_kill(api: Client, steward: Caller) -> None:
    team, initiative = a_team(steward), a_strategic_initiative(steward)
    resource(steward, initiative, team)

    assert review_gate(api, initiative, "KILL", ["gina", "gus"], "no fit")["userErrors"] == []

    killed = event_of(steward, initiative, "Initiative.GateDecided")
    released = event_of(steward, team, "Team.AllocationReleased")
    assert released["causationId"] == killed["eventId"]
    later = [e for e in history(steward, initiative) if e["version"] > killed["version"]]
    assert all(e["causationId"] == killed["eventId"] for e in later)


def test_the_feed_shows_both_ids_of_every_event(api: Client, steward: Caller) -> None:
    team, initiative = a_team(steward), a_strategic_initiative(steward)
    position = resource(steward, initiative, team)
    granted = event_of(steward, team, "Team.AllocationGranted")

    response = api.get(
        "/feeds/events", params={"after": position - 2, "limit": 2}, headers=bearer("a", "auditor")
    )

    lines = [json.loads(line) for line in response.text.splitlines()]
    (entry,) = [line for line in lines if line["eventId"] == granted["eventId"]]
    assert (entry["correlationId"], entry["causationId"]) == (
        granted["correlationId"],
        granted["causationId"],
    )


# What each event changed --------------------------------------------------------------------


def test_history_shows_the_sponsor_change_from_nobody_to_sam(steward: Caller) -> None:
    initiative = a_strategic_initiative(steward)

    steward.ok("initiativeAssignSponsor", id=initiative, sponsor="sam")

    changes = event_of(steward, initiative, "Initiative.SponsorAssigned")["changes"]
    assert changes == [{"field": "sponsor", "from": "null", "to": '"sam"'}]


def test_the_first_event_sets_each_field_from_nothing(steward: Caller) -> None:
    proposed = steward.ok("initiativePropose", title="Hub", problem="p", orgUnit="Sales")

    (event,) = history(steward, proposed["initiative"]["id"])

    changed = {c["field"]: c for c in event["changes"]}
    assert changed["title"] == {"field": "title", "from": None, "to": '"Hub"'}
    assert changed["stage"]["to"] == '"PROPOSED"'
    assert "decisions" not in changed


def test_a_later_page_shows_the_same_changes_as_the_whole_history(steward: Caller) -> None:
    team = a_team(steward)
    for fte in range(6, 14):  # past a snapshot (every 5 events in tests)
        steward.ok("teamSetCapacity", id=team, period="2027-Q1", fte=str(fte), reason="plan")
    whole = history(steward, team)
    cursor = steward.query(
        "query($id: ID!) { history(id: $id, first: 7) { pageInfo { endCursor } } }", id=team
    )["history"]["pageInfo"]["endCursor"]

    page = history(steward, team, first=3, after=cursor)

    assert [e["changes"] for e in page] == [e["changes"] for e in whole[7:10]]
    assert page[0]["changes"] == [{"field": "capacity.2027-Q1", "from": '"10"', "to": '"11"'}]
