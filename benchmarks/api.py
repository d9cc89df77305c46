"""`python -m benchmarks.api`: mutations and queries over HTTP on loopback, beside direct calls.

One run, one fresh database: the service runs under uvicorn in a child process; clients send a
load-decide-save mutation (teamSetCapacity) and a read (team by id) at 1 and 16 concurrent clients,
and the same use case and read are called directly on the application with 1 and 16 threads.

Then, beside the bare library (issue 18): initiativeReview over HTTP to the service as deployed
(`polarity serve`, its default number of workers), driven by wrk at 1 and 16 connections for a
fixed time, the same use case in-process from 1 and 16 threads, and the bare
eventsourcing library's load-decide-save from 1 to 16 threads (`against_bare`)."""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from uuid import UUID

import httpx

from benchmarks import wrk
from benchmarks.bare import bare_application, load_decide_save, proposals
from benchmarks.report import machine, write
from benchmarks.server import chosen_server, fresh_database, server_version
from benchmarks.timing import Samples, for_duration
from domain.commands import ProposeInitiative, RegisterTeam, ReviewInitiative, SetTeamCapacity
from domain.team import Team
from domain.values import Actor, Period, ReviewStatus
from projections.catalog import all_projections
from service.application import Polarity
from service.database import Database
from service.projector import Projector
from service.settings import Settings, default_workers
from service.unit_of_work import Context
from service.web import create_token

SECRET = "polarity-benchmark-secret-0123456789abcdef"
CONCURRENCY = (1, 16)
SET_CAPACITY = """mutation($i: TeamSetCapacityInput!) {
  teamSetCapacity(input: $i) { version position userErrors { code } } }"""
REVIEW = """mutation($i: InitiativeReviewInput!) {
  initiativeReview(input: $i) { version position userErrors { code } } }"""
REVIEW_INPUT = {"period": "2027-01", "status": "GREEN", "summary": "on plan", "reason": "bench"}
REVIEWER_ROLES = ("steward",)
POOL = 512  # aggregates a phase reviews round-robin: shares of 1 to 16 threads never overlap
BARE_THREADS = (1, 2, 4, 8, 16)  # the library's best multi-thread rate is the best of these
SECONDS = 10
WARM_UP_SECONDS = 3
GOAL_ONE, GOAL_MANY = 0.6, 0.8  # issue 18: HTTP at 1 client, and at 16 against the best
READ_TEAM = "query($id: ID!) { team(id: $id) { name capacity { period fte allocated } } }"


def free_port() -> int:
    """A port nothing listens on now: benchmarks may run beside each other and beside tests."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@contextmanager
def serving(
    database: Database, port: int | None = None, workers: int = 1, log: IO[bytes] | None = None
) -> Iterator[str]:
    """The service under uvicorn in a child process on loopback (a free port unless given),
    with `workers` worker processes, its output to `log` if given, until the block ends. Rate
    limits are off: a benchmark sends thousands of requests a second as one actor from one
    address."""
    env = {
        **os.environ,
        "POLARITY_DATABASE_URL": database.url,
        "POLARITY_JWT_SECRET": SECRET,
        "POLARITY_LOG_LEVEL": "WARNING",
        "POLARITY_RATE_LIMIT": "off",
        "POLARITY_RATE_LIMIT_ADDRESS": "off",
        "POLARITY_WORKERS": str(workers),
    }
    with uvicorn("service.web:app_from_env", env, port, workers, "/ready", log) as base:
        yield base


@contextmanager
def served(database: Database, log: IO[bytes] | None = None) -> Iterator[str]:
    """The service as deployed: `polarity serve` on loopback with its default number of workers
    (and, with several, its projector process beside them), until the block ends; rate limits
    off, as in `serving`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLARITY_")}
    env |= {
        "POLARITY_JWT_SECRET": SECRET,
        "POLARITY_LOG_LEVEL": "WARNING",
        "POLARITY_RATE_LIMIT": "off",
        "POLARITY_RATE_LIMIT_ADDRESS": "off",
    }
    port = free_port()
    command = [str(Path(sys.executable).with_name("polarity")), "serve", "--port", str(port)]
    command += ["--database-url", database.url]
    process = subprocess.Popen(command, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process)
        yield base
    finally:
        process.send_signal(signal.SIGINT)  # as Ctrl-C: the workers and the projector stop
        process.wait(timeout=60)


