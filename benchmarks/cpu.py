"""`python -m benchmarks.cpu`: where the CPU of one initiativeReview over HTTP goes, by process.

The service runs as deployed (`polarity serve`, as `benchmarks.api.against_bare` starts it, its
views caught up and its verifier through the store first); wrk sends initiativeReview at 1 and at
16 connections for a few seconds each. Before and after each run the user and system CPU time of
every process of the service (the workers, the projector, the supervising server) and of every
PostgreSQL backend connected to the run's database is read from /proc; the difference, divided
by the requests answered, is the CPU each request cost each of them."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

from benchmarks import wrk
from benchmarks.api import (
    POOL,
    REVIEWER_ROLES,
    SECRET,
    review_load,
    served,
    wait_verified,
)
from benchmarks.server import chosen_server, fresh_database
from domain.commands import ProposeInitiative
from domain.values import Actor
from projections.catalog import all_projections
from service.application import Polarity
from service.database import Database
from service.projector import Projector
from service.settings import Settings
from service.unit_of_work import Context
from service.web import create_token

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of one process so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def machine_busy() -> tuple[float, float]:
    """Busy and total CPU seconds of the whole machine so far."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / TICKS, sum(values) / TICKS


def children(pid: int) -> list[int]:
    """Every descendant of `pid`."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            kids = (task / "children").read_text().split()
        except OSError:
            continue
        for kid in map(int, kids):
            found += [kid, *children(kid)]
    return found


def role(pid: int) -> str:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "gone"
    if "service.projecting" in command:
        return "projector"
    if "multiprocessing.spawn" in command and "resource_tracker" in command:
        return "other"
    if "spawn_main" in command:
        return "worker"
    if "polarity serve" in command or "bin/polarity" in command:
        return "server"
    return "other"


def backends(database: Database) -> list[int]:
    with psycopg.connect(database.conninfo, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        ).fetchall()
    return [row[0] for row in rows]


def server_pid(base: str) -> int:
    """The `polarity serve` process listening on `base`'s port: the one started last."""
    ours = [
        int(p.name)
        for p in Path("/proc").iterdir()
        if p.name.isdigit() and role(int(p.name)) == "server"
    ]
    port = base.rsplit(":", 1)[1]
    matching = [
        pid
        for pid in ours
        if f"--port {port}"
        in Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    ]
    return matching[-1]


def split(
    database: Database,
    base: str,
    load: wrk.Load,
    connections: int,
    seconds: float,
    profile: Path | None = None,
) -> dict[str, Any]:
    server = server_pid(base)
    processes = {pid: role(pid) for pid in [server, *children(server)]}
    processes |= dict.fromkeys(backends(database), "postgres")
    spies = []
    if profile is not None:  # py-spy's folded stacks of each worker and the projector
        for pid, kind in processes.items():
            if kind in ("worker", "projector"):
                out = profile / f"{kind}-{pid}-{connections}.txt"
                command = [
                    str(Path(sys.executable).with_name("py-spy")),
                    "record",
                    "--pid",
                    str(pid),
                    "--format",
                    "raw",
                    "--rate",
                    "100",
                    "--gil",
                ]
                command += [
                    "--output",
                    str(out),
                    "--duration",
                    str(round(seconds)),
                    "--nonblocking",
                ]
                spies.append(
                    subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                )
    before = {pid: cpu_seconds(pid) for pid in processes}
    busy_before, all_before = machine_busy()
    done = wrk.run(base, load, connections, seconds)
    busy_after, all_after = machine_busy()
    after = {pid: cpu_seconds(pid) for pid in processes}
    for spy in spies:
        spy.wait()
    requests = done["requests"]
    per: dict[str, float] = {}
    for pid, kind in processes.items():
        per[kind] = per.get(kind, 0.0) + after[pid] - before[pid]
    ms = {kind: round(total * 1000 / requests, 2) for kind, total in sorted(per.items())}
    ms["total"] = round(sum(v for k, v in ms.items()), 2)
    busy = round((busy_after - busy_before) / (all_after - all_before), 2)
    return {
        "connections": connections,
        "req_per_s": done["req_per_s"],
        "ms_per_request": ms,
        "machine_busy": busy,
        "machine_ms": round((busy_after - busy_before) * 1000 / requests, 2),
        "workers": sum(1 for k in processes.values() if k == "worker"),
    }


@contextmanager
def prepared(database: Database) -> Iterator[tuple[list[list[Any]], str]]:
    app = Polarity(database)
    try:
        ctx = Context(Actor("bench", REVIEWER_ROLES))
        pools = [
            [
                app.handle(ctx, ProposeInitiative(title=f"B {i}", problem="b", org_unit="Ops")).id
                for i in range(POOL)
            ]
            for _ in range(3)
        ]
        projector = Projector(app, database, all_projections())
        projector.setup()
        projector.catch_up()
        head = app.store.max_notification_id() or 0
    finally:
        app.close()
    with tempfile.TemporaryFile() as log, served(database, log=log) as base:
        wait_verified(base, head)
        yield pools, base


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cpu", description=__doc__)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--profile", type=Path, help="a folder for py-spy's stacks")
    args = parser.parse_args(argv)
    token = create_token(Settings(jwt_secret=SECRET), "bench", REVIEWER_ROLES)
    with (
        chosen_server() as server,
        fresh_database(server.database) as database,
        prepared(database) as (pools, base),
    ):
        wrk.run(base, review_load(pools[0], 16, token), 16, 3)  # warm-up
        for pool, connections in zip(pools[1:], (1, 16), strict=True):
            found = split(
                database,
                base,
                review_load(pool, connections, token),
                connections,
                args.seconds,
                args.profile,
            )
            print(found, file=sys.stdout, flush=True)


if __name__ == "__main__":
    main()
