"""Fixtures for view tests: a fresh database per test, so figures see only the test's own events."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from projections.base import Projection
from projections.catalog import all_projections
from service.application import Polarity
from service.database import Database
from service.projector import Projector
from tests.conftest import fresh_database


@dataclass
class Reporting:
    """An application and a projector on a database of their own."""

    app: Polarity
    database: Database
    projector: Projector

    def caught_up(self) -> Reporting:
        self.projector.catch_up()
        return self

    def every_table(self) -> dict[str, list[dict[str, Any]]]:
        """Each view table's rows, in an order that does not depend on how they were written."""
        return {
            table: sorted(self.rows(f"SELECT * FROM reporting.{table}"), key=repr)
            for projection in self.projector.projections.values()
            for table in projection.tables
        }

    def rows(self, query: str, *params: Any) -> list[dict[str, Any]]:
        with psycopg.connect(self.database.conninfo, row_factory=dict_row) as conn:
            return conn.execute(query, params).fetchall()


@pytest.fixture
def reporting_with(database: Database) -> Iterator[Callable[[Sequence[Projection]], Reporting]]:
    """`reporting_with([MyView()])`: a fresh store whose projector applies those views."""
    opened: list[tuple[Polarity, Iterator[Database]]] = []

    def make(projections: Sequence[Projection]) -> Reporting:
        fresh = fresh_database(database)  # created from the session's test database
        db = next(fresh)
        app = Polarity(db, snapshot_interval=5)
        opened.append((app, fresh))
        projector = Projector(app, db, projections)
        projector.setup()
        return Reporting(app, db, projector)

    yield make
    for app, fresh in opened:
        app.close()
        next(fresh, None)


@pytest.fixture
def reporting(
    reporting_with: Callable[[Sequence[Projection]], Reporting],
) -> Reporting:
    """A fresh store whose projector applies every view in the catalog."""
    return reporting_with(all_projections())
