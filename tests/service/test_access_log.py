"""The access log's table: written by the application's role, chained, and every alteration or
deletion found. (tests/service/test_roles.py shows it append-only with the rest of the trail.)"""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
import pytest
from click.testing import CliRunner

from domain.values import Actor
from service import roles
from service.access_log import AccessLog, Note, create, verify
from service.audit import Break, Kind
from service.cli import main
from service.database import Database

pytestmark = pytest.mark.database


def note(n: int) -> Note:
    auditor = Actor(id=f"auditor-{n}", roles=("auditor",))
    body = b'{"query": "query Q($id: ID!) { team(id: $id) { name } }", "variables": {"id": "T"}}'
    return Note(datetime.now(UTC), auditor, f"r{n}", "POST", "/graphql", "", 200, body, False, None)


@pytest.fixture
def logged(own_database: Database) -> Database:
    """Five entries written through the log's own thread."""
    with psycopg.connect(own_database.conninfo, autocommit=True) as conn:
        create(conn)
    log = AccessLog.start(own_database.conninfo)
    try:
        for n in range(1, 6):
            log.submit(note(n))
        log.flush()
    finally:
        log.close()
    return own_database


def tamper(database: Database, statement: str) -> None:
    """What a forger with the keys could do (no roles made here: no trigger to switch off)."""
    with psycopg.connect(database.conninfo) as conn:
        conn.execute(statement)


def test_written_entries_are_numbered_from_one_and_verify(logged: Database) -> None:
    verification = verify(logged.conninfo)
    assert (verification.verified, verification.through, verification.breaks) == (5, 5, [])
    with psycopg.connect(logged.conninfo) as conn:
        rows = conn.execute("SELECT operation, views, ids FROM audit.access_log").fetchall()
    assert rows[0] == ("Q", ["team"], ["T"])


def test_the_applications_role_writes_the_log(own_database: Database) -> None:
    init = roles.init(own_database)
    assert init is not None
    assert '"audit"."access_log"' in init.protected
    log = AccessLog.start(roles.as_app(own_database).conninfo)
    log.submit(note(1))
    log.flush()
    log.close()
    assert log.lost == 0
    assert verify(own_database.conninfo).through == 1


def test_an_altered_entry_is_found_at_its_position(logged: Database) -> None:
    tamper(logged, "UPDATE audit.access_log SET ids = '{}' WHERE position = 3")
    assert verify(logged.conninfo).breaks == [Break(3, Kind.ALTERED)]


def test_a_deleted_entry_is_found_missing_at_its_position(logged: Database) -> None:
    tamper(logged, "DELETE FROM audit.access_log WHERE position = 2")
    assert verify(logged.conninfo).breaks == [Break(2, Kind.MISSING)]


def test_a_second_writer_carries_the_chain_on(logged: Database) -> None:
    log = AccessLog.start(logged.conninfo)
    log.submit(note(6))
    log.flush()
    log.close()
    verification = verify(logged.conninfo)
    assert (verification.through, verification.breaks) == (6, [])


def test_polarity_audit_verify_checks_the_access_log_too(logged: Database) -> None:
    url = ["--database-url", logged.url, "audit", "verify"]
    intact = CliRunner().invoke(main, url)
    tamper(logged, "UPDATE audit.access_log SET ids = '{}' WHERE position = 4")

    broken = CliRunner().invoke(main, url)

    assert intact.exit_code == 0
    assert "Access log: 5 entries verified, 0 breaks." in intact.output
    assert broken.exit_code == 1
    assert "access log position 4: altered" in broken.output