@contextmanager
def uvicorn(
    factory: str,
    env: dict[str, str],
    port: int | None,
    workers: int,
    ready: str,
    log: IO[bytes] | None = None,
) -> Iterator[str]:
    """`uvicorn --factory <factory>` in a child process on loopback, once `ready` answers 200;
    its output to `log` if given."""
    port = port or free_port()
    command = [sys.executable, "-m", "uvicorn", factory, "--factory", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers), "--log-level", "warning"]
    process = subprocess.Popen(command, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process, ready)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


DISCONNECTED = "client disconnected prematurely"  # wrk closing its connections as a run ends


def errors_logged(log: IO[bytes]) -> dict[str, Any]:
    """What the service logged at ERROR: requests cut off by the client as a load run stopped
    (counted), and anything else (counted, the first shown)."""
    log.seek(0)
    errors = [line for line in log.read().decode(errors="replace").splitlines() if "ERROR" in line]
    other = [line for line in errors if DISCONNECTED not in line]
    return {
        "disconnected": len(errors) - len(other),
        "other": len(other),
        "first_other": other[0][:2000] if other else None,
    }


def _wait_ready(base: str, process: subprocess.Popen[bytes], ready: str = "/ready") -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{base} exited before it was ready")
        try:
            if httpx.get(f"{base}{ready}", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{base} did not become ready within 60 s")


def wait_verified(base: str, head: int, limit: float = 300) -> None:
    """Until the service's background verifier has checked every event: its first pass over
    the whole store would otherwise run beside the first measurements."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        integrity = httpx.get(f"{base}/ready", timeout=10).json().get("integrity", {})
        if (integrity.get("verifiedThrough") or 0) >= head:
            return
        time.sleep(0.5)
    raise RuntimeError(f"the verifier did not reach position {head} in {limit:.0f} s")


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


def review_load(initiatives: list[UUID], connections: int, token: str) -> wrk.Load:
    """initiativeReview, each wrk thread on every `threads`-th initiative in turn (the same
    shares as the direct and bare calls), every answer checked for empty userErrors."""
    threads = wrk.threads_for(connections)
    marker = "INITIATIVE-ID"
    variables = {"i": {**REVIEW_INPUT, "id": marker}}
    body = json.dumps({"query": REVIEW, "variables": variables}, separators=(",", ":"))
    before, after = body.split(marker)
    ids = ", ".join(json.dumps(global_id("Initiative", i)) for i in initiatives)
    lua = f"""
ids = {{{ids}}}
calls = 0
function request()
  local id = ids[((number - 1) + calls * {threads}) % #ids + 1]
  calls = calls + 1
  return wrk.format(nil, nil, nil, {json.dumps(before)} .. id .. {json.dumps(after)})
end
"""
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    return wrk.Load("/graphql", "POST", None, headers, lua, expect='"userErrors":%s*%[%]')


def against_bare(database: Database, seconds: float, warm_up: float) -> dict[str, Any]:
    """initiativeReview over HTTP (wrk) at 1 and 16 connections, the same use case called on
    the application in-process from 1 and 16 threads, and the bare library's load-decide-save
    from 1 to 16 threads, each for `seconds`. Every phase works round-robin on a fresh pool of
    POOL aggregates of its side, made before anything is timed, so that no side replays longer
    histories for having run earlier or faster (a load replays at most the phase's commands
    over POOL events). The bare library goes first and again at 1 thread last, so drift shows."""
    app = Polarity(database)
    bare = bare_application(database)
    try:
        ctx = Context(Actor("bench", REVIEWER_ROLES))

        def initiatives() -> list[UUID]:
            propose = ProposeInitiative
            return [
                app.handle(ctx, propose(title=f"Bench {i}", problem="b", org_unit="Ops")).id
                for i in range(POOL)
            ]

        bare_pools = {phase: proposals(bare, POOL) for phase in (*BARE_THREADS, "warm", "after")}
        direct_pools = {phase: initiatives() for phase in (*CONCURRENCY, "warm")}
        http_pools = {phase: initiatives() for phase in (*CONCURRENCY, "warm")}
        results: dict[str, Any] = {"bare": {}, "direct": {}, "http": {}}
        for_duration(16, warm_up, load_decide_save(bare, bare_pools["warm"], 16))
        for threads in BARE_THREADS:
            change = load_decide_save(bare, bare_pools[threads], threads)
            results["bare"][threads] = for_duration(threads, seconds, change).summary()
            print(
                f"bare, {threads} threads: {results['bare'][threads]['ops_per_s']}/s",
                file=sys.stderr,
            )

        def review(pool: list[UUID], threads: int) -> Callable[[int, int], None]:
            def call(thread: int, k: int) -> None:
                review = ReviewInitiative(
                    pool[(thread + k * threads) % POOL],
                    period=REVIEW_INPUT["period"],
                    status=ReviewStatus.GREEN,
                    summary=REVIEW_INPUT["summary"],
                    reason=REVIEW_INPUT["reason"],
                )
                app.handle(ctx, review)

            return call

        for_duration(16, warm_up, review(direct_pools["warm"], 16))
        for threads in CONCURRENCY:
            call = review(direct_pools[threads], threads)
            results["direct"][threads] = for_duration(threads, seconds, call).summary()
        caught_up = Projector(app, database, all_projections())
        caught_up.setup()
        caught_up.catch_up()  # the service starts with nothing to project but what it writes
        head = app.store.max_notification_id() or 0
        token = create_token(Settings(jwt_secret=SECRET), "bench", REVIEWER_ROLES)
        with tempfile.TemporaryFile() as log, served(database, log=log) as base:
            wait_verified(base, head)
            wrk.run(base, review_load(http_pools["warm"], 16, token), 16, warm_up)
            for connections in CONCURRENCY:
                load = review_load(http_pools[connections], connections, token)
                results["http"][connections] = wrk.run(base, load, connections, seconds)
                print(
                    f"http, {connections}: {results['http'][connections]['req_per_s']}/s",
                    file=sys.stderr,
                )
            logged = errors_logged(log)
        change = load_decide_save(bare, bare_pools["after"], 1)
        results["bare_after"] = for_duration(1, seconds, change).summary()
    finally:
        app.close()
        bare.close()
    ratios = bare_ratios(results)
    return {**results, "ratios": ratios, "log": logged, "pool": POOL, "workers": default_workers()}


def bare_ratios(results: dict[str, Any]) -> dict[str, Any]:
    """Polarity's rate over the bare library's: at 1 client against 1 thread (the mean of the
    runs before and after), at 16 against the library's best rate from 2 to 16 threads."""
    one = (results["bare"][1]["ops_per_s"] + results["bare_after"]["ops_per_s"]) / 2
    several = [t for t in results["bare"] if t > 1]  # the "best multi-thread rate"
    best_threads = max(several, key=lambda t: results["bare"][t]["ops_per_s"])
    best = results["bare"][best_threads]["ops_per_s"]
    http, direct = results["http"], results["direct"]
    return {
        "bare_1_thread": round(one, 1),
        "bare_best": best,
        "bare_best_threads": best_threads,
        "http_1_to_bare_1": round(http[1]["req_per_s"] / one, 3),
        "http_16_to_bare_best": round(http[16]["req_per_s"] / best, 3),
        "direct_1_to_bare_1": round(direct[1]["ops_per_s"] / one, 3),
        "direct_16_to_bare_best": round(direct[16]["ops_per_s"] / best, 3),
    }


def bare_table(found: dict[str, Any]) -> str:
    r = found["ratios"]
    lines = ["initiativeReview       clients  ops/s   p50 ms   p99 ms  vs bare         goal"]

    def line(
        label: str, clients: int, x: dict[str, Any], ratio: float | None, goal: float | None
    ) -> None:
        rate = x.get("req_per_s", x.get("ops_per_s"))
        shown = f"{ratio:.2f}x" if ratio is not None else ""
        met = (
            ""
            if goal is None or ratio is None
            else ("met" if ratio >= goal else f"MISSED (>= {goal})")
        )
        timings = f"{rate:>6.0f} {x['p50_ms']:>8.2f} {x['p99_ms']:>8.2f}"
        errors = f"  errors {x['errors']}" if x.get("errors") else ""
        lines.append(f"{label:<22} {clients:>7} {timings}  {shown:>7}  {met}{errors}")

    line("over HTTP", 1, found["http"][1], r["http_1_to_bare_1"], GOAL_ONE)
    line("direct (in-process)", 1, found["direct"][1], r["direct_1_to_bare_1"], None)
    line("bare library", 1, found["bare"][1], None, None)
    line("bare library, after", 1, found["bare_after"], None, None)
    line("over HTTP", 16, found["http"][16], r["http_16_to_bare_best"], GOAL_MANY)
    line("direct (in-process)", 16, found["direct"][16], r["direct_16_to_bare_best"], None)
    for threads, x in found["bare"].items():
        if threads > 1:
            best = " (best)" if threads == r["bare_best_threads"] else ""
            line(f"bare library{best}", threads, x, None, None)
    lines.append(
        f"(1 client against the bare library at 1 thread, the mean of before and after: "
        f"{r['bare_1_thread']:.0f}/s; 16 clients against its best: {r['bare_best']:.0f}/s "
        f"at {r['bare_best_threads']} threads; over HTTP: `polarity serve` with its default "
        f"{found['workers']} worker(s))"
    )
    return "\n".join(lines)


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
    parser.add_argument("--seconds", type=float, default=SECONDS, help="each run against bare")
    parser.add_argument("--warm-up", type=float, default=WARM_UP_SECONDS, help="seconds")
    parser.add_argument("--quick", action="store_true", help="200 requests, 3 s runs")
    parser.add_argument(
        "--only-against-bare",
        action="store_true",
        help="skip the httpx rows: only the mutation against the bare library",
    )
    args = parser.parse_args(argv)
    n = 200 if args.quick else args.n
    seconds, warm_up = (3.0, 1.0) if args.quick else (args.seconds, args.warm_up)
    started = datetime.now(UTC)
    with chosen_server() as server, fresh_database(server.database) as database:
        rows = [] if args.only_against_bare else measure(database, n)
        against = against_bare(database, seconds, warm_up) if wrk.available() else None
        version = server_version(database)
    document = {
        "benchmark": "api",
        "started_at": started.isoformat(timespec="seconds"),
        "machine": machine(server.kind, version),
        "load_average": os.getloadavg(),
        "n": n,
        "results": rows,
        "mutation_against_bare": against,
        "against_bare_plan": {
            "seconds": seconds,
            "warm_up_seconds": warm_up,
            "bare_threads": BARE_THREADS,
            "pools": f"a fresh pool of {POOL} aggregates a phase, on each side",
            "wrk": wrk.version(),
        },
    }
    if rows:
        print(table(rows), end="\n\n")
    print(bare_table(against) if against else wrk.MISSING)
    print(f"\nwritten to {write(document)}")


if __name__ == "__main__":
    main()
