"""`python -m benchmarks.projections`: catching up the views, beside reading and the library."""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.sql import SQL, Identifier
from psycopg.types.json import Jsonb

from benchmarks.filling import Filled, fill
from benchmarks.library_view import catch_up_with_runner, view_totals
from benchmarks.report import machine, write
from benchmarks.server import URL_VARIABLES, chosen_server, fresh_database, server_version
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
REBUILD_EVENTS = 1_000_000
REBUILD_WORKERS = (1, 2)
CHILD = "--rebuild-in-this-process"  # how the rebuild starts itself in a fresh process
GOAL_SECONDS_PER_MILLION = 60.0  # issue 18: one worker, from an empty reporting schema
GOAL_SCALING = 1.6  # 2 workers' rate against one's
GOAL_PEAK_MB = 600.0  # per process
WORK_ITEMS = ("Initiative", "ImprovementItem")


@dataclass(frozen=True)
class Plan:
    """How many events to fill the store with, in saves of how many, and whether to profile."""

    events: int
    fill_batch: int
    profile: bool
    rebuild: bool = False
    keep_store: bool = False


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
    parser.add_argument(
        "--rebuild",
        action="store_true",
        help="only the rebuild of every view with 1 and 2 workers, with peak RSS "
        f"(default {REBUILD_EVENTS:,} events; needs a server URL)",
    )
    parser.add_argument(
        "--keep-store",
        action="store_true",
        help="with --rebuild: fill a database named after the events and keep it, or use the one "
        "an earlier run kept (the fill of a million events takes minutes)",
    )
    args = parser.parse_args(argv)
    if args.rebuild:
        events = args.events or (20_000 if args.quick else REBUILD_EVENTS)
        return Plan(events, args.fill_batch, False, True, args.keep_store)
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


def rebuild_here(url: str, workers: int) -> None:
    """In a fresh process (started by `rebuilt`): every view from the empty reporting schema to
    the head, in this process or in `workers` processes; prints the time and peak RSS."""
    database = Database(url)
    app = Polarity(database)
    try:
        started = time.perf_counter()
        if workers == 1:
            events = project_all(app, database)
        else:
            events = project_all_in_parallel(app, database, workers)
        seconds = time.perf_counter() - started
    finally:
        app.close()
    own = own_peak_kib()
    # The largest worker's: each started from this process, small when it started them.
    workers_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    found = {"events": events, "seconds": seconds, "own_kib": own, "children_kib": workers_peak}
    print(REBUILT + json.dumps(found))


REBUILT = "REBUILT "


def own_peak_kib() -> int:
    """This process's peak resident memory in KiB: the high-water mark of its own address space
    (VmHWM). `getrusage` would give at least the RSS of the process it was started from, which
    Linux carries over through fork and exec (the benchmark's, a gigabyte after the fill)."""
    with suppress(OSError), open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def rebuilt(database: Database, workers: int) -> dict[str, Any]:
    """A rebuild from an empty reporting schema in a process of its own, so that its peak RSS is
    the rebuild's alone (not the fill's): with 1 worker that process applies every view; with
    more, it deals the views to worker processes (`catch_up_in_parallel`) and the peak is the
    largest worker's."""
    drop_reporting(database)
    settle(database)
    command = [sys.executable, "-m", "benchmarks.projections", CHILD, database.url, str(workers)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith(REBUILT)]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"the rebuild with {workers} workers failed: {done.stderr[-3000:]}")
    found = json.loads(lines[-1][len(REBUILT) :])
    peak = found["own_kib"] if workers == 1 else found["children_kib"]
    return {
        "workers": workers,
        "events": found["events"],
        "seconds": round(found["seconds"], 3),
        "events_per_s": round(found["events"] / found["seconds"], 1),
        "peak_rss_mb": round(peak * 1024 / 1e6, 1),
        "coordinator_rss_mb": None if workers == 1 else round(found["own_kib"] * 1024 / 1e6, 1),
    }


def rebuild_ratios(
    found: dict[int, dict[str, Any]], baseline: float, events: int
) -> dict[str, Any]:
    one, two = found[1], found[max(found)]
    return {
        "read_and_decode_events_per_s": round(baseline, 1),
        "one_worker_to_read_and_decode": round(one["events_per_s"] / baseline, 3),
        "two_workers_to_one": round(two["events_per_s"] / one["events_per_s"], 3),
        "one_worker_seconds_per_million": round(one["seconds"] * 1e6 / events, 1),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in found.values()),
    }


def rebuild_table(
    found: dict[int, dict[str, Any]], decode: dict[str, Timed], summary: dict[str, Any]
) -> str:
    lines = ["rebuild of every view     events  seconds  events/s  peak RSS MB  goal"]
    for when in ("read_and_decode_before", "read_and_decode_after"):
        d = decode[when]
        label = when.replace("_", " ").replace("read and decode", "read and decode,")
        lines.append(f"{label:<24} {d.events:>7} {d.seconds:>8.2f} {d.rate:>9.0f}")
    for workers, r in found.items():
        goals = []
        if workers == 1:
            per_million = summary["one_worker_seconds_per_million"]
            goals.append(
                f"{per_million:.0f} s per million: "
                + ("met" if per_million < GOAL_SECONDS_PER_MILLION else "MISSED (< 60 s)")
            )
        else:
            scaling = summary["two_workers_to_one"]
            goals.append(
                f"{scaling:.2f}x one worker: "
                + ("met" if scaling >= GOAL_SCALING else f"MISSED (>= {GOAL_SCALING}x)")
            )
        goals.append("RSS met" if r["peak_rss_mb"] < GOAL_PEAK_MB else "RSS MISSED (< 600 MB)")
        label = f"{workers} worker" + ("s" if workers > 1 else "")
        lines.append(
            f"{label:<24} {r['events']:>7} {r['seconds']:>8.2f} {r['events_per_s']:>9.0f} "
            f"{r['peak_rss_mb']:>12.0f}  {'; '.join(goals)}"
        )
    return "\n".join(lines)


