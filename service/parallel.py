"""Catching up with several processes: each applies its share of the views, reading the store
itself, so a far-behind runner (a first start, a new view) uses more than one core."""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from projections.base import Projection
from projections.catalog import all_projections
from service.application import Polarity
from service.database import Database
from service.projector import Projector


def shares(projections: Sequence[Projection], workers: int) -> list[list[str]]:
    """The views dealt out to `workers` processes: the costliest first, each to the lightest
    share so far. No share is empty."""
    dealt: list[list[Projection]] = [[] for _ in range(min(workers, len(projections)))]
    for projection in sorted(projections, key=lambda p: p.cost, reverse=True):
        lightest = min(dealt, key=lambda share: sum(p.cost for p in share))
        lightest.append(projection)
    return [[p.name for p in share] for share in dealt]


def catch_up_in_parallel(database: Database, names: Sequence[str], workers: int) -> int:
    """Bring the named views to the head with `workers` processes; returns the events read by
    the process that read the most. The views' tables must exist (`Projector.setup`)."""
    chosen = [p for p in all_projections() if p.name in names]
    spawn = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited pools
    with ProcessPoolExecutor(workers, mp_context=spawn) as pool:
        applied = pool.map(catch_up_share, [database] * workers, shares(chosen, workers))
        return max(applied, default=0)


def catch_up_share(database: Database, names: Sequence[str]) -> int:
    """In a worker process: catch up these views, on an application of its own."""
    app = Polarity(database, create_tables=False)  # the parent made them; creating races
    try:
        projector = Projector(app, database, [p for p in all_projections() if p.name in names])
        return projector.catch_up()
    finally:
        app.close()
