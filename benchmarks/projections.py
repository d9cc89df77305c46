"""`python -m benchmarks.projections`: catching up the views, beside reading and the library."""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
import tracemalloc
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.sql import SQL, Identifier

from benchmarks.filling import Filled, fill
from benchmarks.library_view import catch_up_with_runner, view_totals
from benchmarks.report import machine, write
from benchmarks.server import chosen_server, fresh_database, server_version
from projections.base import SCHEMA
from projections.catalog import all_projections
from projections.rows import Rows
from service.application import Polarity
from service.database import Database
from service.parallel import catch_up_in_parallel
from service.persistence import EnvelopeMapper
from service.projector import BATCH_SIZE, Projector
from service.transcoding import library_transcoder

FILL_BATCH = 5000
WORKERS = os.cpu_count() or 1  # processes for the parallel catch-up: one per core
PROFILE_LINES = 30
WORK_ITEMS = ("Initiative", "ImprovementItem")


@dataclass(frozen=True)
class Plan:
    """How many events to fill the store with, in saves of how many, and whether to profile."""

    events: int
    fill_batch: int
    profile: bool


@dataclass(frozen=True)
class Timed:
    """Events handled from position 0 to the head, and the wall time it took."""

    events: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds

    def summary(self) -> dict[str, float]:
        return {
            "events": self.events,
            "seconds": round(self.seconds, 3),
            "events_per_s": round(self.rate, 1),
        }


def parse_plan(argv: list[str] | None) -> Plan:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.projections", description=__doc__)
    parser.add_argument("--events", type=int, help="events to fill the store with (200000)")
    parser.add_argument("--quick", action="store_true", help="20000 events")
    parser.add_argument("--fill-batch", type=int, default=FILL_BATCH, help="events per save")
    parser.add_argument(
        "--profile", action="store_true", help="then profile one more catch-up (cProfile)"
    )
    args = parser.parse_args(argv)
    events = args.events or (20_000 if args.quick else 200_000)
    if events < 1 or args.fill_batch < 1:
        parser.error("--events and --fill-batch must be positive")
    return Plan(events, args.fill_batch, args.profile)


def timed(run: Callable[[], int]) -> Timed:
    started = time.perf_counter()
    events = run()
    return Timed(events, time.perf_counter() - started)


def read_and_decode(app: Polarity, mapper: EnvelopeMapper, batch_size: int = BATCH_SIZE) -> int:
    """The library's recorder reads batches, `mapper` decodes each event and its envelope."""
    recorder = app.store
    position = count = 0
    while batch := recorder.select_notifications(position, batch_size, inclusive_of_start=False):
        for notification in batch:
            mapper.envelope(notification)
        count += len(batch)
        position = batch[-1].id
    return count


def project_all(app: Polarity, database: Database) -> int:
    """Every view in the catalog, from an empty reporting schema to the head."""
    projector = Projector(app, database, all_projections())
    projector.setup()
    return projector.catch_up()


def project_all_in_parallel(app: Polarity, database: Database, workers: int) -> int:
    """The same, with `workers` processes sharing the views out."""
    projector = Projector(app, database, all_projections())
    projector.setup()
    return catch_up_in_parallel(database, list(projector.projections), workers)


def held_in_memory(app: Polarity, database: Database) -> dict[str, int]:
    """What a runner holds between batches: every view's rows read back, under tracemalloc."""
    projector = Projector(app, database, all_projections())
    with projector.connect() as conn, conn.cursor() as cur:
        tracemalloc.start()
        states = [
            p.open(cur, projector.tables[p.name], projector.transcoder)
            for p in projector.projections.values()
        ]
        held, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    rows = sum(len(t) for state in states for t in state.values() if isinstance(t, Rows))
    return {"rows": rows, "bytes": held}


def drop_reporting(database: Database) -> None:
    with psycopg.connect(database.conninfo) as conn:
        conn.execute(SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(Identifier(SCHEMA)))


def profiled(app: Polarity, database: Database) -> str:
    """One more catch-up of every view from scratch, under cProfile; the top of the report."""
    drop_reporting(database)
    profiler = cProfile.Profile()
    profiler.runcall(project_all, app, database)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("cumulative").print_stats(PROFILE_LINES)
    stats.sort_stats("tottime").print_stats(PROFILE_LINES)
    return out.getvalue()


def measure(app: Polarity, database: Database, head: int, workers: int) -> dict[str, Timed]:
    """The baseline before and after the contenders, so that drift shows. Each starts on a
    settled server: nothing left for autovacuum or the checkpointer to do while it is timed."""
    library = EnvelopeMapper(transcoder=library_transcoder())  # json, as the library reads
    settle(database)
    results = {"read_and_decode_before": timed(lambda: read_and_decode(app, library))}
    print(f"read and decode: {results['read_and_decode_before'].rate:.0f}/s", file=sys.stderr)
    settle(database)
    polarity = app.mapper_with_envelopes  # orjson (service.transcoding), as the runner reads
    results["read_and_decode_polarity"] = timed(lambda: read_and_decode(app, polarity))
    settle(database)
    results["all_projections"] = timed(lambda: project_all(app, database))
    print(f"all projections: {results['all_projections'].rate:.0f}/s", file=sys.stderr)
    drop_reporting(database)  # empty again, as for the one process
    settle(database)
    parallel = timed(lambda: project_all_in_parallel(app, database, workers))
    results["all_projections_parallel"] = parallel
    print(f"all projections, {workers} processes: {parallel.rate:.0f}/s", file=sys.stderr)
    settle(database)
    results["library_runner"] = Timed(head, catch_up_with_runner(database, head))
    print(f"library runner: {results['library_runner'].rate:.0f}/s", file=sys.stderr)
    settle(database)
    results["read_and_decode_after"] = timed(lambda: read_and_decode(app, library))
    return results


