"""`python -m benchmarks.history`: paging the history of a long-lived aggregate, beside loading it.

One run, one fresh database: an initiative with 10,000 events (proposed, then reviewed 9,999
times) and one with 10, recorded fast (`benchmarks.portal_data.SavedInBatches`: the commands'
own handlers in memory, saved in batches with their aggregates, so snapshots lie where the
service would have taken them), every view caught up. The service runs under uvicorn on
loopback; one client asks, one request at a time, in interleaved rounds:

- `history` as the portal's timeline asks for it (100 events a page, with what each changed):
  the first page, and a page deep in (after version 5,000) of the long one; the first of the short;
- `initiative(id)` of each as it is now, at a past version (5,000 of the long, 5 of the short),
  and as of the moment that version was made (`asOf`, which first finds the version).

Reported: p50 and p90 of each; the long one's figures as a ratio of the short one's (loading a
10,000-event aggregate by id or at a past version should cost at most 2x a 10-event one), and
the history page against its goal (under 20 ms at the median)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx

from benchmarks.api import SECRET, global_id, serving, wait_verified
from benchmarks.portal_data import SavedInBatches
from benchmarks.projections import settle
from benchmarks.report import machine, write
from benchmarks.server import chosen_server, fresh_database, server_version
from benchmarks.timing import interleaved, warm_up
from domain.commands import ProposeInitiative, ReviewInitiative
from domain.values import Actor, ReviewStatus
from portal.pages.work_item import HISTORY
from projections.catalog import all_projections
from schema.paging import encode_cursor
from service.application import Polarity
from service.database import Database
from service.projector import Projector
from service.settings import Settings
from service.unit_of_work import Context
from service.web import create_token

LONG, SHORT = 10_000, 10  # events of each initiative
PAGE = 100
ROLES = ("steward",)
GOAL_PAGE_MS = 20.0  # issue 18: a 100-event page of a 10,000-event aggregate, at the median
GOAL_LOAD_RATIO = 2.0  # loading the long one by id or at a version, against the short one
ITEM = """query Item($id: ID!, $version: Int, $asOf: DateTime) {
  initiative(id: $id, version: $version, asOf: $asOf) {
    id version title stage sponsor lastReview modifiedAt }
}"""


def record(app: Polarity, events: int, title: str) -> UUID:
    """An initiative proposed, then reviewed until it holds `events` events."""
    memory = SavedInBatches(app, batch=2000)
    ctx = Context(Actor("bench", ROLES))
    proposed = ProposeInitiative(title=title, problem="A long-lived initiative.", org_unit="Ops")
    initiative = memory.handle(ctx, proposed).id
    for week in range(events - 1):
        status = ReviewStatus.AMBER if week % 5 == 4 else ReviewStatus.GREEN
        review = ReviewInitiative(
            initiative, period=f"week {week + 1}", status=status, summary="on plan", reason="huddle"
        )
        memory.handle(ctx, review)
    memory.save()
    return initiative


def prepare(database: Database, long: int) -> tuple[dict[str, UUID], dict[str, str], int]:
    """The two initiatives, the moment each was at its middle version, the store's head."""
    app = Polarity(database)
    try:
        made = {"long": record(app, long, "Long-lived"), "short": record(app, SHORT, "Short")}
        middle = {"long": long // 2, "short": SHORT // 2}
        moments = {name: made_at(app, made[name], middle[name]) for name in made}
        projector = Projector(app, database, all_projections())
        projector.setup()
        projector.catch_up()
        head = app.store.max_notification_id() or 0
    finally:
        app.close()
    settle(database)
    return made, moments, head


def made_at(app: Polarity, aggregate: UUID, version: int) -> str:
    (event,) = app.events.get(aggregate, gt=version - 1, lte=version)
    return event.timestamp.isoformat()  # type: ignore[attr-defined, no-any-return]


def requests(
    made: dict[str, UUID], moments: dict[str, str], long: int
) -> dict[str, tuple[str, dict[str, Any]]]:
    """Each measured request: its query and variables."""
    ids = {name: global_id("Initiative", aggregate) for name, aggregate in made.items()}
    deep = long // 2
    return {
        "history_first_page_long": (HISTORY, {"id": ids["long"], "first": PAGE}),
        "history_deep_page_long": (
            HISTORY,
            {"id": ids["long"], "first": PAGE, "after": encode_cursor(deep, "version")},
        ),
        "history_first_page_short": (HISTORY, {"id": ids["short"], "first": PAGE}),
        "initiative_now_long": (ITEM, {"id": ids["long"]}),
        "initiative_now_short": (ITEM, {"id": ids["short"]}),
        "initiative_at_version_long": (ITEM, {"id": ids["long"], "version": deep}),
        "initiative_at_version_short": (ITEM, {"id": ids["short"], "version": SHORT // 2}),
        "initiative_as_of_long": (ITEM, {"id": ids["long"], "asOf": moments["long"]}),
        "initiative_as_of_short": (ITEM, {"id": ids["short"], "asOf": moments["short"]}),
    }


def measure(
    base: str, asked: dict[str, tuple[str, dict[str, Any]]], n: int, rounds: int
) -> dict[str, Any]:
    token = create_token(Settings(jwt_secret=SECRET), "bench", ROLES)
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=120) as http:

        def asking(query: str, variables: dict[str, Any]) -> Callable[[int], None]:
            body = {"query": query, "variables": variables}

            def ask(_: int) -> None:
                answer = http.post("/graphql", json=body)
                if answer.status_code != 200 or "errors" in answer.json():
                    raise RuntimeError(f"refused: {answer.text[:500]}")

            return ask

        operations = [asking(query, variables) for query, variables in asked.values()]
        for name, (query, variables) in asked.items():  # what each answers, once
            data = http.post("/graphql", json={"query": query, "variables": variables}).json()
            print(f"{name}: {describe(data)}", file=sys.stderr)
        warm_up(operations, max(2, n // 10))
        samples = interleaved(operations, n, rounds)
    return {name: s.summary() for name, s in zip(asked, samples, strict=True)}


def describe(data: dict[str, Any]) -> str:
    found = data.get("data") or {}
    if history := found.get("history"):
        versions = [edge["node"]["version"] for edge in history["edges"]]
        shown = f"versions {versions[0]}-{versions[-1]}" if versions else "none"
        return f"{len(versions)} events of {history['totalCount']} ({shown})"
    if item := found.get("initiative"):
        return f"version {item['version']}"
    return str(data)[:300]


def ratios(results: dict[str, Any]) -> dict[str, float]:
    def p50(name: str) -> float:
        return float(results[name]["p50_ms"])

    return {
        "history_first_page_long_to_short": round(
            p50("history_first_page_long") / p50("history_first_page_short"), 3
        ),
        "history_deep_page_long_to_short": round(
            p50("history_deep_page_long") / p50("history_first_page_short"), 3
        ),
        "initiative_now_long_to_short": round(
            p50("initiative_now_long") / p50("initiative_now_short"), 3
        ),
        "initiative_at_version_long_to_short": round(
            p50("initiative_at_version_long") / p50("initiative_at_version_short"), 3
        ),
        "initiative_as_of_long_to_short": round(
            p50("initiative_as_of_long") / p50("initiative_as_of_short"), 3
        ),
    }


RATIO_OF = {
    "history_first_page_long": "history_first_page_long_to_short",
    "history_deep_page_long": "history_deep_page_long_to_short",
    "initiative_now_long": "initiative_now_long_to_short",
    "initiative_at_version_long": "initiative_at_version_long_to_short",
    "initiative_as_of_long": "initiative_as_of_long_to_short",
}


def goal(name: str, p50: float, ratio: float | None) -> str:
    """The long one's history pages against their time, its loads against the short one's."""
    if name.startswith("history_") and name.endswith("_long"):
        return "met" if p50 < GOAL_PAGE_MS else f"MISSED (< {GOAL_PAGE_MS:.0f} ms)"
    if name.startswith("initiative_") and ratio is not None:
        return "met" if ratio <= GOAL_LOAD_RATIO else f"MISSED (<= {GOAL_LOAD_RATIO:.0f}x)"
    return ""


def table(results: dict[str, Any], found: dict[str, float], long: int) -> str:
    lines = [f"request ({long:,} / {SHORT} events)      p50 ms   p90 ms   long/short  goal"]
    for name, r in results.items():
        ratio = found.get(RATIO_OF.get(name, ""))
        shown = f"{ratio:.2f}x" if ratio is not None else ""
        lines.append(
            f"{name:<34} {r['p50_ms']:>8.2f} {r['p90_ms']:>8.2f} {shown:>12}  "
            f"{goal(name, r['p50_ms'], ratio)}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.history", description=__doc__)
    parser.add_argument("--n", type=int, default=100, help="requests of each kind")
    parser.add_argument("--rounds", type=int, default=10, help="blocks the requests rotate in")
    parser.add_argument("--events", type=int, default=LONG, help="events of the long one")
    parser.add_argument("--quick", action="store_true", help="n=20")
    args = parser.parse_args(argv)
    n = 20 if args.quick else args.n
    if n < 2 or not 1 <= args.rounds <= n or args.events < 2 * PAGE:
        parser.error(f"--n at least 2, --rounds within 1..n, --events at least {2 * PAGE}")
    started = datetime.now(UTC)
    with chosen_server() as server, fresh_database(server.database) as database:
        print(f"{server.kind} server; {args.events} and {SHORT} events; n={n}", file=sys.stderr)
        made, moments, head = prepare(database, args.events)
        with serving(database) as base:
            wait_verified(base, head)
            results = measure(base, requests(made, moments, args.events), n, args.rounds)
        version = server_version(database)
    found = ratios(results)
    document = {
        "benchmark": "history",
        "started_at": started.isoformat(timespec="seconds"),
        "machine": machine(server.kind, version),
        "load_average": os.getloadavg(),
        "plan": {"n": n, "rounds": args.rounds, "long": args.events, "short": SHORT},
        "queries": {"history": HISTORY, "initiative": ITEM, "page": PAGE},
        "goals": {"history_page_p50_ms": GOAL_PAGE_MS, "load_long_to_short": GOAL_LOAD_RATIO},
        "results": results,
        "ratios": found,
    }
    print(table(results, found, args.events))
    print(f"\nwritten to {write(document)}")


if __name__ == "__main__":
    main()