KEPT_STORE = "polarity_bench_store_{events}_{fill_batch}"
FILLED_NOTE = "bench_filled"  # a kept store's table: what went into it


@contextmanager
def store_for(server: Database, plan: Plan) -> Iterator[tuple[Database, Filled | None]]:
    """A fresh database, dropped afterwards; or with `--keep-store` the kept one named after
    the plan, with what an earlier run filled it with (None when this run must fill it)."""
    if not plan.keep_store:
        with fresh_database(server) as database:
            yield database, None
        return
    name = KEPT_STORE.format(events=plan.events, fill_batch=plan.fill_batch)
    with psycopg.connect(server.conninfo, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(SQL("CREATE DATABASE {}").format(Identifier(name)))
    database = server.with_name(name)
    with psycopg.connect(database.conninfo) as conn:
        note = conn.execute(
            "SELECT to_regclass(%s) IS NOT NULL", (f"public.{FILLED_NOTE}",)
        ).fetchone()
        summary = None
        if note and note[0]:
            found = conn.execute(SQL("SELECT summary FROM {}").format(Identifier(FILLED_NOTE)))
            summary = (found.fetchone() or (None,))[0]
    yield database, Filled.of(summary) if summary else None


def filled_and_noted(app: Polarity, database: Database, plan: Plan) -> Filled:
    filled = fill(app, plan.events, plan.fill_batch)
    if plan.keep_store:
        with psycopg.connect(database.conninfo) as conn:
            conn.execute(SQL("CREATE TABLE {} (summary jsonb)").format(Identifier(FILLED_NOTE)))
            conn.execute(
                SQL("INSERT INTO {} VALUES (%s)").format(Identifier(FILLED_NOTE)),
                (Jsonb(filled.summary()),),
            )
    return filled


def rebuild_main(plan: Plan) -> None:
    """Fill, then rebuild every view with 1 and with 2 workers, between two read-and-decode runs
    of the same events (the same-run baseline)."""
    if not any(os.environ.get(name) for name in URL_VARIABLES):
        sys.exit(
            "The rebuild runs against a server named by POLARITY_BENCH_DATABASE_URL (e.g. "
            "postgresql://postgres@127.0.0.1:5432/postgres): its worker processes hang on the "
            "embedded one."
        )
    started = datetime.now(UTC)
    with chosen_server() as server, store_for(server.database, plan) as (database, kept):
        print(f"{server.kind} server; rebuild over {plan.events} events", file=sys.stderr)
        app = Polarity(database)
        try:
            filled = kept or filled_and_noted(app, database, plan)
            print(f"filled {filled.events} events in {filled.seconds:.1f} s", file=sys.stderr)
            library = EnvelopeMapper(transcoder=library_transcoder())
            settle(database)
            decode = {"read_and_decode_before": timed(lambda: read_and_decode(app, library))}
            found: dict[int, dict[str, Any]] = {}
            for workers in REBUILD_WORKERS:
                found[workers] = rebuilt(database, workers)
                print(f"rebuild, {workers} workers: {found[workers]}", file=sys.stderr)
            settle(database)
            decode["read_and_decode_after"] = timed(lambda: read_and_decode(app, library))
        finally:
            app.close()
        about = machine(server.kind, server_version(database))
    if any(r["events"] != filled.events for r in found.values()):
        raise RuntimeError(f"a rebuild missed events: {found} against {filled.events}")
    baseline = sum(r.rate for r in decode.values()) / len(decode)
    summary = rebuild_ratios(found, baseline, filled.events)
    document: dict[str, Any] = {
        "benchmark": "rebuild",
        "started_at": started.isoformat(timespec="seconds"),
        "machine": about,
        "load_average": os.getloadavg(),
        "plan": {"events": plan.events, "fill_batch": plan.fill_batch, "batch_size": BATCH_SIZE},
        "fill": filled.summary(),
        "read_and_decode": {name: r.summary() for name, r in decode.items()},
        "rebuilds": list(found.values()),
        "goals": {
            "one_worker_seconds_per_million": GOAL_SECONDS_PER_MILLION,
            "two_workers_to_one": GOAL_SCALING,
            "peak_rss_mb": GOAL_PEAK_MB,
        },
        "ratios": summary,
    }
    print(rebuild_table(found, decode, summary))
    print(f"\nwritten to {write(document)}")


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == [CHILD]:
        rebuild_here(argv[1], int(argv[2]))
        return
    plan = parse_plan(argv)
    if plan.rebuild:
        rebuild_main(plan)
        return
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
