"""Reads on the record: one access-log row per audited request, readable by auditors and admins."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from service import access_log
from service.database import Database
from tests.api.conftest import Client, bearer
from tests.api.graphql import Caller

pytestmark = pytest.mark.database

LOG = """query($f: AccessLogFilter, $first: Int, $after: String) {
  accessLog(filter: $f, first: $first, after: $after) {
    edges { cursor node { position actor roles requestId method path operation views ids
      status errors hash } }
    pageInfo { hasNextPage endCursor } } }"""
TEAM_BY_ID = "query ReadTeam($id: ID!) { team(id: $id) { name } viewer { id } }"
ISO_UTC = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?\+00:00"
TEAM_ID = "VGVhbTowMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDA="  # Team:0000...


def named(role: str) -> str:
    return f"{role}-{uuid4().hex[:8]}"


def entries(api: Client, **filters: Any) -> list[dict[str, Any]]:
    """What the log holds that matches `filters`, once every queued note is written."""
    api.app.state.access_log.flush()
    reader = Caller(api, bearer(named("reader"), "auditor"))
    found = reader.query(LOG, f=filters)["accessLog"]["edges"]
    return [edge["node"] for edge in found]


def post(api: Client, headers: dict[str, str], text: str, rid: str, **variables: Any) -> Any:
    body = {"query": text, "variables": variables}
    return api.post("/graphql", json=body, headers={**headers, "X-Request-Id": rid})


def test_an_auditors_query_is_recorded_once_with_what_it_read(api: Client) -> None:
    auditor, rid = named("auditor"), uuid4().hex
    assert post(api, bearer(auditor, "auditor"), TEAM_BY_ID, rid, id=TEAM_ID).status_code == 200
    (entry,) = entries(api, actor=auditor)
    assert entry["requestId"] == rid
    assert entry["operation"] == "ReadTeam"
    assert entry["views"] == ["team", "viewer"]
    assert entry["ids"] == [TEAM_ID]
    assert (entry["status"], entry["errors"], entry["roles"]) == (200, False, ["AUDITOR"])


def test_an_admins_query_is_recorded_and_its_errors_are_marked(api: Client) -> None:
    admin = named("admin")
    post(api, bearer(admin, "admin"), "{ viewer { id } }", uuid4().hex)
    post(api, bearer(admin, "admin"), "{ initiatives(first: 0) { totalCount } }", uuid4().hex)
    first, second = entries(api, actor=admin)
    assert (first["operation"], first["views"], first["errors"]) == ("query", ["viewer"], False)
    assert (second["views"], second["errors"]) == (["initiatives"], True)


def test_a_hostile_request_is_recorded_and_costs_no_entry_beside_it(api: Client) -> None:
    """NUL, a lone surrogate and 5,000 characters in an id an auditor sends are recorded as the
    log can hold them, and the next request is recorded too."""
    auditor = named("auditor")
    hostile = "\x00\ud800" + "x" * 5_000
    body = json.dumps({"query": TEAM_BY_ID, "variables": {"id": hostile}})  # \ud800 as JSON allows
    headers = {**bearer(auditor, "auditor"), "Content-Type": "application/json"}
    api.post("/graphql", content=body, headers=headers)
    post(api, bearer(auditor, "auditor"), TEAM_BY_ID, uuid4().hex, id=TEAM_ID)

    first, second = entries(api, actor=auditor)
    (read,) = first["ids"]
    assert read.startswith("\ufffd\ufffdxxx")
    assert len(read) == access_log.MOST_CHARACTERS
    assert second["ids"] == [TEAM_ID]


def test_a_contributors_ordinary_query_is_not_recorded(api: Client) -> None:
    contributor = named("contributor")
    post(api, bearer(contributor, "contributor"), TEAM_BY_ID, uuid4().hex, id=TEAM_ID)
    assert entries(api, actor=contributor) == []


def test_every_export_and_feed_call_is_recorded_whoever_makes_it(api: Client) -> None:
    steward, contributor = named("steward"), named("contributor")
    api.get("/exports/portfolio.csv", headers=bearer(steward, "steward"))
    refused = api.get("/feeds/events?after=0", headers=bearer(contributor, "contributor"))
    assert refused.status_code == 403
    (export,) = entries(api, actor=steward)
    assert (export["operation"], export["views"], export["path"]) == (
        "export",
        ["portfolio"],
        "/exports/portfolio.csv",
    )
    (feed,) = entries(api, actor=contributor)
    assert (feed["operation"], feed["status"], feed["errors"]) == ("feed", 403, True)


def test_the_log_is_filtered_by_view_id_operation_and_outcome(api: Client) -> None:
    auditor = named("auditor")
    headers = bearer(auditor, "auditor")
    post(api, headers, TEAM_BY_ID, uuid4().hex, id=TEAM_ID)
    post(api, headers, "query Me { viewer { id } }", uuid4().hex)
    post(api, headers, "{ nosuchfield }", uuid4().hex)
    assert [e["operation"] for e in entries(api, actor=auditor, view="team")] == ["ReadTeam"]
    assert [e["operation"] for e in entries(api, actor=auditor, readId=TEAM_ID)] == ["ReadTeam"]
    assert [e["views"] for e in entries(api, actor=auditor, operation="Me")] == [["viewer"]]
    assert [e["views"] for e in entries(api, actor=auditor, errors=True)] == [["nosuchfield"]]
    assert len(entries(api, actor=auditor, since="2000-01-01T00:00:00Z")) == 3
    assert entries(api, actor=auditor, until="2000-01-01T00:00:00Z") == []


def test_the_log_is_read_a_page_at_a_time(api: Client) -> None:
    auditor = named("auditor")
    for _ in range(3):
        post(api, bearer(auditor, "auditor"), "{ viewer { id } }", uuid4().hex)
    api.app.state.access_log.flush()
    reader = Caller(api, bearer(named("reader"), "auditor"))
    page = reader.query(LOG, f={"actor": auditor}, first=2)["accessLog"]
    assert len(page["edges"]) == 2
    assert page["pageInfo"]["hasNextPage"]
    rest = reader.query(LOG, f={"actor": auditor}, first=2, after=page["pageInfo"]["endCursor"])
    assert len(rest["accessLog"]["edges"]) == 1


def test_the_log_is_read_newest_first_a_page_at_a_time(api: Client) -> None:
    auditor = named("auditor")
    for number in range(3):
        post(api, bearer(auditor, "auditor"), "{ viewer { id } }", f"{auditor}-{number}")
    api.app.state.access_log.flush()
    reader = Caller(api, bearer(named("reader"), "auditor"))
    newest = """query($f: AccessLogFilter, $after: String) {
      accessLog(filter: $f, first: 2, after: $after, newestFirst: true) {
        edges { node { position requestId } }
        pageInfo { hasNextPage hasPreviousPage endCursor } } }"""

    page = reader.query(newest, f={"actor": auditor})["accessLog"]
    rest = reader.query(newest, f={"actor": auditor}, after=page["pageInfo"]["endCursor"])
    more = rest["accessLog"]

    ids = [edge["node"]["requestId"] for edge in page["edges"] + more["edges"]]
    assert ids == [f"{auditor}-{number}" for number in (2, 1, 0)]
    assert (page["pageInfo"]["hasNextPage"], page["pageInfo"]["hasPreviousPage"]) == (True, False)
    assert (more["pageInfo"]["hasNextPage"], more["pageInfo"]["hasPreviousPage"]) == (False, True)


def test_only_auditors_and_admins_read_the_log(api: Client) -> None:
    body = Caller(api, bearer(named("steward"), "steward")).raw(LOG)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    refused = api.get("/audit/access-log.csv", headers=bearer(named("steward"), "steward"))
    assert refused.status_code == 403


def test_auditors_download_the_log_as_csv_written_as_the_exports_are(api: Client) -> None:
    auditor, rid = named("auditor"), uuid4().hex
    post(api, bearer(auditor, "auditor", "admin"), "{ viewer { id } }", rid)
    api.app.state.access_log.flush()
    response = api.get("/audit/access-log.csv", headers=bearer(named("reader"), "auditor"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.text)))
    (row,) = [row for row in rows if row["request_id"] == rid]
    assert (row["actor"], row["status"]) == (auditor, "200")
    assert (row["roles"], row["views"], row["errors"]) == ("auditor;admin", "viewer", "false")
    assert datetime.fromisoformat(row["at"]).utcoffset() == timedelta(0)
    assert re.fullmatch(ISO_UTC, row["at"]), row["at"]


def test_the_logs_rows_chain_and_verify(api: Client, database: Database) -> None:
    post(api, bearer(named("auditor"), "auditor"), "{ viewer { id } }", uuid4().hex)
    api.app.state.access_log.flush()
    verification = access_log.verify(database.conninfo)
    assert verification.intact, verification.breaks
    assert verification.verified >= 1
