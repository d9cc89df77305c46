"""`python -m benchmarks.observability`: what operating the service costs, on the demo's data.

Two services under uvicorn on loopback, on one database holding the demo: one as shipped (no
POLARITY_OTLP_ENDPOINT: nothing is traced), one tracing every request to a stand-in collector
that this script serves (OTLP/HTTP, batched). Measured:

- a scrape of GET /metrics: the work the service does for one (`service.probes.exposition`:
  the views' lag read, the pools' gauges, the text), timed in the service's own process, cold
  (the lag read again, as for a Prometheus scraping every 15 s) and warm (the lag read kept);
  and over HTTP, cold (each more than a second after the last) and warm;
- a GraphQL read and GET /health on each service, in interleaved rounds: what tracing adds to a
  request, and that without an endpoint there is nothing to add."""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from litestar.testing import TestClient

from benchmarks.api import SECRET, uvicorn
from benchmarks.report import machine, write
from benchmarks.server import chosen_server, fresh_database, server_version
from benchmarks.timing import Samples
from service import probes
from service.application import Polarity
from service.database import Database
from service.demo import load_demo
from service.settings import Settings
from service.startup import prepare
from service.web import create_app, create_token

READ = "query Read { portfolio(first: 20) { edges { node { id title } } } }"


class _Collector(BaseHTTPRequestHandler):
    """Accepts OTLP exports and drops them."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def collector() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@contextmanager
def served(database: Database, **more: str) -> Iterator[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLARITY_")}
    env |= {
        "POLARITY_DATABASE_URL": database.url,
        "POLARITY_JWT_SECRET": SECRET,
        "POLARITY_LOG_LEVEL": "WARNING",
        "POLARITY_RATE_LIMIT": "off",
        "POLARITY_RATE_LIMIT_ADDRESS": "off",
        **more,
    }
    with uvicorn("service.web:app_from_env", env, None, 1, "/ready") as base:
        yield base


def timed(http: httpx.Client, method: str, path: str, into: Samples, **kwargs: Any) -> None:
    started = time.perf_counter()
    response = http.request(method, path, **kwargs)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text
    into.latencies.append(elapsed)
    into.wall += elapsed


def scrapes(base: str, cold: int, warm: int) -> dict[str, Any]:
    samples = {"cold": Samples(), "warm": Samples()}
    with httpx.Client(base_url=base) as http:
        http.get("/metrics")
        for _ in range(cold):
            time.sleep(1.05)  # the lag read is kept for a second
            timed(http, "GET", "/metrics", samples["cold"])
        for _ in range(warm):
            timed(http, "GET", "/metrics", samples["warm"])
        size = len(http.get("/metrics").content)
    return {"bytes": size, **{name: s.summary() for name, s in samples.items()}}


def scrape_work(database: Database, cold: int, warm: int) -> dict[str, Any]:
    """`service.probes.exposition` timed in the app's own event loop, after a mix of requests
    has made the series a running service has."""
    settings = Settings(jwt_secret=SECRET, rate_limit=None, rate_limit_address=None)
    settings = replace(settings, verify_seconds=10, log_level="WARNING")
    samples = {"cold": Samples(), "warm": Samples()}
    with TestClient(app=create_app(settings, database)) as client:
        headers = {"Authorization": f"Bearer {token()}"}
        for _ in range(20):
            client.get("/health")
            client.get("/no/such/page")
            client.post("/graphql", json={"query": READ}, headers=headers)
            client.post("/graphql", json={"query": "{ viewer { id } }"}, headers=headers)
        state = client.app.state

        async def measure() -> None:
            for kind, count in (("cold", cold), ("warm", warm)):
                state.lags.max_age = 0.0 if kind == "cold" else 3600.0
                for _ in range(count):
                    started = time.perf_counter()
                    await probes.exposition(state)
                    elapsed = time.perf_counter() - started
                    samples[kind].latencies.append(elapsed)
                    samples[kind].wall += elapsed

        with client.portal() as portal:
            portal.call(measure)
    return {name: s.summary() for name, s in samples.items()}


def requests(bases: dict[str, str], n: int, rounds: int) -> dict[str, Any]:
    """A GraphQL read and GET /health on each service, in rounds, the first mover alternating."""
    headers = {"Authorization": f"Bearer {token()}"}
    clients = {name: httpx.Client(base_url=base, headers=headers) for name, base in bases.items()}
    kinds: dict[str, tuple[str, str, dict[str, Any]]] = {
        "graphql_read": ("POST", "/graphql", {"json": {"query": READ}}),
        "health": ("GET", "/health", {}),
    }
    results: dict[str, dict[str, Samples]] = {k: {b: Samples() for b in bases} for k in kinds}
    try:
        for kind, (method, path, body) in kinds.items():
            for http in clients.values():
                for _ in range(max(20, n // 10)):  # warm-up
                    http.request(method, path, **body)
            names = list(clients)
            for r in range(rounds):
                for name in names[r % 2 :] + names[: r % 2]:
                    for _ in range(n // rounds):
                        timed(clients[name], method, path, results[kind][name], **body)
    finally:
        for http in clients.values():
            http.close()
    summary: dict[str, Any] = {}
    for kind, by_service in results.items():
        untraced, traced = (by_service[name].summary() for name in ("untraced", "traced"))
        summary[kind] = {
            "untraced": untraced,
            "traced": traced,
            "traced_mean_cost": round(traced["mean_ms"] / untraced["mean_ms"] - 1, 4),
            "traced_p50_cost": round(traced["p50_ms"] / untraced["p50_ms"] - 1, 4),
        }
    return summary


def token() -> str:
    return create_token(Settings(jwt_secret=SECRET), "bench-steward", ["steward"])


def load(database: Database) -> int:
    prepare(database)
    app = Polarity(database, create_tables=False)
    try:
        load_demo(app)
        return app.recorder.max_notification_id() or 0
    finally:
        app.close()


def caught_up(base: str) -> None:
    """Wait until the service's runner has applied the demo to every view."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        text = httpx.get(f"{base}/metrics").text
        lags = [line for line in text.splitlines() if line.startswith("polarity_projection_lag_e")]
        if lags and all(line.endswith(" 0.0") for line in lags):
            return
        time.sleep(1)
    raise RuntimeError("the views did not catch up with the demo within 300 s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.observability", description=__doc__)
    parser.add_argument("--n", type=int, default=2000, help="timed requests of each kind")
    parser.add_argument("--quick", action="store_true", help="a few hundred requests")
    parser.add_argument("--rounds", type=int, default=20, help="interleaved blocks")
    args = parser.parse_args(argv)
    n = 300 if args.quick else args.n
    cold, warm = (10, 100) if args.quick else (30, 500)
    work_cold, work_warm = (200, 200) if args.quick else (1000, 1000)
    started = datetime.now(UTC)
    with chosen_server() as server, fresh_database(server.database) as database:
        events = load(database)
        print(f"{server.kind} server; demo of {events} events; n={n}", file=sys.stderr)
        with (
            collector() as endpoint,
            served(database) as untraced,
            served(database, POLARITY_OTLP_ENDPOINT=endpoint) as traced,
        ):
            caught_up(untraced)
            work = scrape_work(database, work_cold, work_warm)
            scrape = scrapes(untraced, cold, warm)
            compared = requests({"untraced": untraced, "traced": traced}, n, args.rounds)
        version = server_version(database)
    print(
        f"a scrape's work in the service: cold {work['cold']['mean_ms']:.2f} ms mean, "
        f"{work['cold']['p50_ms']:.2f} p50, {work['cold']['p99_ms']:.2f} p99; "
        f"warm {work['warm']['mean_ms']:.2f} ms mean, {work['warm']['p50_ms']:.2f} p50"
    )
    print(
        f"GET /metrics over HTTP ({scrape['bytes']} bytes): cold "
        f"{scrape['cold']['mean_ms']:.2f} ms mean, {scrape['cold']['p50_ms']:.2f} p50; "
        f"warm {scrape['warm']['mean_ms']:.2f} ms mean, {scrape['warm']['p50_ms']:.2f} p50"
    )
    for kind, result in compared.items():
        print(
            f"{kind}: untraced {result['untraced']['mean_ms']:.3f} ms mean "
            f"({result['untraced']['p50_ms']:.3f} p50), traced {result['traced']['mean_ms']:.3f} "
            f"ms ({result['traced']['p50_ms']:.3f} p50): tracing costs "
            f"{result['traced_mean_cost']:+.1%} mean, {result['traced_p50_cost']:+.1%} p50"
        )
    document = {
        "benchmark": "observability",
        "started_at": started.isoformat(timespec="seconds"),
        "machine": machine(server.kind, version),
        "plan": {"n": n, "rounds": args.rounds, "cold_scrapes": cold, "warm_scrapes": warm},
        "demo_events": events,
        "scrape_work": work,
        "scrape_http": scrape,
        "requests": compared,
    }
    print(f"\nwritten to {write(document)}")


if __name__ == "__main__":
    main()
