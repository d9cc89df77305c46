"""Catching up with several processes: each applies its share of the views, reading the store
itself, so a far-behind runner (a first start, a new view) uses more than one core."""

from __future__ import annotations

import multiprocessing
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from eventsourcing.utils import resolve_topic
from psycopg.sql import SQL

from projections.base import Projection
from projections.catalog import all_projections
from service.application import Polarity
from service.database import Database
from service.projector import Projector

# Decoding one event, in the views' unit (tens of µs): what a process pays once for every event
# any of its views handles (benchmarks/README.md).
DECODE_COST = 1.3


def shares(
    projections: Sequence[Projection], workers: int, waiting: Mapping[type[Any], int]
) -> list[list[str]]:
    """The views dealt out to `workers` processes so that the busiest has the least to do.

    A process decodes, once, every waiting event that one of its views handles, and each view
    applies the events it handles, at its `cost` each; `waiting` counts the events of each class.
    The heaviest views are dealt first, one to each process, then each to the share it makes
    the lightest."""
    wants = {p.name: {c for c in waiting if p.applies_to(c)} for p in projections}

    def load(share: Sequence[Projection]) -> float:
        decoded = set().union(*(wants[p.name] for p in share))
        applied = sum(p.cost * sum(waiting[c] for c in wants[p.name]) for p in share)
        return DECODE_COST * sum(waiting[c] for c in decoded) + applied

    dealt: list[list[Projection]] = [[] for _ in range(min(workers, len(projections)))]
    for projection in sorted(projections, key=lambda p: load([p]), reverse=True):
        empty = [share for share in dealt if not share]
        share = empty[0] if empty else min(dealt, key=lambda s: load([*s, projection]))
        share.append(projection)
    return [[p.name for p in share] for share in dealt]


def waiting_events(projector: Projector) -> dict[type[Any], int]:
    """How many events of each class lie beyond the view furthest behind."""
    after = min((status.position for status in projector.status()), default=0)
    with projector.connect() as conn:
        rows = conn.execute(
            SQL(
                "SELECT topic, count(*) AS events FROM {} WHERE notification_id > %s GROUP BY topic"
            ).format(projector.events),
            (after,),
        ).fetchall()
    return {resolve_topic(row["topic"]): row["events"] for row in rows}


def catch_up_in_parallel(database: Database, names: Sequence[str], workers: int) -> int:
    """Bring the named views to the head with `workers` processes; returns the events read by
    the process that read the most. The views' tables must exist (`Projector.setup`)."""
    chosen = [p for p in all_projections() if p.name in names]
    app = Polarity(database, create_tables=False)
    try:
        dealt = shares(chosen, workers, waiting_events(Projector(app, database, chosen)))
    finally:
        app.close()
    if not dealt:
        return 0
    spawn = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited pools
    with ProcessPoolExecutor(len(dealt), mp_context=spawn) as pool:
        applied = pool.map(catch_up_share, [database] * len(dealt), dealt)
        return max(applied, default=0)


def catch_up_share(database: Database, names: Sequence[str]) -> int:
    """In a worker process: catch up these views, on an application of its own."""
    app = Polarity(database, create_tables=False)  # the parent made them; creating races
    try:
        projector = Projector(app, database, [p for p in all_projections() if p.name in names])
        return projector.catch_up()
    finally:
        app.close()
