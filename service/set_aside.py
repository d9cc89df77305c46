"""Events a view cannot apply, found within a failed batch and set aside so the view goes on."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import Notification
from eventsourcing.utils import resolve_topic
from psycopg.sql import SQL, Identifier, Literal

from projections.base import SCHEMA, Projection, Recorded, Tables
from projections.docs import SET_ASIDE as SET_ASIDE_COLUMNS
from projections.rows import TURN_EVERY, State

log = logging.getLogger("polarity.projections")

TABLE = Identifier(SCHEMA, "set_aside")
ERROR_LENGTH = 1000  # characters kept of an error: its class and the start of its message
# The database gone or refusing work for now: the batch is tried again later, nothing set aside.
OUTAGES = (psycopg.OperationalError, psycopg.InterfaceError)
COLUMNS = "projection, position, aggregate_id, version, event_type, error"


@dataclass(frozen=True)
class SetAside:
    """An event one view could not apply, and why."""

    projection: str
    position: int
    aggregate_id: UUID
    version: int
    event_type: str
    error: str  # its class and message, storable and at most ERROR_LENGTH characters
    set_aside_at: datetime | None = None  # when it was stored
    trace: str = field(default="", compare=False, repr=False)  # the traceback, for the log

    @classmethod
    def of(cls, projection: str, notification: Notification, error: Exception) -> SetAside:
        return cls(
            projection=projection,
            position=notification.id,
            aggregate_id=UUID(str(notification.originator_id)),
            version=notification.originator_version,
            event_type=notification.topic.partition(":")[2] or notification.topic,
            error=described(error),
            trace="".join(traceback.format_exception(error)),
        )


def described(error: BaseException) -> str:
    """`Class: message`, as PostgreSQL can store it (it may hold the very NUL or lone
    surrogate that failed), cut to ERROR_LENGTH characters."""
    kind = type(error)
    name = (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )
    try:
        message = str(error)
    except Exception:
        message = "(its message could not be read)"
    text = f"{name}: {message}".replace("\x00", "\\x00")
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= ERROR_LENGTH else text[: ERROR_LENGTH - 1] + "…"


class Apart:
    """One view applying events on its own, each chunk inside a savepoint: a chunk that fails is
    rolled back, the view's rows read again, and the chunk halved, until the one event that
    fails is left; that event is set aside and the view goes on past it."""

    def __init__(
        self,
        projection: Projection,
        tables: Tables,
        state: State,
        decode: Callable[[Notification], Recorded],
    ) -> None:
        self.projection = projection
        self.tables = tables
        self.state = state
        self.decode = decode
        self.set_aside: list[SetAside] = []

    def apply(
        self, cursor: psycopg.Cursor[Any], notifications: Sequence[Notification], after: int
    ) -> None:
        """Apply and write the events after position `after` that this view handles."""
        chunks = [[n for n in notifications if n.id > after and self._handles(n.topic)]]
        self.state.bind(cursor)
        while chunks:
            chunk = chunks.pop()
            try:
                self._apply(cursor, chunk)
            except OUTAGES:
                raise
            except Exception as error:
                self.state = self.projection.open(
                    cursor, self.tables, self.state.transcoder, self.state.limit
                )
                if len(chunk) == 1:
                    self.set_aside.append(SetAside.of(self.projection.name, chunk[0], error))
                else:
                    middle = len(chunk) // 2
                    chunks += [chunk[middle:], chunk[:middle]]  # the first half next

    def _apply(self, cursor: psycopg.Cursor[Any], chunk: Sequence[Notification]) -> None:
        if not chunk:
            return
        with cursor.connection.transaction():  # a savepoint: the batch's transaction is open
            for start in range(0, len(chunk), TURN_EVERY):
                recorded = [self.decode(n) for n in chunk[start : start + TURN_EVERY]]
                self.state.prefetch([r.aggregate_id for r in recorded])
                for one in recorded:
                    self.projection.apply(one, self.state)
                self.state.turn(cursor)
            self.state.write(cursor)

    def _handles(self, topic: str) -> bool:
        try:
            event_class = resolve_topic(topic)
        except Exception:  # its class is gone: decoding it fails, and sets it aside
            return True
        return self.projection.applies_to(event_class)


# The table ------------------------------------------------------------------------------------


def create(cursor: psycopg.Cursor[Any]) -> None:
    cursor.execute(
        SQL(
            "CREATE TABLE IF NOT EXISTS {} (projection text NOT NULL, position bigint NOT NULL, "
            "aggregate_id uuid NOT NULL, version bigint NOT NULL, event_type text NOT NULL, "
            "error text NOT NULL, set_aside_at timestamptz NOT NULL DEFAULT now(), "
            "PRIMARY KEY (projection, position))"
        ).format(TABLE)
    )
    about = "Events a view could not apply and went on past, with why (one row per view and event)."
    cursor.execute(SQL("COMMENT ON TABLE {} IS {}").format(TABLE, Literal(about)))
    for column, _, meaning in SET_ASIDE_COLUMNS:
        cursor.execute(
            SQL("COMMENT ON COLUMN {}.{} IS {}").format(TABLE, Identifier(column), Literal(meaning))
        )


def store(cursor: psycopg.Cursor[Any], entries: Sequence[SetAside]) -> None:
    if not entries:
        return
    cursor.executemany(
        SQL(
            "INSERT INTO {} ({}) VALUES (%s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (projection, position) DO UPDATE "
            "SET error = excluded.error, set_aside_at = now()"
        ).format(TABLE, SQL(COLUMNS)),
        [
            (e.projection, e.position, e.aggregate_id, e.version, e.event_type, e.error)
            for e in entries
        ],
    )


def replace(cursor: psycopg.Cursor[Any], projection: str, entries: Sequence[SetAside]) -> None:
    """The view's set-aside events become `entries` (a rebuild's)."""
    cursor.execute(SQL("DELETE FROM {} WHERE projection = %s").format(TABLE), (projection,))
    store(cursor, entries)


def listed(cursor: psycopg.Cursor[Any], projections: Sequence[str]) -> list[SetAside]:
    cursor.execute(
        SQL(
            "SELECT {}, set_aside_at FROM {} WHERE projection = ANY(%s) "
            "ORDER BY projection, position"
        ).format(SQL(COLUMNS), TABLE),
        (list(projections),),
    )
    return [SetAside(**row) for row in cursor.fetchall()]


def tallies(cursor: psycopg.Cursor[Any]) -> dict[str, tuple[int, int]]:
    """Each view's count of set-aside events and the position of the first."""
    cursor.execute(
        SQL(
            "SELECT projection, count(*) AS events, min(position) AS first FROM {} "
            "GROUP BY projection"
        ).format(TABLE)
    )
    return {row["projection"]: (row["events"], row["first"]) for row in cursor.fetchall()}


def announce(entries: Sequence[SetAside]) -> None:
    """One alert-level line for each event set aside, with its traceback."""
    for e in entries:
        log.critical(
            "view %s set aside the event at position %d (%s, aggregate %s version %d) and went "
            "on without it: %s. Fix the cause, then `polarity projections rebuild %s`.\n%s",
            e.projection,
            e.position,
            e.event_type,
            e.aggregate_id,
            e.version,
            e.error,
            e.projection,
            e.trace.rstrip(),
        )
