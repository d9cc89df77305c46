"""Test fixtures: a fresh PostgreSQL database per test session, on the named or embedded server."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import psycopg
import pytest
from psycopg import sql

from service.application import Polarity
from service.database import Database, embedded


def fresh_database(server: Database) -> Iterator[Database]:
    name = f"polarity_test_{uuid4().hex[:12]}"
    with psycopg.connect(server.conninfo, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield server.with_name(name)
    finally:
        with psycopg.connect(server.conninfo, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def _unreachable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL is required in CI: {reason}")
    pytest.skip(f"PostgreSQL not reachable: {reason}")


@pytest.fixture(scope="session")
def database() -> Iterator[Database]:
    """POLARITY_TEST_DATABASE_URL's server, else an embedded one; a new database either way."""
    url = os.environ.get("POLARITY_TEST_DATABASE_URL")
    if url:
        server = Database(url)
        try:
            psycopg.connect(server.conninfo, connect_timeout=5).close()
        except psycopg.OperationalError as error:
            _unreachable(str(error))
        yield from fresh_database(server)
        return
    with tempfile.TemporaryDirectory(prefix="polarity-test-") as tmp:
        try:
            context = embedded(Path(tmp) / "pgdata")
            server = context.__enter__()
        except Exception as error:  # the embedded server could not start here
            _unreachable(f"embedded server failed to start: {error}")
        try:
            yield from fresh_database(server)
        finally:
            context.__exit__(None, None, None)


@pytest.fixture
def own_database(database: Database) -> Iterator[Database]:
    """A database of the test's own, on the session's server: no other test's service writes
    to it or projects it."""
    yield from fresh_database(database)


@pytest.fixture(scope="session")
def app(database: Database) -> Iterator[Polarity]:
    application = Polarity(database, snapshot_interval=5)
    try:
        yield application
    finally:
        application.close()
