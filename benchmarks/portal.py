"""`python -m benchmarks.portal`: every portal page's server time beside the GraphQL read of the
same figures, on the demo and 10,000 more work items.

One fresh database: the demo and the extra work (benchmarks/portal_data.py), every view caught
up, then the service under uvicorn on loopback (as benchmarks.api starts it). For each page in
portal.pages.PAGES whose module declares a QUERY (see portal/pages/__init__.py), `GET <page>`
with a session cookie and `POST /graphql` of that QUERY with the module's VARIABLES, one after
the other, N times each, in rounds that rotate the pages."""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import import_module
from types import ModuleType
from typing import Any

import httpx

from benchmarks.api import SECRET, serving, wait_verified
from benchmarks.portal_data import demo_and_more
from benchmarks.projections import settle
from benchmarks.report import machine, write
from benchmarks.server import chosen_server, fresh_database, server_version
from portal.pages import PAGES
from portal.session import SESSION_COOKIE
from projections.catalog import all_projections
from service.application import Polarity
from service.database import Database
from service.projector import Projector
from service.settings import Settings
from service.web import create_token

GOAL_RATIO = 1.5  # a page takes at most 1.5 times its query
GOAL_MEDIAN_MS = 150.0
READER, ROLES = "bench.admin", ("admin",)  # admins may read every page
CSRF_INPUT = re.compile(r'name="_csrf_token" value="([^"]+)"')
Read = Callable[..., dict[str, Any]]


@dataclass(frozen=True)
class Target:
    """One page, and the read of the same figures over the API."""

    name: str
    path: str
    query: str
    variables: dict[str, Any]


@dataclass
class Timings:
    seconds: list[float] = field(default_factory=list)
    size: int = 0  # bytes of the last response

    def summary(self) -> dict[str, float]:
        ordered = sorted(self.seconds)
        cuts = statistics.quantiles(ordered, n=10, method="inclusive")
        return {
            "n": len(ordered),
            "median_ms": round(statistics.median(ordered) * 1000, 2),
            "p90_ms": round(cuts[8] * 1000, 2),
            "mean_ms": round(statistics.fmean(ordered) * 1000, 2),
            "bytes": self.size,
        }


def targets(pages: Sequence[Any], read: Read) -> tuple[list[Target], list[dict[str, str]]]:
    """What to measure of each page module (once, at its first handler's path), by what it
    declares; and the modules that declare too little to be measured, with why."""
    first_paths: dict[ModuleType, str] = {}
    for handler in pages:
        first_paths.setdefault(import_module(handler.fn.__module__), min(handler.paths))
    found, skipped = [], []
    for module, path in first_paths.items():
        name = module.__name__.rpartition(".")[2]
        try:
            found.append(declared(module, name, path, read))
        except (LookupError, RuntimeError) as missing:
            skipped.append({"page": name, "why": str(missing)})
    return found, skipped


def declared(module: ModuleType, name: str, path: str, read: Read) -> Target:
    """The page at `path` and its module's QUERY, with VARIABLES, or where its path takes
    parameters, the path and variables its example() gives."""
    query = getattr(module, "QUERY", None)
    if query is None:
        raise LookupError(f"{module.__name__} declares no QUERY")
    variables = dict(getattr(module, "VARIABLES", {}))
    if "{" in path:
        example = getattr(module, "example", None)
        if example is None:
            raise LookupError(f"{path} takes parameters and {module.__name__} has no example()")
        path, variables = example(read)
    return Target(name, path, query, variables)


