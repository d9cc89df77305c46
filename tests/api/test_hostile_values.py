"""Values no later stage could hold are refused as userErrors; values at the limits are stored and
projected, and every view stays at the head."""

from __future__ import annotations

import time
from typing import Any

import psycopg
import pytest

from domain.limits import MAX_NAME, MAX_TEXT
from service.database import Database
from tests.api.conftest import Client, bearer
from tests.api.graphql import STRATEGIC, Caller

pytestmark = pytest.mark.database

PERIOD = "2027-Q1"
VIEWS_AT_HEAD_WITHIN_SECONDS = 20.0


@pytest.fixture
def steward(api: Client) -> Caller:
    return Caller(api, bearer("stella", "steward"))


@pytest.fixture
def team(steward: Caller) -> str:
    registered: str = steward.ok("teamRegister", name="Squad", orgUnit="Ops")["team"]["id"]
    steward.ok("teamSetCapacity", id=registered, period=PERIOD, fte="5", reason="plan")
    return registered


@pytest.fixture
def initiative(steward: Caller) -> str:
    proposed: str = steward.ok(
        "initiativePropose", title="Enter Norway", problem="growth", orgUnit="Sales"
    )["initiative"]["id"]
    steward.ok("initiativeClassify", id=proposed, criteria=STRATEGIC, reason="new market")
    return proposed


def refusal(caller: Caller, mutation: str, **fields: Any) -> tuple[str, str]:
    payload = caller.mutate(mutation, **fields)
    assert payload["version"] is None, payload
    (error,) = payload["userErrors"]
    return error["code"], error["field"]


TEXTS = [
    ("a NUL", "a\u0000b", "INVALID_TEXT"),
    ("a lone surrogate", "a\ud800b", "INVALID_TEXT"),
    ("an escape character", "a\u001b[31mb", "INVALID_TEXT"),
    ("an over-long name", "n" * (MAX_NAME + 1), "TEXT_TOO_LONG"),
]


@pytest.mark.parametrize(("what", "text", "code"), TEXTS, ids=[t[0] for t in TEXTS])
def test_text_no_later_stage_could_hold_is_refused_in_any_field(
    api: Client, steward: Caller, team: str, what: str, text: str, code: str
) -> None:
    contributor = Caller(api, bearer("carl", "contributor"))
    propose = {"title": "T", "problem": "P", "orgUnit": "Sales"}

    assert refusal(contributor, "initiativePropose", **{**propose, "title": text}) == (
        code,
        "title",
    )
    assert refusal(contributor, "initiativePropose", **{**propose, "orgUnit": text}) == (
        code,
        "orgUnit",
    )
    raise_item = {"title": "T", "problem": "P", "area": text}
    assert refusal(contributor, "improvementItemRaise", **raise_item) == (code, "area")
    capacity = {"id": team, "period": "2027-Q2", "fte": "1", "reason": text * 60}
    assert refusal(steward, "teamSetCapacity", **capacity)[0] == code


def test_free_text_longer_than_the_limit_is_refused(steward: Caller) -> None:
    long = {"title": "T", "problem": "p" * (MAX_TEXT + 1), "orgUnit": "Sales"}

    assert refusal(steward, "initiativePropose", **long) == ("TEXT_TOO_LONG", "problem")


NUMBERS = ["1e200000", "1e-20000", "-1e16", "0.0000001"]


@pytest.mark.parametrize("number", NUMBERS)
def test_numbers_beyond_the_documented_range_or_precision_are_refused(
    steward: Caller, team: str, initiative: str, number: str
) -> None:
    capacity = {"id": team, "period": "2027-Q3", "fte": number, "reason": "plan"}
    fte_code, _ = refusal(steward, "teamSetCapacity", **capacity)
    resource = {"id": initiative, "teamId": team, "period": PERIOD, "fte": "1", "reason": "r"}

    budget = refusal(steward, "initiativeResource", **resource, budget=number.lstrip("-"))

    assert fte_code in ("NUMBER_OUT_OF_RANGE", "INVALID_INPUT")  # a negative FTE is invalid
    assert budget == ("NUMBER_OUT_OF_RANGE", "budget")


@pytest.mark.parametrize("due", ["0001-01-01", "9999-12-31"])
def test_dates_out_of_range_are_refused(api: Client, due: str) -> None:
    steward = Caller(api, bearer("stella", "steward"))
    kpis = [{"name": "share", "target": "30"}]
    fields = {"title": "Grow", "level": "ANNUAL", "owner": "ceo", "kpis": kpis, "due": due}

    assert refusal(steward, "objectiveDefine", **fields) == ("DATE_OUT_OF_RANGE", "due")


def test_values_at_the_limits_are_recorded_and_every_view_reaches_the_head(
    api: Client, database: Database, steward: Caller, team: str
) -> None:
    name = "N\u00e9\U0001f600\t" + "n" * (MAX_NAME - 4)
    proposed = steward.ok(
        "initiativePropose",
        title=name,
        problem="line one\nline two\r\n" + "p" * (MAX_TEXT - 20),
        orgUnit=name,
        expectedBenefits='=HYPERLINK("http://x")',
    )
    initiative = proposed["initiative"]["id"]
    steward.ok("initiativeClassify", id=initiative, criteria=STRATEGIC, reason="new market")
    last = steward.ok(
        "initiativeResource",
        id=initiative,
        teamId=team,
        period=PERIOD,
        fte="4.999999",
        budget="999999999999999.999999",
        reason="r",
    )

    wait_until_every_view_has_applied(database, last["position"])
    shown = steward.query(
        "query($id: ID!) { initiative(id: $id) { title orgUnit budget } }", id=initiative
    )["initiative"]
    assert shown == {"title": name, "orgUnit": name, "budget": "999999999999999.999999"}


def wait_until_every_view_has_applied(database: Database, position: int) -> None:
    """Every view's tracking position reaches `position`; a stuck view fails the test."""
    deadline = time.monotonic() + VIEWS_AT_HEAD_WITHIN_SECONDS
    with psycopg.connect(database.conninfo, autocommit=True) as conn:
        while True:
            rows = conn.execute("SELECT projection, position FROM reporting.tracking").fetchall()
            behind = {name: at for name, at in rows if at < position}
            if rows and not behind:
                return
            assert time.monotonic() < deadline, f"views stuck before {position}: {behind}"
            time.sleep(0.05)
