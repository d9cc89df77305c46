"""`python -m benchmarks.reads`: pages users wait for, beside a minimal endpoint and PostGraphile.

One run, one fresh database holding the demo and more work items (2,585 portfolio rows by
default), every view caught up. Three servers read the same `reporting` tables, each in its own
processes on loopback with the same number of workers:

- Polarity under uvicorn, asked over GraphQL with a bearer token;
- `benchmarks.minimal`, a hand-written Litestar endpoint running the same SQL statements and
  answering with the same JSON document (checked before measuring);
- PostGraphile 4, installed from the npm registry into a temporary folder when Node is present
  (skipped with a note when it is not), asked for the same rows with their total.

Each is loaded by `wrk` at 1 and 16 connections for a fixed time, for two pages: the first 50
rows of the portfolio (in the portal's order) and of the decision log (newest first), each with
its pageInfo and totalCount. Reported: requests/s, p50 and p99, and Polarity's requests/s as a
ratio of each baseline's."""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from benchmarks import postgraphile, wrk
from benchmarks.api import SECRET, errors_logged, serving, uvicorn, wait_verified
from benchmarks.portal import prepare
from benchmarks.report import machine, write
from benchmarks.server import chosen_server, fresh_database, server_version
from service.database import Database
from service.settings import Settings
from service.web import create_token

WORK_ITEMS = 2585  # portfolio rows, as measured in issue 18
DEMO_WORK_ITEMS = 62  # the demo's own initiatives and improvement items
CONNECTIONS = (1, 16)
SECONDS = 10
WARM_UP_SECONDS = 3
READER = "bench-reader"
READER_ROLES = ("steward",)  # reads every page; not audited (an auditor's reads are logged)
SERVERS = ("polarity", "minimal", "postgraphile")
GOALS = {"minimal": 0.5, "postgraphile": 1.0}  # Polarity's req/s at least this share (issue 18)

# The queries, in one place: Polarity's GraphQL (the fields the portal's pages show, less the
# filters' choices and each decision's work item, which the peer cannot join), and the peer's
# query for the same rows. benchmarks/minimal.py answers Polarity's queries field for field.
PAGE_INFO = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"
PORTFOLIO = f"""query Portfolio($order: PortfolioOrder, $first: Int!) {{
  portfolio(orderBy: $order, first: $first) {{
    totalCount
    {PAGE_INFO}
    edges {{ node {{ id kind path title stage orgUnit owner sponsor objectiveIds reviewOverdue
      nextReviewDue }} }} }}
}}"""
PORTFOLIO_VARIABLES = {"order": {"field": "TITLE", "direction": "ASC"}, "first": 50}
DECISIONS = f"""query Decisions($first: Int!, $newest: Boolean!) {{
  decisionLog(first: $first, newestFirst: $newest) {{
    totalCount
    {PAGE_INFO}
    edges {{ node {{ position subjectId subjectKind decisionType eventType actorId actorRoles
      onBehalfOf reason recordedAt overridden summary }} }} }}
}}"""
DECISIONS_VARIABLES = {"first": 50, "newest": True}
PEER_PORTFOLIO = f"""{{ allPortfolios(first: 50, orderBy: [TITLE_ASC, ID_ASC]) {{
  totalCount
  {PAGE_INFO}
  edges {{ node {{ id kind path title stage orgUnit owner sponsor objectiveIds nextReviewDue }} }}
}} }}"""
PEER_DECISIONS = f"""{{ allDecisionLogs(first: 50, orderBy: POSITION_DESC) {{
  totalCount
  {PAGE_INFO}
  edges {{ node {{ position aggregateId aggregateKind decisionType eventType actorId actorRoles
    onBehalfOf reason recordedAt overridden summary }} }}
}} }}"""


@dataclass(frozen=True)
class Page:
    """One page as each server is asked for it, and how to tell which rows an answer holds."""

    name: str
    query: str
    variables: dict[str, Any]
    field: str  # Polarity's (and the minimal endpoint's) top-level field
    minimal_path: str
    peer_query: str
    peer_field: str
    key: str  # the node field naming a row: Polarity's and the peer's

    def rows(self, answer: dict[str, Any], field: str) -> list[str]:
        """The rows an answer holds, in order, by the peer's key (a global id decoded)."""
        edges = answer["data"][field]["edges"]
        keys = [str(edge["node"][self.key]) for edge in edges]
        if field == self.field and self.key == "id":
            keys = [base64.b64decode(k).decode().partition(":")[2] for k in keys]
        return keys


