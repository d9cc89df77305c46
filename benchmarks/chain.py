"""`python -m benchmarks.chain`: what the audit trail's hash chain costs. Writes through Polarity
with the chain beside the same build without it, and `verify` beside merely reading the same
events, in one run on one database."""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import get_topic
from psycopg import Cursor
from psycopg.rows import DictRow, tuple_row

from benchmarks.core import Plan, polarity, run
from benchmarks.report import machine, write
from benchmarks.server import chosen_server, fresh_database, server_version
from service.application import Polarity
from service.audit import BATCH, verify
from service.database import Database
from service.persistence import PolarityRecorder


class UnchainedRecorder(PolarityRecorder):
    """Polarity's recorder, storing events without their links: the build before the chain."""

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        return PostgresApplicationRecorder._fetch_ids_after_insert_events(
            self, curs, stored_events, **kwargs
        )


class Unchained(Polarity):
    """Polarity without the chain, in tables of its own (unchained_events)."""

    name = "Unchained"

    def construct_env(self, name: str, env: Any = None) -> Any:
        topic = get_topic(UnchainedRecorder)
        return super().construct_env(name, {**(env or {}), "APPLICATION_RECORDER_TOPIC": topic})


def read_events(recorder: PolarityRecorder) -> int:
    """The events `verify` reads, read the same way (one snapshot, a server-side cursor), and
    nothing more: the floor under verifying."""
    with recorder.datastore.get_connection() as conn, conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        with conn.cursor(name="read_events", row_factory=tuple_row) as events:
            events.itersize = BATCH
            events.execute(recorder.chain.select_events, (1,))
            return sum(1 for row in events if bytes(row[4]))


def events_per_second(count: Callable[[], int], repeats: int) -> list[float]:
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        events = count()
        rates.append(events / (time.perf_counter() - started))
    return rates


def measure_reads(recorder: PolarityRecorder, repeats: int) -> dict[str, Any]:
    """Reading and verifying in turn, `repeats` times each; the medians compared."""
    reading: list[float] = []
    verifying: list[float] = []
    for _ in range(repeats):
        reading += events_per_second(lambda: read_events(recorder), 1)
        verifying += events_per_second(lambda: verify(recorder).verified, 1)
    read, checked = statistics.median(reading), statistics.median(verifying)
    return {
        "events": read_events(recorder),
        "read_events_per_s": round(read),
        "verify_events_per_s": round(checked),
        "verify_vs_read": round(checked / read, 3),
    }


def measure_writes(database: Database, plan: Plan) -> list[dict[str, Any]]:
    chained, unchained = Polarity(database), Unchained(database)
    try:
        operations = run([polarity(chained, "chained"), polarity(unchained, "unchained")], plan)
    finally:
        unchained.close()
        chained.close()
    for operation in operations:
        results = operation["results"]
        ratio = results["chained"]["ops_per_s"] / results["unchained"]["ops_per_s"]
        operation["chained_vs_unchained"] = round(ratio, 3)
    return operations


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.chain", description=__doc__)
    parser.add_argument("--n", type=int, help="timed writes of each kind (default 2000)")
    parser.add_argument("--quick", action="store_true", help="a few hundred writes")
    parser.add_argument("--repeats", type=int, default=15, help="reads and verifications")
    args = parser.parse_args(argv)
    n = args.n or (300 if args.quick else 2000)
    plan = Plan(n=n, warm_up=max(20, n // 10), rounds=min(50, n))
    started = datetime.now(UTC)
    with chosen_server() as server, fresh_database(server.database) as database:
        print(f"{server.kind} server; {plan}", file=sys.stderr)
        writes = measure_writes(database, plan)
        app = Polarity(database, create_tables=False)
        try:
            reads = measure_reads(app.store, args.repeats)
        finally:
            app.close()
        version = server_version(database)
    for operation in writes:
        results = operation["results"]
        print(
            f"{operation['operation']:<17} chained {results['chained']['ops_per_s']:>6.0f} ops/s"
            f"  unchained {results['unchained']['ops_per_s']:>6.0f} ops/s"
            f"  ratio {operation['chained_vs_unchained']:.2f}"
        )
    print(
        f"{'verify':<17} {reads['verify_events_per_s']:>14,} events/s"
        f"  read {reads['read_events_per_s']:>8,} events/s"
        f"  ratio {reads['verify_vs_read']:.2f}  ({reads['events']} events)"
    )
    document = {
        "benchmark": "chain",
        "started_at": started.isoformat(timespec="seconds"),
        "machine": machine(server.kind, version),
        "plan": vars(plan),
        "writes": writes,
        "reads": reads,
    }
    print(f"\nwritten to {write(document)}")


if __name__ == "__main__":
    main()
