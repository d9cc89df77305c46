"""Several processes start at once: the database is prepared once, under an advisory lock, and
every worker of `polarity serve --workers 4` becomes ready, on fresh and on initialised databases.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from projections.catalog import all_projections
from service.database import Database
from service.startup import MARKER_TABLE, prepare

pytestmark = pytest.mark.database

PREPARERS = 8
WORKERS = 4
READY_SECONDS = 90.0  # five interpreters importing the app on a busy two-core machine
STOP_SECONDS = 30.0
POLARITY = str(Path(sys.executable).with_name("polarity"))
STARTED = "Application startup complete."  # uvicorn, once per worker


def rows(database: Database, query: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(database.conninfo) as conn:
        return conn.execute(query).fetchall()


# prepare() -----------------------------------------------------------------------------------


def test_processes_preparing_a_fresh_database_at_once_all_succeed_and_only_one_runs_the_ddl(
    own_database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="polarity.startup")
    together = threading.Barrier(PREPARERS)

    def prepare_with_the_others() -> None:
        together.wait()
        prepare(own_database)

    with ThreadPoolExecutor(PREPARERS) as pool:
        started = [pool.submit(prepare_with_the_others) for _ in range(PREPARERS)]
    for each in started:
        each.result()  # raises what any of them raised

    prepared = [r for r in caplog.records if r.getMessage().startswith("prepared the database")]
    assert len(prepared) == 1
    tracked = rows(own_database, "SELECT projection FROM reporting.tracking")
    assert sorted(name for (name,) in tracked) == sorted(p.name for p in all_projections())
    assert rows(own_database, "SELECT count(*) FROM polarity_events") == [(0,)]


def test_a_prepared_database_is_not_prepared_again_so_a_busy_view_does_not_hold_it_up(
    own_database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    prepare(own_database)
    caplog.set_level(logging.INFO, logger="polarity.startup")
    with psycopg.connect(own_database.conninfo) as runner:  # a runner in the middle of a batch
        runner.execute("SELECT * FROM reporting.tracking FOR UPDATE")
        with ThreadPoolExecutor(1, thread_name_prefix="again") as pool:
            again = pool.submit(prepare, own_database)
            again.result(timeout=10)  # the DDL would wait for the runner's commit

    # Only this prepare's records: a server another test left serving may log beside it.
    assert [r for r in caplog.records if (r.threadName or "").startswith("again")] == []


def test_a_database_prepared_by_other_code_is_migrated(own_database: Database) -> None:
    prepare(own_database)
    with psycopg.connect(own_database.conninfo) as conn:  # as an older version left it
        conn.execute(f"UPDATE {MARKER_TABLE} SET fingerprint = 'an older version'")
        conn.execute("ALTER TABLE reporting.tracking DROP COLUMN token")

    prepare(own_database)

    assert rows(own_database, f"SELECT count(*) FROM {MARKER_TABLE}") == [(2,)]
    token = "SELECT count(*) FROM pg_attribute WHERE attrelid = 'reporting.tracking'::regclass "
    assert rows(own_database, token + "AND attname = 'token'") == [(1,)]


# polarity serve --workers 4 --------------------------------------------------------------------


@pytest.mark.parametrize("attempt", range(10))
def test_serve_with_four_workers_becomes_ready_on_a_fresh_then_on_an_initialised_database(
    own_database: Database, tmp_path: Path, attempt: int
) -> None:
    for start in ("fresh", "initialised"):
        log = tmp_path / f"{start}.log"
        with serving_workers(own_database, log):
            pass
        output = log.read_text()
        assert "Traceback" not in output, output
        assert "startup failed" not in output, output
        # The workers connect as the role `serve` set up for them: that is no news to log.
        assert "may not create roles" not in output, output


@contextmanager
def serving_workers(
    database: Database,
    log: Path,
    workers: int = WORKERS,
    stop_seconds: float = STOP_SECONDS,
    temp_dir: Path | None = None,
) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """`polarity serve --workers N` until every worker has started and /ready answers: (the
    server, its port); then SIGTERM, and every process must have stopped cleanly. Given
    `temp_dir`, the server makes its temporary files there (TMPDIR)."""
    port = free_port()
    command = [POLARITY, "serve", "--workers", str(workers), "--port", str(port)]
    with log.open("w") as out:
        server = subprocess.Popen(
            [*command, "--database-url", database.url],
            env=serving_environment() | ({"TMPDIR": str(temp_dir)} if temp_dir else {}),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_ready(server, port, log, workers)
        yield server, port
    finally:
        server.send_signal(signal.SIGTERM)
        returned = server.wait(stop_seconds)
    assert returned == 0, log.read_text()
    # No interpreter torn down under a thread still reading (the projector process's pipe).
    assert "Fatal Python error" not in log.read_text(), log.read_text()


def wait_until_ready(server: subprocess.Popen[bytes], port: int, log: Path, workers: int) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while not (log.read_text().count(STARTED) == workers and answers_ready(port)):
        assert server.poll() is None, f"the server stopped:\n{log.read_text()}"
        assert time.monotonic() < deadline, f"not ready:\n{log.read_text()}"
        time.sleep(0.1)


def answers_ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def serving_environment() -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("POLARITY_")}
    return {**inherited, "POLARITY_ENV": "development", "POLARITY_LOG_LEVEL": "INFO"}
