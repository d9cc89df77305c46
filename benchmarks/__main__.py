"""`python -m benchmarks`: Polarity's write path beside the bare eventsourcing library, one run."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import Any

from benchmarks.bare import bare_application
from benchmarks.core import Plan, bare, polarity, run
from benchmarks.report import machine, table, with_ratios, write
from benchmarks.server import chosen_server, fresh_database, server_version
from service.application import Polarity
from service.database import Database
from service.settings import Settings


def parse_plan(argv: list[str] | None) -> Plan:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--n", type=int, help="timed operations of each kind (default 2000)")
    parser.add_argument("--quick", action="store_true", help="a few hundred operations")
    parser.add_argument("--rounds", type=int, default=50, help="interleaved blocks (default 50)")
    args = parser.parse_args(argv)
    n = args.n or (300 if args.quick else 2000)
    if n < 2 or args.rounds < 1:
        parser.error("--n must be at least 2 and --rounds at least 1")
    return Plan(n=n, warm_up=max(20, n // 10), rounds=min(args.rounds, n))


def measure(database: Database, plan: Plan, snapshot_interval: int) -> list[dict[str, Any]]:
    """Polarity without and with idempotency keys, and the bare library, on one database."""
    app = Polarity(database, snapshot_interval=snapshot_interval)
    baseline = bare_application(database)
    try:
        contenders = [
            polarity(app, "polarity"),
            polarity(app, "polarity+key", keyed=True),
            bare(baseline),
        ]
        return with_ratios(run(contenders, plan))
    finally:
        app.close()
        baseline.close()


def main(argv: list[str] | None = None) -> None:
    plan = parse_plan(argv)
    settings = Settings.from_env()
    started = datetime.now(UTC)
    with chosen_server() as server, fresh_database(server.database) as database:
        print(f"{server.kind} server; {plan}", file=sys.stderr)
        operations = measure(database, plan, settings.snapshot_interval)
        version = server_version(database)
    document = {
        "benchmark": "core",
        "started_at": started.isoformat(timespec="seconds"),
        "machine": machine(server.kind, version),
        "plan": {**vars(plan), "pool_size": plan.pool_size},
        "snapshot_interval": settings.snapshot_interval,
        "operations": operations,
    }
    print(table(operations))
    print(f"\nwritten to {write(document)}")


if __name__ == "__main__":
    main()
