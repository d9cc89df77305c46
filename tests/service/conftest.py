"""Fixtures the service tests share: a store of a test's own for tampering with."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import pytest

from service.application import Polarity
from service.database import Database
from tests.service.scenarios import strategic_with_sponsor


class Store(NamedTuple):
    app: Polarity
    database: Database


@pytest.fixture
def store(own_database: Database) -> Iterator[Store]:
    """A store of its own holding three initiatives' nine events (positions 1 to 9)."""
    app = Polarity(own_database)
    try:
        for _ in range(3):
            strategic_with_sponsor(app)
        yield Store(app, own_database)
    finally:
        app.close()
