"""`python -m benchmarks.exports`: a CSV export as it was (plain COPY) beside a neutralised one."""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime
from typing import Any, LiteralString

import psycopg
from psycopg.rows import dict_row
from psycopg.sql import SQL, Composed, Identifier, Literal

from benchmarks.report import machine, write
from benchmarks.server import chosen_server, fresh_database, server_version
from projections.base import SCHEMA, Tables
from projections.bi import View, create_bi_views
from projections.catalog import all_projections
from service.csv_copy import COLUMN_TYPES, SESSION, safe_csv_copy
from service.database import Database
from service.exports import exportable

VIEWS = ("portfolio", "decision_log")  # the widest in text, and the one with arrays and JSON
FORMULA_EVERY = 20  # one text cell in twenty starts with a formula character

# A value for each row `i` of a column of each type; text starts as a formula now and then.
VALUES = {
    "uuid": "gen_random_uuid()",
    "text": (
        f"CASE WHEN i % {FORMULA_EVERY} = 0 THEN (ARRAY['=', '+', '-', '@'])[i % 4 + 1]"
        " || 'cmd|' || i ELSE 'Cut changeover time on line ' || i END"
    ),
    "numeric": "(i % 2000 - 1000) / 8.0",
    "int4": "i",
    "int8": "i",
    "bool": "i % 2 = 0",
    "date": "date '2027-01-01' + i % 365",
    "timestamptz": "timestamptz '2027-01-01 00:00+00' + i * interval '1 second'",
    "_uuid": "ARRAY[gen_random_uuid()]",
    "_text": "ARRAY['steward', 'auditor']",
    "jsonb": "jsonb_build_object('decision', 'GO', 'gate', 'G' || i % 5)",
}


def copy_as_is(view: View, options: LiteralString) -> Composed:
    """A COPY of the view's columns as they are: the export before neutralising."""
    return SQL("COPY (SELECT {} FROM {}) TO STDOUT WITH ({})").format(
        SQL(", ").join(map(Identifier, view.columns)), view.identifier, SQL(options)
    )


def set_up(database: Database, rows: int) -> None:
    """The views' tables, and `rows` generated rows in each measured one."""
    with psycopg.connect(database.conninfo, row_factory=dict_row) as conn, conn.cursor() as cur:
        cur.execute(SQL("CREATE SCHEMA {}").format(Identifier(SCHEMA)))
        for projection in all_projections():
            projection.create(cur, Tables(projection.tables))
        create_bi_views(cur, all_projections())
        for name in VIEWS:
            table = Identifier(SCHEMA, name)
            types = cur.execute(COLUMN_TYPES, (f"{SCHEMA}.{name}",)).fetchall()
            names = SQL(", ").join(Identifier(t["name"]) for t in types)
            values = SQL(", ").join(SQL(VALUES[t["type"]]) for t in types)
            cur.execute(
                SQL("INSERT INTO {} ({}) SELECT {} FROM generate_series(1, {}) AS i").format(
                    table, names, values, Literal(rows)
                )
            )
    with psycopg.connect(database.conninfo, autocommit=True) as vacuum:
        vacuum.execute("VACUUM (ANALYZE)")


def timed_copy(database: Database, query: Composed) -> tuple[float, int]:
    """Seconds to read everything `query` writes, as the service reads it, and its bytes."""
    with psycopg.connect(database.conninfo) as conn, conn.cursor() as cur:
        for statement in SESSION:
            cur.execute(statement)
        started, size = time.perf_counter(), 0
        with cur.copy(query) as copy:
            for block in copy:
                size += len(block)
        return time.perf_counter() - started, size


def measure(database: Database, view: View, repeats: int) -> dict[str, Any]:
    with psycopg.connect(database.conninfo, row_factory=dict_row) as conn:
        columns = conn.execute(COLUMN_TYPES, (view.qualified,)).fetchall()
    queries = {
        "plain": copy_as_is(view, "FORMAT csv, HEADER"),
        "quoted": copy_as_is(view, "FORMAT csv, HEADER, FORCE_QUOTE *"),  # what quoting costs
        "neutralised": safe_csv_copy(view, columns),
    }
    times: dict[str, list[float]] = {name: [] for name in queries}
    sizes: dict[str, int] = {}
    timed_copy(database, queries["plain"])  # warm the cache
    for r in range(repeats):
        for name in list(queries)[r % 3 :] + list(queries)[: r % 3]:  # rotate who goes first
            seconds, sizes[name] = timed_copy(database, queries[name])
            times[name].append(seconds)
    return {
        name: {
            "median_s": round(statistics.median(times[name]), 3),
            "min_s": round(min(times[name]), 3),
            "megabytes": round(sizes[name] / 1e6, 1),
        }
        for name in queries
    }


def table(rows: int, results: dict[str, dict[str, Any]]) -> str:
    header = ("view", "export", "rows", "median s", "min s", "MB", "vs plain")
    lines = ["{:<14} {:<12} {:>8} {:>9} {:>7} {:>6} {:>9}".format(*header)]
    for view, by_kind in results.items():
        base = by_kind["plain"]["median_s"]
        for kind, r in by_kind.items():
            ratio = f"{r['median_s'] / base:.2f}x"
            lines.append(
                f"{view:<14} {kind:<12} {rows:>8} {r['median_s']:>9.3f} {r['min_s']:>7.3f}"
                f" {r['megabytes']:>6.1f} {ratio:>9}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.exports", description=__doc__)
    parser.add_argument("--rows", type=int, default=500_000, help="rows in each view (500000)")
    parser.add_argument("--repeats", type=int, default=5, help="exports of each kind (5)")
    args = parser.parse_args(argv)
    started = datetime.now(UTC)
    with chosen_server() as server, fresh_database(server.database) as database:
        print(f"{server.kind} server; {args.rows} rows a view", file=sys.stderr)
        set_up(database, args.rows)
        results = {name: measure(database, exportable()[name], args.repeats) for name in VIEWS}
        about = machine(server.kind, server_version(database))
    document = {
        "benchmark": "exports",
        "started_at": started.isoformat(timespec="seconds"),
        "machine": about,
        "plan": {"rows": args.rows, "repeats": args.repeats, "formula_every": FORMULA_EVERY},
        "results": results,
    }
    print(table(args.rows, results))
    print(f"\nwritten to {write(document)}")


if __name__ == "__main__":
    main()