PAGES = (
    Page(
        "portfolio",
        PORTFOLIO,
        PORTFOLIO_VARIABLES,
        "portfolio",
        "/portfolio",
        PEER_PORTFOLIO,
        "allPortfolios",
        "id",
    ),
    Page(
        "decision_log",
        DECISIONS,
        DECISIONS_VARIABLES,
        "decisionLog",
        "/decisions",
        PEER_DECISIONS,
        "allDecisionLogs",
        "position",
    ),
)


@dataclass(frozen=True)
class Server:
    name: str
    base: str
    headers: dict[str, str]

    def load(self, page: Page) -> wrk.Load:
        if self.name == "minimal":
            return wrk.Load(page.minimal_path, headers=self.headers)
        query = {"query": page.query, "variables": page.variables}
        if self.name == "postgraphile":
            query = {"query": page.peer_query}
        body = json.dumps(query, separators=(",", ":"))
        return wrk.Load(
            "/graphql", "POST", body, {"Content-Type": "application/json", **self.headers}
        )

    def answer(self, page: Page) -> dict[str, Any]:
        load = self.load(page)
        answer = httpx.request(
            load.method, self.base + load.path, content=load.body, headers=load.headers, timeout=60
        )
        answer.raise_for_status()
        document: dict[str, Any] = answer.json()
        if document.get("errors"):
            raise RuntimeError(f"{self.name} refused the {page.name} query: {document['errors']}")
        return document


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.reads", description=__doc__)
    parser.add_argument("--work-items", type=int, default=WORK_ITEMS, help="portfolio rows")
    parser.add_argument("--seconds", type=float, default=SECONDS, help="each wrk run")
    parser.add_argument("--warm-up", type=float, default=WARM_UP_SECONDS, help="seconds")
    parser.add_argument("--workers", type=int, default=1, help="processes of each server")
    parser.add_argument("--quick", action="store_true", help="500 work items, 3 s runs")
    args = parser.parse_args(argv)
    if args.quick:
        args.work_items, args.seconds, args.warm_up = 500, 3, 1
    if args.work_items < DEMO_WORK_ITEMS or args.seconds < 1 or args.workers < 1:
        parser.error(f"--work-items at least {DEMO_WORK_ITEMS}, --seconds and --workers >= 1")
    return args


@contextmanager
def servers(
    database: Database, workers: int, head: int
) -> Iterator[tuple[list[Server], dict[str, Any]]]:
    """Polarity, the minimal endpoint and (Node permitting) PostGraphile, serving together."""
    token = create_token(Settings(jwt_secret=SECRET), READER, READER_ROLES)
    about: dict[str, Any] = {
        "workers": workers,
        "wrk": wrk.version(),
        # Polarity's response cache, as its environment sets it (POLARITY_RESPONSE_CACHE_MB=0: off)
        "response_cache_mb": int(os.environ.get("POLARITY_RESPONSE_CACHE_MB") or 32),
    }
    with ExitStack() as stack:
        log = stack.enter_context(tempfile.TemporaryFile())
        polarity = stack.enter_context(serving(database, workers=workers, log=log))
        wait_verified(polarity, head)  # the verifier's first pass is not measured
        env = {**os.environ, "BENCH_MINIMAL_DATABASE_URL": database.conninfo}
        minimal = stack.enter_context(
            uvicorn("benchmarks.minimal:app_from_env", env, None, workers, "/portfolio")
        )
        found = [
            Server("polarity", polarity, {"Authorization": f"Bearer {token}"}),
            Server("minimal", minimal, {}),
        ]
        if why := postgraphile.missing():
            about["postgraphile"] = why
            print(f"note: {why}", file=sys.stderr)
        else:
            cli, version = stack.enter_context(postgraphile.installed())
            about["postgraphile"] = version
            peer = stack.enter_context(postgraphile.serving(cli, database, workers))
            found.append(Server("postgraphile", peer, {}))
        yield found, about
        about["polarity_log"] = errors_logged(log)


