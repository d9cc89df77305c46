"""How far behind each reporting view is, read cheaply enough for every scrape and probe.

A view lags by the events stored after its position, and by the age of the first of them: how
long the oldest event it has not applied has been waiting (0 when it has applied everything).
One query reads every view's position, the head, and the first event each view still waits
for; the answer is kept for a second, so probes and scrapes that come together read once."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import Notification
from psycopg import AsyncConnection
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed
from psycopg_pool import AsyncConnectionPool

from projections.base import TRACKING
from service.persistence import EnvelopeMapper
from service.projector import Projector

log = logging.getLogger("polarity.lag")

MAX_AGE_SECONDS = 1.0


@dataclass(frozen=True)
class ViewLag:
    view: str
    position: int
    events: int  # stored after the view's position
    seconds: float | None  # how long the first of them has waited; None: it does not decode

    def behind(self, most_seconds: float) -> bool:
        if self.events == 0:
            return False
        return self.seconds is None or self.seconds > most_seconds

    def to_json(self) -> dict[str, Any]:
        return {"view": self.view, "lagEvents": self.events, "lagSeconds": self.seconds}


@dataclass(frozen=True)
class Lags:
    head: int  # the last position stored
    views: tuple[ViewLag, ...]


class LagReader:
    """Reads the views' lag on the read pool, at most once every MAX_AGE_SECONDS."""

    def __init__(self, projector: Projector, max_age: float = MAX_AGE_SECONDS) -> None:
        self.names = sorted(projector.projections)
        self.mapper: EnvelopeMapper = projector.app.mapper_with_envelopes
        self.query = _query(projector)
        self.max_age = max_age
        self._last: tuple[float, Lags] | None = None
        self._lock = asyncio.Lock()

    async def read(
        self, pool: AsyncConnectionPool[AsyncConnection[DictRow]], timeout: float
    ) -> Lags:
        """The lags read within the last `max_age` seconds, else read now, waiting `timeout`
        seconds at most for a connection."""
        if (fresh := self._fresh()) is not None:
            return fresh
        async with self._lock:
            if (fresh := self._fresh()) is not None:  # read while this one waited
                return fresh
            async with pool.connection(timeout=timeout) as conn:
                cursor = await conn.execute(self.query, (self.names,), prepare=True)
                rows = await cursor.fetchall()
            lags = self._lags(rows, datetime.now(UTC))
            self._last = (time.monotonic(), lags)
            return lags

    def _fresh(self) -> Lags | None:
        if self._last and time.monotonic() - self._last[0] < self.max_age:
            return self._last[1]
        return None

    def _lags(self, rows: Sequence[DictRow], now: datetime) -> Lags:
        head = rows[0]["head"] if rows else 0
        waited: dict[int, float | None] = {}  # by position: views often wait for the same event
        views = []
        for row in rows:
            seconds: float | None = 0.0
            if (first := row["notification_id"]) is not None:
                if first not in waited:
                    waited[first] = self._waited(row, now)
                seconds = waited[first]
            events = head - row["position"]
            views.append(ViewLag(row["projection"], row["position"], events, seconds))
        return Lags(head, tuple(views))

    def _waited(self, row: DictRow, now: datetime) -> float | None:
        notification = Notification(
            id=row["notification_id"],
            originator_id=row["originator_id"],
            originator_version=row["originator_version"],
            topic=row["topic"],
            state=bytes(row["state"]),
        )
        try:
            _, recorded_at, _ = self.mapper.stamped(notification)
        except Exception:  # a damaged event: the view stops before it, and its lag is unknown
            log.warning("position %s does not decode", notification.id)
            return None
        return max(0.0, (now - recorded_at).total_seconds())


def _query(projector: Projector) -> Composed:
    """Each view's position, the head, and the first event after the position, if any."""
    return SQL(
        "SELECT t.projection, t.position, h.head, e.notification_id, e.originator_id, "
        "e.originator_version, e.topic, e.state "
        "FROM {tracking} t "
        "CROSS JOIN (SELECT coalesce(max(notification_id), 0) AS head FROM {events}) h "
        "LEFT JOIN LATERAL (SELECT notification_id, originator_id, originator_version, topic, "
        "state FROM {events} WHERE notification_id > t.position "
        "ORDER BY notification_id LIMIT 1) e ON true "
        "WHERE t.projection = ANY(%s) ORDER BY t.projection"
    ).format(tracking=TRACKING, events=projector.events)
