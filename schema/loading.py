"""Loading aggregates as they were (time travel), in worker threads: the event loop never waits."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from anyio import to_thread

from service.application import Polarity
from service.unit_of_work import NotFound


def parse_uuid(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None


async def load_as_of(
    app: Polarity,
    kind: type[Any],
    aggregate_id: UUID,
    version: int | None = None,
    at: datetime | None = None,
) -> Any | None:
    def load() -> Any | None:
        try:
            return app.get_as_of(aggregate_id, kind, version=version, at=at)
        except NotFound:
            return None

    return await to_thread.run_sync(load)
