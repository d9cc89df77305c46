"""The PostgreSQL server to measure against, and a fresh database on it for one run."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from uuid import uuid4

import psycopg
from psycopg import sql

from service.database import Database, embedded

URL_VARIABLES = ("POLARITY_BENCH_DATABASE_URL", "POLARITY_DATABASE_URL")


@dataclass(frozen=True)
class Server:
    database: Database
    kind: str  # "external" or "embedded"


@contextmanager
def chosen_server() -> Iterator[Server]:
    """The server a URL variable names, else an embedded one in a temporary directory."""
    url = next((os.environ[name] for name in URL_VARIABLES if os.environ.get(name)), None)
    if url:
        yield Server(Database(url), "external")
        return
    with (
        tempfile.TemporaryDirectory(prefix="polarity-bench-") as tmp,
        embedded(Path(tmp) / "pgdata") as database,
    ):
        yield Server(database, "embedded")


@contextmanager
def fresh_database(server: Database) -> Iterator[Database]:
    """A new, empty database on `server`, dropped afterwards."""
    name = f"polarity_bench_{uuid4().hex[:12]}"
    _execute(server, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield server.with_name(name)
    finally:
        drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
        _execute(server, drop.format(sql.Identifier(name)))


def server_version(database: Database) -> str:
    with psycopg.connect(database.conninfo) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "unknown"


def _execute(server: Database, statement: sql.Composed) -> None:
    with psycopg.connect(server.conninfo, autocommit=True) as conn:
        conn.execute(statement)