def reader(base: str, token: str) -> Read:
    """read(query, **variables): a query's data over HTTP with a bearer token."""

    def read(query: str, **variables: Any) -> dict[str, Any]:
        response = httpx.post(
            f"{base}/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        body: dict[str, Any] = response.json()
        if response.status_code != 200 or "errors" in body:
            raise RuntimeError(f"the API refused a read: {response.text[:500]}")
        data: dict[str, Any] = body["data"]
        return data

    return read


def signed_in(base: str, token: str) -> httpx.Client:
    """A browser's session: the sign-in form sent with the token, the session cookie kept."""
    http = httpx.Client(base_url=base, timeout=60)
    form = http.get("/sign-in")
    csrf = CSRF_INPUT.search(form.text)
    if csrf is None:
        raise RuntimeError("the sign-in form carries no CSRF token")
    data = {"_csrf_token": csrf.group(1), "token": token, "next": "/"}
    response = http.post("/sign-in", data=data)
    if response.status_code != 303 or SESSION_COOKIE not in http.cookies:
        raise RuntimeError(f"signing in failed: {response.status_code} {response.text[:500]}")
    return http


def timed(send: Callable[[], httpx.Response], into: Timings) -> None:
    started = time.perf_counter()
    response = send()
    into.seconds.append(time.perf_counter() - started)
    into.size = len(response.content)
    if response.status_code != 200:  # a refusal, a redirect to sign-in: not the page
        raise RuntimeError(f"{response.request.url} answered {response.status_code}")
    is_json = response.headers["content-type"].startswith("application/json")
    if is_json and "errors" in response.json():
        raise RuntimeError(f"the query of {response.request.url} failed: {response.text}")


def answering(
    browser: httpx.Client, api: httpx.Client, pages: list[Target], skipped: list[dict[str, str]]
) -> list[Target]:
    """The pages whose page and query both answer as declared; the others join `skipped`
    with what went wrong (a QUERY that needs variables its module does not declare, say)."""
    kept = []
    for target in pages:
        try:
            measure(browser, api, [target], 1, 1)
        except RuntimeError as refused:
            skipped.append({"page": target.name, "why": str(refused)[:500]})
        else:
            kept.append(target)
    return kept


def measure(
    browser: httpx.Client, api: httpx.Client, pages: list[Target], n: int, rounds: int
) -> dict[str, tuple[Timings, Timings]]:
    """N of each page and of its query, in `rounds` blocks; within a block the page and its
    query take turns, and the pages take turns going first from round to round."""
    timings = {target.name: (Timings(), Timings()) for target in pages}
    bounds = [n * r // rounds for r in range(rounds + 1)]
    for r in range(rounds):
        for k in range(len(pages)):
            target = pages[(r + k) % len(pages)]
            page, query = timings[target.name]
            body = {"query": target.query, "variables": target.variables}
            sends = [
                (lambda t=target: browser.get(t.path), page),
                (lambda b=body: api.post("/graphql", json=b), query),
            ]
            for i in range(bounds[r], bounds[r + 1]):
                for send, into in sends[i % 2 :] + sends[: i % 2]:
                    timed(send, into)
    return timings


def results(pages: list[Target], timings: dict[str, tuple[Timings, Timings]]) -> list[Any]:
    rows = []
    for target in pages:
        page, query = (t.summary() for t in timings[target.name])
        ratio = page["median_ms"] / query["median_ms"]
        rows.append(
            {
                "page": target.name,
                "path": target.path,
                "variables": target.variables,
                "page_timings": page,
                "query_timings": query,
                "ratio_median": round(ratio, 2),
                "ratio_p90": round(page["p90_ms"] / query["p90_ms"], 2),
                "goal_met": ratio <= GOAL_RATIO and page["median_ms"] <= GOAL_MEDIAN_MS,
            }
        )
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    header = ("page", "path", "page p50", "page p90", "query p50", "query p90", "page/query")
    lines = ["{:<12} {:<28} {:>9} {:>9} {:>10} {:>10} {:>11}  goal".format(*header)]
    for row in rows:
        page, query = row["page_timings"], row["query_timings"]
        goal = "met" if row["goal_met"] else "MISSED"
        lines.append(
            f"{row['page']:<12} {row['path'][:28]:<28} {page['median_ms']:>9.1f} "
            f"{page['p90_ms']:>9.1f} {query['median_ms']:>10.1f} {query['p90_ms']:>10.1f} "
            f"{row['ratio_median']:>10.2f}x  {goal}"
        )
    lines.append(f"(ms; goal: page/query <= {GOAL_RATIO}x and page p50 <= {GOAL_MEDIAN_MS:.0f} ms)")
    return "\n".join(lines)


def prepare(database: Database, extra: int) -> dict[str, Any]:
    """The demo and `extra` more work items, every view caught up; how long each took."""
    app = Polarity(database)
    try:
        generated = demo_and_more(app, extra)
        print(f"recorded {generated.summary()}", file=sys.stderr)
        projector = Projector(app, database, all_projections())
        projector.setup()
        started = time.perf_counter()
        caught_up = projector.catch_up()
        catch_up_seconds = time.perf_counter() - started
        print(f"views caught up: {caught_up} events in {catch_up_seconds:.1f} s", file=sys.stderr)
        head = app.store.max_notification_id() or 0
    finally:
        app.close()
    settle(database)  # a store that has been serving for a while has been vacuumed and analysed
    return {
        **generated.summary(),
        "head": head,
        "catch_up_events": caught_up,
        "catch_up_seconds": round(catch_up_seconds, 1),
    }


def served(database: Database, head: int, n: int, rounds: int) -> tuple[list[Any], list[Any]]:
    """The service on `database`; each page and its query timed as an admin reads them."""
    token = create_token(Settings(jwt_secret=SECRET), READER, ROLES)
    with serving(database) as base:
        wait_verified(base, head)
        pages, skipped = targets(PAGES, reader(base, token))
        headers = {"Authorization": f"Bearer {token}"}
        with (
            closing(signed_in(base, token)) as browser,
            httpx.Client(base_url=base, headers=headers, timeout=60) as api,
        ):
            pages = answering(browser, api, pages, skipped)
            measure(browser, api, pages, max(n // 10, 2), 1)  # warm-up
            return results(pages, measure(browser, api, pages, n, rounds)), skipped


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.portal", description=__doc__)
    parser.add_argument("--n", type=int, default=200, help="requests of each page and query")
    parser.add_argument("--extra", type=int, default=10_000, help="work items beside the demo")
    parser.add_argument("--rounds", type=int, default=10, help="blocks the pages rotate in")
    parser.add_argument("--quick", action="store_true", help="1,000 more work items, n=50")
    args = parser.parse_args(argv)
    n, extra = (50, 1000) if args.quick else (args.n, args.extra)
    if n < 10 or extra < 0 or not 1 <= args.rounds <= n:
        parser.error("--n must be at least 10, --extra not negative, --rounds within 1..n")
    started = datetime.now(UTC)
    with chosen_server() as server, fresh_database(server.database) as database:
        print(f"{server.kind} server; n={n} extra={extra} rounds={args.rounds}", file=sys.stderr)
        data = prepare(database, extra)
        rows, skipped = served(database, data["head"], n, args.rounds)
        version = server_version(database)
    document = {
        "benchmark": "portal",
        "started_at": started.isoformat(timespec="seconds"),
        "machine": machine(server.kind, version),
        "load_average": os.getloadavg(),
        "plan": {"n": n, "extra_work_items": extra, "rounds": args.rounds, "reader": READER},
        "data": data,
        "goals": {"ratio": GOAL_RATIO, "median_ms": GOAL_MEDIAN_MS},
        "results": rows,
        "skipped": skipped,
    }
    print(table(rows))
    for page in skipped:
        print(f"not measured: {page['page']}: {page['why']}")
    print(f"\nwritten to {write(document)}")


if __name__ == "__main__":
    main()