def settle(database: Database) -> None:
    """VACUUM (ANALYZE) and CHECKPOINT, untimed: a store being caught up is old and vacuumed,
    and what one contender wrote is not flushed while the next is timed."""
    with psycopg.connect(database.conninfo, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
        with suppress(psycopg.errors.InsufficientPrivilege):  # a role without pg_checkpoint
            conn.execute("CHECKPOINT")


def checks(database: Database, filled: Filled, results: dict[str, Timed]) -> dict[str, int]:
    """Counts that show every contender went through every event (not timings)."""
    created = (
        filled.event_types["Initiative.Proposed"] + filled.event_types["ImprovementItem.Raised"]
    )
    work = sum(n for name, n in filled.event_types.items() if name.split(".")[0] in WORK_ITEMS)
    rows, counted = view_totals(database)
    found = {
        "events": filled.events,
        "work_items": created,
        "work_item_events": work,
        "library_view_rows": rows,
        "library_view_events": counted,
    }
    found.update({f"{name}_events": r.events for name, r in results.items()})
    expected = {filled.events, *(r.events for r in results.values())}
    if len(expected) != 1 or (rows, counted) != (created, work):
        raise RuntimeError(f"a contender missed events: {found}")
    return found


def ratios(results: dict[str, Timed]) -> dict[str, float]:
    baseline = (results["read_and_decode_before"].rate + results["read_and_decode_after"].rate) / 2
    return {
        "read_and_decode_events_per_s": round(baseline, 1),
        "all_projections_to_read_and_decode": round(results["all_projections"].rate / baseline, 3),
        "all_projections_parallel_to_read_and_decode": round(
            results["all_projections_parallel"].rate / baseline, 3
        ),
        "library_runner_to_read_and_decode": round(results["library_runner"].rate / baseline, 3),
        "read_and_decode_polarity_to_read_and_decode": round(
            results["read_and_decode_polarity"].rate / baseline, 3
        ),
        "all_projections_to_library_runner": round(
            results["all_projections"].rate / results["library_runner"].rate, 3
        ),
    }


def table(results: dict[str, Timed], baseline: float) -> str:
    labels = {
        "read_and_decode_before": "read and decode (before)",
        "read_and_decode_polarity": "read, decode with orjson",
        "all_projections": "all projections (Projector)",
        "all_projections_parallel": "all projections, per core",
        "library_runner": "ProjectionRunner, one view",
        "read_and_decode_after": "read and decode (after)",
    }
    header = ("measured", "events", "seconds", "events/s", "vs read+decode")
    lines = ["{:<28} {:>8} {:>8} {:>9} {:>15}".format(*header)]
    for key, label in labels.items():
        r = results[key]
        ratio = f"{r.rate / baseline:.2f}x"
        lines.append(f"{label:<28} {r.events:>8} {r.seconds:>8.2f} {r.rate:>9.0f} {ratio:>15}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    plan = parse_plan(argv)
    started = datetime.now(UTC)
    with chosen_server() as server, fresh_database(server.database) as database:
        print(f"{server.kind} server; {plan}", file=sys.stderr)
        app = Polarity(database)
        try:
            filled = fill(app, plan.events, plan.fill_batch)
            print(f"filled {filled.events} events in {filled.seconds:.1f} s", file=sys.stderr)
            head = app.store.max_notification_id() or 0
            results = measure(app, database, head, WORKERS)
            counts = checks(database, filled, results)
            memory = held_in_memory(app, database)
            print(f"held in memory: {memory['rows']} rows, {memory['bytes'] / 1e6:.1f} MB")
            profile = profiled(app, database) if plan.profile else None
        finally:
            app.close()
        about = machine(server.kind, server_version(database))
    summary = ratios(results)
    document: dict[str, Any] = {
        "benchmark": "projections",
        "started_at": started.isoformat(timespec="seconds"),
        "machine": about,
        "plan": {
            "events": plan.events,
            "fill_batch": plan.fill_batch,
            "batch_size": BATCH_SIZE,
            "workers": WORKERS,
        },
        "projections": [p.name for p in all_projections()],
        "library_view": "workitems (benchmarks/library_view.py)",
        "head": head,
        "fill": filled.summary(),
        "results": {name: r.summary() for name, r in results.items()},
        "checks": counts,
        "held_in_memory": memory,
        "ratios": summary,
    }
    print(table(results, summary["read_and_decode_events_per_s"]))
    print(f"fill: {filled.events} events in {filled.seconds:.1f} s ({filled.saves} saves)")
    if profile:
        print(profile, file=sys.stderr)
    print(f"\nwritten to {write(document)}")


if __name__ == "__main__":
    main()