def check(servers: list[Server]) -> dict[str, Any]:
    """Before measuring: every server answers each page, the minimal endpoint with Polarity's
    very document, the peer with the same rows in the same order and the same total."""
    checked: dict[str, Any] = {}
    for page in PAGES:
        answers = {server.name: server.answer(page) for server in servers}
        ours = answers["polarity"]
        total = ours["data"][page.field]["totalCount"]
        rows = page.rows(ours, page.field)
        found: dict[str, Any] = {"rows": len(rows), "total": total}
        if answers["minimal"] != ours:
            found["minimal"] = (
                f"differs from Polarity's answer: {first_difference(answers['minimal'], ours)}"
            )
        else:
            found["minimal"] = "same document"
        if "postgraphile" in answers:
            peer = answers["postgraphile"]
            same = page.rows(peer, page.peer_field) == rows
            same_total = peer["data"][page.peer_field]["totalCount"] == total
            found["postgraphile"] = (
                "same rows and total" if same and same_total else "DIFFERENT rows or total"
            )
        for name in ("minimal", "postgraphile"):
            if name in found and not found[name].startswith("same"):
                print(f"warning: {page.name}: {name} {found[name]}", file=sys.stderr)
        checked[page.name] = found
    return checked


def first_difference(a: Any, b: Any, at: str = "") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                return first_difference(a.get(key), b.get(key), f"{at}.{key}")
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return first_difference(x, y, f"{at}[{i}]")
    return f"at {at or 'the top'}: {a!r:.80} against Polarity's {b!r:.80}"


def measure(servers: list[Server], seconds: float, warm_up: float) -> list[dict[str, Any]]:
    """Each page at each number of connections on every server, one after another, the first
    mover rotating so that drift on the machine falls on all of them alike."""
    rows = []
    turn = 0
    for page in PAGES:
        for server in servers:
            wrk.run(server.base, server.load(page), max(CONNECTIONS), warm_up)
        for connections in CONNECTIONS:
            results: dict[str, Any] = {}
            for server in servers[turn:] + servers[:turn]:
                results[server.name] = wrk.run(server.base, server.load(page), connections, seconds)
                rate = results[server.name]["req_per_s"]
                print(f"{page.name}, {connections}, {server.name}: {rate} req/s", file=sys.stderr)
            turn = (turn + 1) % len(servers)
            rows.append(
                {
                    "page": page.name,
                    "connections": connections,
                    "results": results,
                    "ratios": ratios(results),
                }
            )
    return rows


def ratios(results: dict[str, Any]) -> dict[str, float]:
    ours = results["polarity"]["req_per_s"]
    return {
        f"polarity_to_{name}": round(ours / r["req_per_s"], 3)
        for name, r in results.items()
        if name != "polarity"
    }


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["page          clients  server          req/s   p50 ms   p99 ms  polarity/this  goal"]
    for row in rows:
        for name in SERVERS:
            if name not in row["results"]:
                continue
            r = row["results"][name]
            ratio = row["ratios"].get(f"polarity_to_{name}")
            shown = "" if ratio is None else f"{ratio:.2f}x"
            goal = (
                ""
                if ratio is None
                else ("met" if ratio >= GOALS[name] else f"MISSED (>= {GOALS[name]})")
            )
            errors = f"  errors {r['errors']}" if r["errors"] else ""
            lines.append(
                f"{row['page']:<13} {row['connections']:>7}  {name:<13} {r['req_per_s']:>7.0f} "
                f"{r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f}  {shown:>13}  {goal}{errors}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    if not wrk.available():
        print(wrk.MISSING)
        return
    started = datetime.now(UTC)
    with chosen_server() as server, fresh_database(server.database) as database:
        print(f"{server.kind} server; {args.work_items} work items", file=sys.stderr)
        data = prepare(database, args.work_items - DEMO_WORK_ITEMS)
        with servers(database, args.workers, data["head"]) as (running, about):
            checked = check(running)
            rows = measure(running, args.seconds, args.warm_up)
        version = server_version(database)
    document = {
        "benchmark": "reads",
        "started_at": started.isoformat(timespec="seconds"),
        "machine": machine(server.kind, version),
        "load_average": os.getloadavg(),
        "plan": {
            "work_items": args.work_items,
            "seconds": args.seconds,
            "warm_up_seconds": args.warm_up,
            "connections": CONNECTIONS,
            "reader_roles": READER_ROLES,
            **about,
        },
        "queries": {
            page.name: {
                "polarity": page.query,
                "variables": page.variables,
                "postgraphile": page.peer_query,
            }
            for page in PAGES
        },
        "data": data,
        "checks": checked,
        "goals": GOALS,
        "results": rows,
    }
    print(table(rows))
    if isinstance(about.get("postgraphile"), str) and "skipped" in about["postgraphile"]:
        print(f"note: {about['postgraphile']}")
    logged = about["polarity_log"]
    if logged["other"]:
        print(f"note: Polarity logged {logged['other']} errors: {logged['first_other']}")
    print(f"\nwritten to {write(document)}")


if __name__ == "__main__":
    main()
