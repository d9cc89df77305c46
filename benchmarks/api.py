"""`python -m benchmarks.api`: mutations and queries over HTTP on loopback, beside direct calls.

One run, one fresh database: the service runs under uvicorn in a child process; clients send a
load-decide-save mutation (teamSetCapacity) and a read (team by id) at 1 and 16 concurrent clients,
and the same use case and read are called directly on the application with 1 and 16 threads."""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import httpx

from benchmarks.report import machine, write
from benchmarks.server import chosen_server, fresh_database, server_version
from benchmarks.timing import Samples
from domain.commands import RegisterTeam, SetTeamCapacity
from domain.team import Team
from domain.values import Actor, Period
from service.application import Polarity
from service.database import Database
from service.settings import Settings
from service.unit_of_work import Context
from service.web import create_token

PORT = 8765
SECRET = "polarity-benchmark-secret-0123456789abcdef"
CONCURRENCY = (1, 16)
SET_CAPACITY = """mutation($i: TeamSetCapacityInput!) {
  teamSetCapacity(input: $i) { version position userErrors { code } } }"""
READ_TEAM = "query($id: ID!) { team(id: $id) { name capacity { period fte allocated } } }"


@contextmanager
def serving(database: Database, port: int = PORT) -> Iterator[str]:
    """uvicorn in a child process on loopback, until the block ends."""
    env = {
        **os.environ,
        "POLARITY_DATABASE_URL": database.url,
        "POLARITY_JWT_SECRET": SECRET,
        "POLARITY_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "uvicorn", "service.web:app_from_env", "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    process = subprocess.Popen(command, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the service exited before it was ready")
        try:
            if httpx.get(f"{base}/ready", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the service did not become ready within 60 s")


def global_id(type_name: str, aggregate_id: UUID) -> str:
    return base64.b64encode(f"{type_name}:{aggregate_id}".encode()).decode()


async def over_http(
    base: str,
    clients: int,
    n: int,
    request: Callable[[httpx.AsyncClient, int, int], Awaitable[None]],
) -> Samples:
    """`n` requests shared by `clients` concurrent clients; latency of each, wall time of all."""
    samples = Samples()
    limits = httpx.Limits(max_connections=clients)
    headers = {
        "Authorization": f"Bearer {create_token(Settings(jwt_secret=SECRET), 'bench', ['admin'])}"
    }
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits) as http:

        async def client(c: int) -> None:
            for k in range(c, n, clients):
                started = time.perf_counter()
                await request(http, c, k)
                samples.latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(client(c) for c in range(clients)))
        samples.wall = time.perf_counter() - started
    return samples


def direct(clients: int, n: int, call: Callable[[int, int], None]) -> Samples:
    """The same calls on the application in-process, from `clients` threads."""
    samples = Samples()

    def worker(c: int) -> None:
        for k in range(c, n, clients):
            started = time.perf_counter()
            call(c, k)
            samples.latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(worker, range(clients)))
    samples.wall = time.perf_counter() - started
    return samples


def measure(database: Database, n: int) -> list[dict[str, Any]]:
    app = Polarity(database)
    ctx = Context(Actor("bench", ("admin",)))
    teams = [
        app.handle(ctx, RegisterTeam(name=f"bench {c}", org_unit="bench")).id for c in range(16)
    ]
    period = Period(2027, 1)

    def set_capacity(c: int, k: int) -> None:
        app.handle(
            ctx, SetTeamCapacity(teams[c], period=period, fte=Decimal(k % 50 + 1), reason="b")
        )

    def read(c: int, k: int) -> None:
        app.get(teams[c], Team)

    async def http_set(http: httpx.AsyncClient, c: int, k: int) -> None:
        variables = {
            "i": {
                "id": global_id("Team", teams[c]),
                "period": "2027-Q1",
                "fte": str(k % 50 + 1),
                "reason": "b",
            }
        }
        response = await http.post("/graphql", json={"query": SET_CAPACITY, "variables": variables})
        assert response.json()["data"]["teamSetCapacity"]["userErrors"] == []

    async def http_read(http: httpx.AsyncClient, c: int, k: int) -> None:
        variables = {"id": global_id("Team", teams[c])}
        response = await http.post("/graphql", json={"query": READ_TEAM, "variables": variables})
        assert response.status_code == 200

    rows: list[dict[str, Any]] = []
    try:
        with serving(database) as base:
            for clients in CONCURRENCY:
                for name, over, call in (
                    ("mutation", http_set, set_capacity),
                    ("query", http_read, read),
                ):
                    asyncio.run(over_http(base, clients, max(n // 10, clients), over))  # warm-up
                    via_http = asyncio.run(over_http(base, clients, n, over)).summary()
                    in_process = direct(clients, n, call).summary()
                    rows.append(
                        {
                            "operation": name,
                            "clients": clients,
                            "http": via_http,
                            "direct": in_process,
                            "http_to_direct": round(
                                via_http["ops_per_s"] / in_process["ops_per_s"], 3
                            ),
                        }
                    )
    finally:
        app.close()
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["operation  clients  via     ops/s   p50 ms   p99 ms  http/direct"]
    for row in rows:
        for via in ("http", "direct"):
            r = row[via]
            ratio = f"{row['http_to_direct']:.2f}x" if via == "http" else "1"
            lines.append(
                f"{row['operation']:<9} {row['clients']:>8}  {via:<6} {r['ops_per_s']:>6.0f} "
                f"{r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f}  {ratio:>10}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.api", description=__doc__)
    parser.add_argument("--n", type=int, default=1000, help="requests per measurement")
    parser.add_argument("--quick", action="store_true", help="200 requests per measurement")
    args = parser.parse_args(argv)
    n = 200 if args.quick else args.n
    started = datetime.now(UTC)
    with chosen_server() as server, fresh_database(server.database) as database:
        rows = measure(database, n)
        version = server_version(database)
    document = {
        "benchmark": "api",
        "started_at": started.isoformat(timespec="seconds"),
        "machine": machine(server.kind, version),
        "n": n,
        "results": rows,
    }
    print(table(rows))
    print(f"\nwritten to {write(document)}")


if __name__ == "__main__":
    main()
