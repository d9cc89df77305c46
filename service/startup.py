"""Before anything serves: the database made ready for this code, once, by one process at a time.

`prepare` creates (and migrates) the event store's tables and the reporting schema under a
PostgreSQL advisory lock, so that several processes starting at once (`serve --workers 4`, a
projection runner beside them) never run the same DDL together: PostgreSQL refuses concurrent
`CREATE SCHEMA IF NOT EXISTS` and `COMMENT ON` with unique violations and "tuple concurrently
updated".

Every statement is idempotent, but not free: `CREATE INDEX IF NOT EXISTS` and `ALTER TABLE ADD
COLUMN IF NOT EXISTS` wait for every writer to their table even when there is nothing to do. So
the statements' text is fingerprinted and the fingerprint recorded once they have run; a process
that finds its fingerprint recorded (a worker started after the others, or restarted beside busy
ones) runs nothing and takes no lock. Then, every time, the rebuilds of views whose code has a new
version are started (`service.versions`): the service's own role may not create their tables."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, Self

import psycopg
from eventsourcing.postgres import PostgresRecorder
from psycopg.abc import Params, Query
from psycopg.sql import SQL, Identifier, Literal

from projections.catalog import all_projections
from service import access_log
from service.application import Polarity
from service.database import Database
from service.projector import Projector

log = logging.getLogger("polarity.startup")

LOCK_KEY = int.from_bytes(b"polarity")  # the advisory lock's key: "polarity" in ASCII
MARKER_TABLE = "polarity_prepared"


def prepare(database: Database) -> None:
    """Create or migrate everything the service needs in `database`, unless this code's
    statements have run there already; then start the rebuilds of views whose code has a new
    version. Safe to call from any number of processes at once."""
    app = Polarity(replace(database, pool_size=1), create_tables=False)  # one is plenty
    try:
        projector = Projector(app, database, all_projections())
        _create_or_migrate(database, app, projector)
        projector.versions.start()  # a cheap read, unless a view's code has a new version
    finally:
        app.close()


def _create_or_migrate(database: Database, app: Polarity, projector: Projector) -> None:
    recorders = event_store_recorders(app)
    marker = Identifier(app.store.datastore.schema or "public", MARKER_TABLE)
    with psycopg.connect(database.conninfo, autocommit=True) as conn:
        fingerprint = statements_fingerprint(conn, recorders, projector)
        if _prepared(conn, marker, fingerprint):
            return
        with advisory_lock(conn):
            if _prepared(conn, marker, fingerprint):  # done while this process waited
                return
            for recorder in recorders:
                recorder.create_table()
            projector.setup()
            access_log.create(conn)
            _record(conn, marker, fingerprint)
        log.info("prepared the database (schema fingerprint %s)", fingerprint[:12])


def event_store_recorders(app: Polarity) -> list[PostgresRecorder]:
    """The recorders whose tables hold the events and the snapshots."""
    recorders = [app.recorder] + ([app.snapshots.recorder] if app.snapshots else [])
    return [r for r in recorders if isinstance(r, PostgresRecorder)]


def statements_fingerprint(
    conn: psycopg.Connection[Any], recorders: list[PostgresRecorder], projector: Projector
) -> str:
    """A digest of every statement `prepare` would run, as the server would receive it."""
    statements = [s.as_string(conn) for r in recorders for s in r.sql_create_statements]
    with Rehearsal(conn) as rehearsal:
        projector.create_schema(rehearsal)
    statements += rehearsal.statements + [s.as_string(conn) for s in access_log.CREATE]
    return hashlib.sha256("\n".join(statements).encode()).hexdigest()


class Rehearsal(psycopg.ClientCursor[Any]):
    """A cursor that writes down each statement it is given, and runs none of them."""

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        super().__init__(connection)
        self.statements: list[str] = []

    def execute(
        self,
        query: Query,
        params: Params | None = None,
        *,
        prepare: bool | None = None,
        binary: bool | None = None,
    ) -> Self:
        self.statements.append(self.mogrify(query, params))
        return self


@contextmanager
def advisory_lock(conn: psycopg.Connection[Any]) -> Iterator[None]:
    """Held by `conn`'s session until exit; PostgreSQL also lets go if the process dies."""
    taken = conn.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()
    if not (taken and taken[0]):
        log.info("waiting for another process to prepare the database")
        conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
    try:
        yield
    finally:
        if not conn.broken:
            conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))


def _prepared(conn: psycopg.Connection[Any], marker: Identifier, fingerprint: str) -> bool:
    exists = conn.execute("SELECT to_regclass(%s)", (marker.as_string(conn),)).fetchone()
    if not (exists and exists[0]):
        return False
    query = SQL("SELECT 1 FROM {} WHERE fingerprint = %s").format(marker)
    return conn.execute(query, (fingerprint,)).fetchone() is not None


def _record(conn: psycopg.Connection[Any], marker: Identifier, fingerprint: str) -> None:
    conn.execute(
        SQL(
            "CREATE TABLE IF NOT EXISTS {} (fingerprint text PRIMARY KEY, "
            "prepared_at timestamptz NOT NULL DEFAULT now())"
        ).format(marker)
    )
    about = "The schemas `polarity` has prepared here: a digest of each version's statements."
    conn.execute(SQL("COMMENT ON TABLE {} IS {}").format(marker, Literal(about)))
    conn.execute(
        SQL("INSERT INTO {} (fingerprint) VALUES (%s) ON CONFLICT DO NOTHING").format(marker),
        (fingerprint,),
    )
