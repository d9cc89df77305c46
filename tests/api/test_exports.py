"""Reporting out over HTTP: CSV exports of the v1 views and the NDJSON change feed of events."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

import psycopg
import psycopg.sql
import pytest

from portal.session import SESSION_COOKIE
from projections.bi import V1_COLUMNS, create_bi_views
from projections.catalog import all_projections
from service.application import Polarity
from service.database import Database
from service.exports import EXPORT_ROUTES, exportable
from service.projector import Projector
from service.settings import Settings
from service.web import create_token
from tests.api.conftest import TEST_SETTINGS, Client, bearer, serving
from tests.api.graphql import STRATEGIC, Caller

pytestmark = pytest.mark.database

AUDITOR = bearer("audrey", "auditor")
ISO_UTC = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?\+00:00"  # 2026-12-03T20:15:51.137602+00:00
DECISIONS = """query($id: ID!) { decisionLog(filter: {subjectId: $id, decisionType: SPONSOR}) {
    edges { node { subjectTitle } } } }"""


@pytest.fixture(scope="module")
def client(settings: Settings, database: Database) -> Iterator[Client]:
    """The app with the export routes (registered here until service.web mounts them)."""
    with serving(settings, database) as client:
        mounted = {route.path for route in client.app.routes}
        for handler in EXPORT_ROUTES:
            if not handler.paths & mounted:
                client.app.register(handler)
        yield client


@pytest.fixture(scope="module")
def projector(app: Polarity, database: Database) -> Projector:
    projector = Projector(app, database, all_projections())
    projector.setup()
    with psycopg.connect(database.conninfo) as conn, conn.cursor() as cur:
        create_bi_views(cur, all_projections())
    return projector


@pytest.fixture
def steward(client: Client) -> Caller:
    return Caller(client, bearer("stella", "steward"))


def caught_up(projector: Projector, position: int, timeout: float = 10.0) -> None:
    """Until every view includes `position` (a runner in the app may be applying it too)."""
    deadline = time.monotonic() + timeout
    while min(s.position for s in projector.status()) < position:
        assert time.monotonic() < deadline, "the views did not catch up"
        if not projector.catch_up():
            time.sleep(0.05)


def propose(steward: Caller, title: str) -> dict[str, Any]:
    return steward.ok("initiativePropose", title=title, problem="Stalled growth", orgUnit="Sales")


def uuid_of(global_id: str) -> str:
    return base64.b64decode(global_id).decode().partition(":")[2]


def exported(client: Client, name: str) -> list[dict[str, str]]:
    response = client.get(f"/exports/{name}.csv", headers=AUDITOR)
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.text)))


def feed(client: Client, **params: Any) -> tuple[list[dict[str, Any]], int]:
    response = client.get("/feeds/events", params=params, headers=AUDITOR)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.text.splitlines()]
    return lines, int(response.headers["x-next-after"])


# Who may -------------------------------------------------------------------------------------


def test_exports_and_the_feed_need_a_token(client: Client) -> None:
    for path in ("/exports/portfolio.csv", "/feeds/events"):
        response = client.get(path)
        assert response.status_code == 401, path


def test_contributors_may_not_export_nor_read_the_feed(client: Client) -> None:
    contributor = bearer("carl", "contributor")
    for path in ("/exports/portfolio.csv", "/feeds/events"):
        response = client.get(path, headers=contributor)
        assert response.status_code == 403, path
        assert "auditor" in response.json()["detail"]


def test_a_steward_may_export_but_not_read_the_feed(client: Client, projector: Projector) -> None:
    steward = bearer("stella", "steward")
    assert client.get("/exports/portfolio.csv", headers=steward).status_code == 200
    assert client.get("/feeds/events", headers=steward).status_code == 403


# CSV exports ---------------------------------------------------------------------------------


def test_a_view_exports_as_csv_with_a_header_row(
    client: Client, steward: Caller, projector: Projector
) -> None:
    title = f"Enter the Nordic market {uuid4().hex[:6]}"
    proposed = propose(steward, title)
    initiative = proposed["initiative"]["id"]
    classified = steward.ok(
        "initiativeClassify",
        id=initiative,
        criteria=STRATEGIC,
        reason="new region",
    )
    caught_up(projector, classified["position"])

    response = client.get("/exports/portfolio.csv", headers=AUDITOR)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="portfolio.csv"' in response.headers["content-disposition"]
    header, *rows = list(csv.reader(io.StringIO(response.text)))
    assert tuple(header) == V1_COLUMNS["portfolio"]
    (row,) = (
        r for r in (dict(zip(header, row, strict=True)) for row in rows) if r["title"] == title
    )
    assert row["id"] == uuid_of(initiative)
    assert (row["kind"], row["stage"], row["classified_path"]) == (
        "initiative",
        "PROPOSED",
        "STRATEGIC",
    )
    assert (row["owner"], row["position"]) == ("stella", str(classified["position"]))
    assert re.fullmatch(ISO_UTC, row["created_at"]), row["created_at"]


def test_csv_values_are_iso_times_true_or_false_and_lists_joined_with_semicolons(
    client: Client, projector: Projector
) -> None:
    steward = Caller(client, bearer("stella", "steward", "sponsor"))
    proposed = propose(steward, f"Digitise operations {uuid4().hex[:6]}")
    initiative = proposed["initiative"]["id"]
    classified = steward.ok("initiativeClassify", id=initiative, criteria=STRATEGIC, reason="r")
    caught_up(projector, classified["position"])

    rows = exported(client, "decision_log")

    (row,) = (r for r in rows if r["position"] == str(classified["position"]))
    assert re.fullmatch(ISO_UTC, row["recorded_at"]), row["recorded_at"]
    assert datetime.fromisoformat(row["recorded_at"]).utcoffset() == timedelta(0)
    assert row["overridden"] == "false"
    assert row["actor_roles"] == "steward;sponsor"
    assert {r["overridden"] for r in rows} <= {"true", "false"}


def test_times_are_written_in_utc_whatever_the_database_sessions_time_zone(
    own_database: Database,
) -> None:
    with psycopg.connect(own_database.conninfo, autocommit=True) as conn:
        name = psycopg.sql.Identifier(conn.info.dbname)
        conn.execute(psycopg.sql.SQL("ALTER DATABASE {} SET TimeZone = 'Asia/Tokyo'").format(name))
    with serving(TEST_SETTINGS, own_database) as client:
        steward = Caller(client, bearer("stella", "steward"))
        initiative = propose(steward, "Tokyo")["initiative"]["id"]
        decided = steward.ok("initiativeClassify", id=initiative, criteria=STRATEGIC, reason="r")
        steward.query(  # the views include it
            "query($at: Int) { decisionLog(first: 1, consistentWith: $at) { totalCount } }",
            at=decided["position"],
        )

        (row,) = exported(client, "decision_log")

    assert re.fullmatch(ISO_UTC, row["recorded_at"]), row["recorded_at"]


def test_a_csv_is_utf_8_with_a_single_charset(
    client: Client, steward: Caller, projector: Projector
) -> None:
    title = f"Überseehafen Zürich, 東京 {uuid4().hex[:6]}"
    caught_up(projector, propose(steward, title)["position"])

    response = client.get("/exports/portfolio.csv", headers=AUDITOR)

    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert f'"{title}"' in response.content.decode("utf-8")


def test_the_decision_log_export_carries_the_title_of_what_was_decided(
    client: Client, steward: Caller, projector: Projector
) -> None:
    title = f"Entrer au marché québécois {uuid4().hex[:6]}"
    initiative = propose(steward, title)["initiative"]["id"]
    sponsored = steward.ok("initiativeAssignSponsor", id=initiative, sponsor="sam")
    team = steward.ok("teamRegister", name=f"Line 3 crew {uuid4().hex[:6]}", orgUnit="Ops")
    capacity = steward.ok(
        "teamSetCapacity", id=team["team"]["id"], period="2031-Q1", fte="4", reason="hiring"
    )
    caught_up(projector, capacity["position"])

    rows = {r["position"]: r for r in exported(client, "decision_log")}

    assert rows[str(sponsored["position"])]["subject_title"] == title
    assert rows[str(capacity["position"])]["subject_title"] == team["team"]["name"]
    decisions = steward.query(DECISIONS, id=initiative)["decisionLog"]["edges"]
    assert [edge["node"]["subjectTitle"] for edge in decisions] == [title]


def test_the_portals_decision_log_download_is_written_as_the_export_is(
    client: Client, steward: Caller, projector: Projector
) -> None:
    title = f"Shift to services {uuid4().hex[:6]}"
    initiative = propose(steward, title)["initiative"]["id"]
    sponsored = steward.ok("initiativeAssignSponsor", id=initiative, sponsor="sam")
    caught_up(projector, sponsored["position"])
    client.cookies.set(SESSION_COOKIE, create_token(TEST_SETTINGS, "audrey", ["auditor"]))

    response = client.get("/decisions.csv", params={"subject": uuid_of(initiative)})

    client.cookies.clear()
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    header, *rows = list(csv.reader(io.StringIO(response.text)))
    assert tuple(header) == exportable()["decision_log"].columns
    (row,) = (dict(zip(header, r, strict=True)) for r in rows)
    assert (row["subject_title"], row["actor_roles"]) == (title, "steward")
    assert (row["overridden"], row["decision_type"]) == ("false", "sponsor")
    assert re.fullmatch(ISO_UTC, row["recorded_at"]), row["recorded_at"]


# The index of exports --------------------------------------------------------------------------


def test_the_index_lists_each_export_with_the_columns_of_its_header_row(
    client: Client, projector: Projector
) -> None:
    response = client.get("/exports", headers=bearer("carl", "contributor"))

    assert response.status_code == 200, response.text
    index = response.json()
    assert [e["name"] for e in index["exports"]] == list(exportable())
    assert "auditor" in index["roles"]
    assert "contributor" not in index["roles"]
    assert "ISO 8601" in index["values"]
    for export in index["exports"]:
        csv_response = client.get(export["url"], headers=AUDITOR)
        assert csv_response.status_code == 200, export["url"]
        header = next(csv.reader(io.StringIO(csv_response.text)))
        assert [column["name"] for column in export["columns"]] == header, export["name"]
        assert all(column["type"] and column["description"] for column in export["columns"])
        assert export["description"], export["name"]
    (log,) = (e for e in index["exports"] if e["name"] == "decision_log")
    assert log["view"] == "reporting.v2_decision_log"
    assert {"name": "subject_title", "type": "text"}.items() <= log["columns"][-1].items()


def test_the_index_needs_a_token(client: Client) -> None:
    assert client.get("/exports").status_code == 401


def test_an_unknown_view_is_a_404_that_lists_the_known_ones(client: Client) -> None:
    for path in ("/exports/nothing.csv", "/exports/portfolio.xlsx", "/exports/tracking.csv"):
        response = client.get(path, headers=AUDITOR)
        assert response.status_code == 404, path
        assert "portfolio.csv" in response.json()["exports"]


# The change feed -----------------------------------------------------------------------------


def test_the_feed_returns_events_in_order_with_their_envelopes(
    client: Client, steward: Caller
) -> None:
    proposed = propose(steward, "Open a service hub")
    initiative = proposed["initiative"]["id"]
    sponsored = steward.ok("initiativeAssignSponsor", id=initiative, sponsor="sam")

    lines, next_after = feed(client, after=proposed["position"] - 1, limit=2)

    first, second = lines
    assert [first["position"], second["position"]] == [
        proposed["position"],
        sponsored["position"],
    ]
    assert next_after == sponsored["position"]
    assert first["type"] == "Initiative.Proposed"
    assert (first["aggregateType"], first["aggregateId"]) == ("Initiative", uuid_of(initiative))
    assert (first["version"], second["version"]) == (1, 2)
    assert first["actor"] == {"id": "stella", "roles": ["steward"], "onBehalfOf": None}
    assert first["data"]["title"] == "Open a service hub"
    assert second["data"] == {"sponsor": "sam"}
    assert all(first[key] for key in ("requestId", "correlationId", "eventId", "schemaVersion"))
    assert first["recordedAt"].endswith("+00:00")
    assert set(first) == {
        *("position", "eventId", "aggregateId", "aggregateType", "version", "type"),
        *("schemaVersion", "recordedAt", "actor", "reason", "correlationId", "causationId"),
        *("requestId", "data"),
    }


def test_the_feed_resumes_from_x_next_after_without_gaps_or_repeats(
    client: Client, steward: Caller, database: Database
) -> None:
    start = propose(steward, "Start here")["position"] - 1
    for number in range(6):
        propose(steward, f"Initiative {number}")

    seen, after, pages = [], start, 0
    while True:
        lines, after = feed(client, after=after, limit=3)
        seen += [line["position"] for line in lines]
        pages += 1
        if len(lines) < 3:
            break

    with psycopg.connect(database.conninfo) as conn:
        stored = conn.execute(
            "SELECT notification_id FROM polarity_events WHERE notification_id > %s "
            "ORDER BY notification_id",
            (start,),
        ).fetchall()
    assert seen == [position for (position,) in stored]
    assert (len(seen), pages) == (7, 3)
    assert feed(client, after=after) == ([], after)  # at the head: nothing, same cursor


def test_the_feed_honours_its_limit_and_its_bounds(
    client: Client, steward: Caller, database: Database
) -> None:
    for number in range(3):
        propose(steward, f"Filler {number}")
    with psycopg.connect(database.conninfo) as conn:
        (stored,) = conn.execute("SELECT count(*) FROM polarity_events").fetchone() or (0,)

    assert len(feed(client)[0]) == min(100, stored)
    assert len(feed(client, limit=1000)[0]) == min(1000, stored)
    assert len(feed(client, after=0, limit=1)[0]) == 1
    for params in ({"limit": 0}, {"limit": 1001}, {"limit": "ten"}, {"after": -1}, {"after": ""}):
        response = client.get("/feeds/events", params=params, headers=AUDITOR)
        assert response.status_code == 400, params
        name = next(iter(params))
        assert response.json()["detail"].startswith(f"{name} must be a whole number"), params
