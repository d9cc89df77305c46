"""`python -m benchmarks.access_log`: what the access log costs a query. The same read (a team by
id, over HTTP to uvicorn on loopback) as an auditor, whose every request is logged, and as a
contributor, whose queries are not, in interleaved rounds on one service and one database, at 1
and 16 concurrent clients. Afterwards the log must hold exactly one row per auditor request."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import psycopg

from benchmarks.api import READ_TEAM, SECRET, global_id, serving
from benchmarks.report import machine, write
from benchmarks.server import chosen_server, fresh_database, server_version
from benchmarks.timing import Samples
from domain.commands import RegisterTeam
from domain.values import Actor
from service.application import Polarity
from service.database import Database
from service.settings import Settings
from service.unit_of_work import Context
from service.web import create_token

CONCURRENCY = (1, 16)
ROLES = {"logged": "auditor", "unlogged": "contributor"}


async def block(http: httpx.AsyncClient, team: str, clients: int, n: int, into: Samples) -> None:
    """`n` reads of `team` shared by `clients` concurrent clients, added to `into`."""

    async def client(c: int) -> None:
        for _ in range(c, n, clients):
            started = time.perf_counter()
            response = await http.post("/graphql", json={"query": READ_TEAM, "variables": team})
            into.latencies.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text

    started = time.perf_counter()
    await asyncio.gather(*(client(c) for c in range(clients)))
    into.wall += time.perf_counter() - started


async def compare(base: str, team: str, clients: int, n: int, rounds: int) -> dict[str, Any]:
    samples = {name: Samples() for name in ROLES}
    https = {
        name: httpx.AsyncClient(
            base_url=base,
            limits=httpx.Limits(max_connections=clients),
            headers={"Authorization": f"Bearer {token(role)}"},
        )
        for name, role in ROLES.items()
    }
    variables: Any = {"id": team}
    try:
        for http in https.values():  # warm-up
            await block(http, variables, clients, max(n // 10, clients), Samples())
        names = list(ROLES)
        for r in range(rounds):
            for name in names[r % 2 :] + names[: r % 2]:  # the first mover alternates
                await block(https[name], variables, clients, n // rounds, samples[name])
    finally:
        for http in https.values():
            await http.aclose()
    logged, unlogged = (samples[name].summary() for name in ROLES)
    return {
        "clients": clients,
        "logged": logged,
        "unlogged": unlogged,
        "mean_latency_cost": round(logged["mean_ms"] / unlogged["mean_ms"] - 1, 4),
        "p50_latency_cost": round(logged["p50_ms"] / unlogged["p50_ms"] - 1, 4),
        "throughput_ratio": round(logged["ops_per_s"] / unlogged["ops_per_s"], 3),
    }


def token(role: str) -> str:
    return create_token(Settings(jwt_secret=SECRET), f"bench-{role}", [role])


def logged_rows(database: Database) -> int:
    """Rows the auditor left, once the log has caught up (it writes after each response)."""
    query = "SELECT count(*) FROM audit.access_log WHERE actor = %s"
    with psycopg.connect(database.conninfo) as conn:
        previous = -1
        while True:
            row = conn.execute(query, ("bench-auditor",)).fetchone()
            count = int(row[0]) if row else 0
            if count == previous:
                return count
            previous = count
            time.sleep(1.0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.access_log", description=__doc__)
    parser.add_argument("--n", type=int, default=4000, help="timed reads of each kind")
    parser.add_argument("--quick", action="store_true", help="a few hundred reads")
    parser.add_argument("--rounds", type=int, default=100, help="interleaved blocks")
    args = parser.parse_args(argv)
    n = 400 if args.quick else args.n
    started = datetime.now(UTC)
    with chosen_server() as server, fresh_database(server.database) as database:
        print(f"{server.kind} server; n={n} rounds={args.rounds}", file=sys.stderr)
        app = Polarity(database)
        try:
            registered = app.handle(
                Context(Actor("bench", ("admin",))), RegisterTeam(name="b", org_unit="b")
            )
        finally:
            app.close()
        team = global_id("Team", registered.id)
        # Thousands of reads a second from two actors: the limits would measure themselves.
        os.environ.update(POLARITY_RATE_LIMIT="off", POLARITY_RATE_LIMIT_ADDRESS="off")
        with serving(database) as base:
            runs = [asyncio.run(compare(base, team, c, n, args.rounds)) for c in CONCURRENCY]
            rows = logged_rows(database)
        version = server_version(database)
    sent = sum(run["logged"]["n"] for run in runs)
    for run in runs:
        print(
            f"{run['clients']:>2} clients: logged {run['logged']['mean_ms']:.3f} ms mean, "
            f"unlogged {run['unlogged']['mean_ms']:.3f} ms; cost {run['mean_latency_cost']:+.1%} "
            f"mean, {run['p50_latency_cost']:+.1%} p50; throughput {run['throughput_ratio']:.3f}"
        )
    print(f"auditor requests timed {sent}; rows logged {rows} (warm-ups included)")
    document = {
        "benchmark": "access_log",
        "started_at": started.isoformat(timespec="seconds"),
        "machine": machine(server.kind, version),
        "plan": {"n": n, "rounds": args.rounds},
        "runs": runs,
        "rows_logged": rows,
    }
    print(f"\nwritten to {write(document)}")


if __name__ == "__main__":
    main()
