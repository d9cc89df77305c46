"""The access log's table: append-only, chained, and every alteration or deletion found."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
import pytest

from domain.values import Actor
from service.access_log import AccessLog, Note, verify
from service.audit import Break, Kind
from service.database import Database

pytestmark = pytest.mark.database


def note(n: int) -> Note:
    auditor = Actor(id=f"auditor-{n}", roles=("auditor",))
    body = b'{"query": "query Q($id: ID!) { team(id: $id) { name } }", "variables": {"id": "T"}}'
    return Note(datetime.now(UTC), auditor, f"r{n}", "POST", "/graphql", "", 200, body, False, None)


@pytest.fixture
def logged(own_database: Database) -> Database:
    """Five entries written through the log's own thread."""
    log = AccessLog.start(own_database.conninfo)
    try:
        for n in range(1, 6):
            log.submit(note(n))
        log.flush()
    finally:
        log.close()
    return own_database


def tamper(database: Database, statement: str) -> None:
    """As the table's owner, with its guard switched off: what a forger with the keys could do."""
    with psycopg.connect(database.conninfo) as conn:
        conn.execute("ALTER TABLE audit.access_log DISABLE TRIGGER USER")
        conn.execute(statement)
        conn.execute("ALTER TABLE audit.access_log ENABLE TRIGGER USER")


def test_written_entries_are_numbered_from_one_and_verify(logged: Database) -> None:
    verification = verify(logged.conninfo)
    assert (verification.verified, verification.through, verification.breaks) == (5, 5, [])
    with psycopg.connect(logged.conninfo) as conn:
        rows = conn.execute("SELECT operation, views, ids FROM audit.access_log").fetchall()
    assert rows[0] == ("Q", ["team"], ["T"])


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit.access_log SET actor = 'someone else'",
        "DELETE FROM audit.access_log WHERE position = 2",
        "TRUNCATE audit.access_log",
    ],
)
def test_the_table_refuses_every_change_but_an_insert(logged: Database, statement: str) -> None:
    with (
        psycopg.connect(logged.conninfo) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute(statement)


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
