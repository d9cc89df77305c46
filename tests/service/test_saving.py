"""A save is one transaction sent to the database at once: what it refuses leaves nothing."""

from __future__ import annotations

from uuid import uuid4

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent

from domain.commands import ReviewInitiative
from domain.initiative import Initiative
from domain.values import ReviewStatus
from service.application import Polarity
from service.persistence import CommandRecord
from tests.service.scenarios import STEWARD, proposed


def test_a_save_the_database_refuses_records_neither_its_command_nor_its_events(
    app: Polarity,
) -> None:
    initiative = proposed(app)
    head = app.store.max_notification_id()
    taken = StoredEvent(initiative, 1, "domain.initiative:Initiative.Reviewed", b"{}")
    key = f"key-{uuid4().hex}"  # the app's store is shared with other tests
    record = CommandRecord("stella", key, "ReviewInitiative", "f", initiative, 1)

    with pytest.raises(IntegrityError):  # version 1 is stored already
        app.store.insert_events([taken], command=record)

    assert app.store.prior_result("stella", key) is None  # sent before the insert
    assert app.store.max_notification_id() == head


def test_after_a_refused_save_the_next_command_is_saved(app: Polarity) -> None:
    initiative = proposed(app)
    taken = StoredEvent(initiative, 1, "domain.initiative:Initiative.Reviewed", b"{}")
    for _ in range(3):  # more than the connections the store keeps
        with pytest.raises(IntegrityError):
            app.store.insert_events([taken])

    review = ReviewInitiative(
        initiative, period="2027-01", status=ReviewStatus.GREEN, summary="on plan", reason="r"
    )
    result = app.handle(STEWARD, review)

    assert app.get(initiative, Initiative).version == result.version == 2
