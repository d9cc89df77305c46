"""`python -m benchmarks.live_runner`: what the live runner costs for each write it follows.

A service under a steady trickle of writes wakes its runner for almost every event: a batch of
one, whose fixed cost (locking the views' positions, reading, writing each changed table,
advancing the positions) is paid every time, on the same cores as the requests. One run, one
fresh database: 100 initiatives proposed and every view caught up; then, `--n` times, one
`ReviewInitiative` handled (the same-run baseline: the write itself, through `Polarity.handle`)
and the runner caught up with it, on one connection as the service's runner keeps. Reported per
event: wall time, this process's CPU and the CPU of the runner's PostgreSQL backend (read from
/proc), for the write and for the runner, and the runner's over the write's."""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime
from typing import Any

import psycopg

from benchmarks.api import REVIEW_INPUT, REVIEWER_ROLES
from benchmarks.report import machine, write
from benchmarks.server import chosen_server, fresh_database, server_version
from domain.commands import ProposeInitiative, ReviewInitiative
from domain.values import Actor, ReviewStatus
from projections.catalog import all_projections
from service.application import Polarity
from service.database import Database
from service.projector import Projector
from service.unit_of_work import Context

POOL = 100  # initiatives reviewed in turn


def backend_cpu(pids: list[int]) -> float:
    """Seconds of CPU (user and system) these PostgreSQL backends have used, from /proc."""
    spent = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        spent += int(fields[11]) + int(fields[12])
    return spent / os.sysconf("SC_CLK_TCK")


def backends(database: Database, but: int) -> list[int]:
    """The backends connected to the database (the application's pool), but one."""
    with psycopg.connect(database.conninfo, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND pid <> %s",
            (but,),
        ).fetchall()
    return [pid for (pid,) in rows]


class Spent:
    """Wall, process CPU and some backends' CPU, summed over timed calls."""

    def __init__(self, backends: list[int]) -> None:
        self.backends = backends
        self.wall = self.cpu = self.server = 0.0

    def timed(self, call: Any) -> None:
        wall, cpu, server = time.perf_counter(), time.process_time(), backend_cpu(self.backends)
        call()
        self.wall += time.perf_counter() - wall
        self.cpu += time.process_time() - cpu
        self.server += backend_cpu(self.backends) - server

    def per_event(self, events: int) -> dict[str, float]:
        return {
            "wall_ms": round(self.wall / events * 1000, 3),
            "python_cpu_ms": round(self.cpu / events * 1000, 3),
            "server_cpu_ms": round(self.server / events * 1000, 3),
        }


def measure(database: Database, n: int) -> dict[str, dict[str, float]]:
    app = Polarity(database)
    try:
        ctx = Context(Actor("bench", REVIEWER_ROLES))
        pool = [
            app.handle(ctx, ProposeInitiative(title=f"Bench {i}", problem="b", org_unit="Ops")).id
            for i in range(POOL)
        ]
        projector = Projector(app, database, all_projections())
        projector.setup()
        with projector.connect() as conn:
            projector.catch_up(conn=conn)
            runner_backend = conn.info.backend_pid
            runner, command = Spent([runner_backend]), Spent(backends(database, runner_backend))
            for k in range(n):
                review = ReviewInitiative(
                    pool[k % POOL],
                    period=REVIEW_INPUT["period"],
                    status=ReviewStatus.GREEN,
                    summary=REVIEW_INPUT["summary"],
                    reason=REVIEW_INPUT["reason"],
                )
                command.timed(lambda review=review: app.handle(ctx, review))
                runner.timed(lambda: projector.catch_up(conn=conn))
        return {"write": command.per_event(n), "runner": runner.per_event(n)}
    finally:
        app.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.live_runner", description=__doc__)
    parser.add_argument("--n", type=int, default=1000, help="writes, each followed by the runner")
    args = parser.parse_args(argv)
    started = datetime.now(UTC)
    with chosen_server() as server, fresh_database(server.database) as database:
        print(f"{server.kind} server; n={args.n}", file=sys.stderr)
        results = measure(database, args.n)
        version = server_version(database)
    ratios = {
        key: round(results["runner"][key] / results["write"][key], 2)
        for key in results["write"]
        if results["write"][key]
    }
    document = {
        "benchmark": "live_runner",
        "started_at": started.isoformat(timespec="seconds"),
        "machine": machine(server.kind, version),
        "load_average": os.getloadavg(),
        "plan": {"n": args.n, "pool": POOL},
        "results": results,
        "runner_to_write": ratios,
    }
    print(f"{'per event':<28}{'wall ms':>10}{'Python CPU ms':>15}{'server CPU ms':>15}")
    for side in ("write", "runner"):
        r = results[side]
        label = "the write (handle)" if side == "write" else "the runner, one-event batch"
        print(f"{label:<28}{r['wall_ms']:>10}{r['python_cpu_ms']:>15}{r['server_cpu_ms']:>15}")
    print(f"{'runner / write':<28}" + "".join(f"{ratios.get(k, 0):>14}x" for k in results["write"]))
    print(f"\nwritten to {write(document)}")


if __name__ == "__main__":
    main()
