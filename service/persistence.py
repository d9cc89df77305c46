"""How events are stored: the audit envelope and the commands recorded (transcodings:
service.transcoding)."""

from __future__ import annotations

import contextlib
import dataclasses
import enum
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import psycopg
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    InterfaceError,
    Mapper,
    Notification,
    OperationalError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import retry
from psycopg import Cursor
from psycopg.pq import TransactionStatus
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from domain import clock
from service.chain import ChainTable

BEGIN, COMMIT = SQL("BEGIN"), SQL("COMMIT")

# The audit envelope ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Stamp:
    """What a command's save stamps into each event it records: the request's ids, and the
    causation rule. The command's root event (the first event of its primary decision) is
    caused by what the client named (X-Causation-Id); every other event the command records
    (a team's allocation after Resourced, the initiative an escalation creates, releases after
    a kill) is its consequence and names the root event's id as its cause."""

    request_id: str
    correlation_id: str
    causation_id: str | None
    root: object | None = None  # the root event itself: identity, not equality, marks it
    root_id: str = dataclasses.field(default_factory=lambda: uuid4().hex)

    def meta(self, event: object) -> dict[str, Any]:
        root = self.root is None or event is self.root
        return {
            "event_id": self.root_id if event is self.root else uuid4().hex,
            "recorded_at": clock.now(),
            "request_id": self.request_id,
            "correlation_id": self.correlation_id,
            "causation_id": self.causation_id if root else self.root_id,
        }


# The stamp of the command being saved, stamped into every event it records.
current_envelope: ContextVar[Stamp | None] = ContextVar("envelope", default=None)


@dataclass(frozen=True)
class Envelope:
    """Everything recorded about one stored event besides its domain content."""

    event_id: str
    aggregate_id: UUID
    version: int
    position: int
    event_type: str
    schema_version: int
    recorded_at: datetime
    correlation_id: str | None
    causation_id: str | None
    request_id: str | None


class EnvelopeMapper(Mapper[UUID]):
    """Stamps the command's envelope into each stored event and strips it on the way back."""

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        stamp = current_envelope.get()
        if stamp is None:
            return super().to_stored_event(domain_event)
        object.__setattr__(domain_event, "_meta", stamp.meta(domain_event))
        try:
            return super().to_stored_event(domain_event)
        finally:
            vars(domain_event).pop("_meta", None)

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        domain_event, _ = self.to_event_and_meta(stored_event)
        return domain_event

    def to_event_and_meta(
        self, stored_event: StoredEvent
    ) -> tuple[DomainEventProtocol[UUID], dict[str, Any]]:
        domain_event = super().to_domain_event(stored_event)
        state = vars(domain_event)
        meta = state.pop("_meta", None) or {}
        for name, value in state.items():
            if isinstance(value, list):  # events hold tuples; JSON gives lists back
                state[name] = tuple(value)
        return domain_event, meta

    def stamped(self, notification: Notification) -> tuple[Any, datetime, str | None]:
        """The event, when it was recorded and the request it came from: what views need of
        the envelope, without building one."""
        event: Any
        event, meta = self.to_event_and_meta(notification)
        return event, _recorded_at(event, meta), meta.get("request_id")

    def envelope(self, notification: Notification) -> tuple[Any, Envelope]:
        event: Any
        event, meta = self.to_event_and_meta(notification)
        cls = type(event)
        return event, Envelope(
            event_id=meta.get("event_id")
            or f"{notification.originator_id}/{event.originator_version}",
            aggregate_id=event.originator_id,
            version=event.originator_version,
            position=notification.id,
            event_type=cls.__qualname__,
            schema_version=getattr(cls, "class_version", 1),
            recorded_at=_recorded_at(event, meta),
            correlation_id=meta.get("correlation_id"),
            causation_id=meta.get("causation_id"),
            request_id=meta.get("request_id"),
        )


def _recorded_at(event: Any, meta: dict[str, Any]) -> datetime:
    """When the event was stored: its envelope says; an event saved without one, its timestamp."""
    recorded: datetime = meta.get("recorded_at") or event.timestamp
    return recorded


# The recorder: every command's id saved in the same transaction as its events --------------


@dataclass(frozen=True)
class CommandRecord:
    """One command, stored with the events it recorded: its id (the client's idempotency key,
    or one the service made), what it was and where it left its aggregate."""

    actor_id: str
    command_id: str
    command: str
    fingerprint: str
    aggregate_id: UUID
    version: int
    related: tuple[UUID, ...] = ()


@dataclass(frozen=True)
class PriorResult:
    command: str
    fingerprint: str
    aggregate_id: UUID
    version: int
    position: int  # of the last event the command recorded, on whichever aggregate
    related: tuple[UUID, ...]


class PolarityRecorder(PostgresApplicationRecorder):
    """The library's recorder, plus the audit trail's hash chain (service.chain), a table of the
    commands recorded (the idempotency keys) and history reads with positions."""

    def __init__(self, datastore: Any, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        schema = Identifier(self.datastore.schema)
        events = Identifier(self.events_table_name)
        # One row per command, whether or not the client gave a key ("key" is the command id).
        commands = Identifier(self.events_table_name + "_idempotency")
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {schema}.{commands} ("
                "actor_id text NOT NULL, key text NOT NULL, command text NOT NULL, "
                "fingerprint text NOT NULL, aggregate_id uuid NOT NULL, version bigint NOT NULL, "
                "recorded_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (actor_id, key))"
            ).format(schema=schema, commands=commands)
        )
        # The command's last event (its position is the command's) and the aggregates it made
        # beside its own (an escalation's initiative), so that a replay answers as the first did.
        self.sql_create_statements.append(
            SQL(
                "ALTER TABLE {schema}.{commands} ADD COLUMN IF NOT EXISTS last_id uuid, "
                "ADD COLUMN IF NOT EXISTS last_version bigint, "
                "ADD COLUMN IF NOT EXISTS related uuid[] NOT NULL DEFAULT '{{}}'"
            ).format(schema=schema, commands=commands)
        )
        # Lists and the change feed read events by type in position order.
        self.sql_create_statements.append(
            SQL(
                "CREATE INDEX IF NOT EXISTS {index} ON {schema}.{events} (topic, notification_id)"
            ).format(
                index=Identifier(self.events_table_name + "_topic_position"),
                schema=schema,
                events=events,
            )
        )
        self.chain = ChainTable(self.datastore.schema, self.events_table_name)
        self.sql_create_statements.extend(self.chain.create_statements)
        self._insert_command = SQL(
            "INSERT INTO {schema}.{commands} "
            "(actor_id, key, command, fingerprint, aggregate_id, version, last_id, last_version, "
            "related, recorded_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        ).format(schema=schema, commands=commands)
        self._select_command = SQL(
            "SELECT k.command, k.fingerprint, k.aggregate_id, k.version, k.related, "
            "coalesce(last.notification_id, e.notification_id) AS notification_id "
            "FROM {schema}.{commands} k JOIN {schema}.{events} e "
            "ON e.originator_id = k.aggregate_id AND e.originator_version = k.version "
            "LEFT JOIN {schema}.{events} last "
            "ON last.originator_id = k.last_id AND last.originator_version = k.last_version "
            "WHERE k.actor_id = %s AND k.key = %s"
        ).format(schema=schema, commands=commands, events=events)
        self._select_history = SQL(
            "SELECT originator_id, originator_version, topic, state, notification_id "
            "FROM {schema}.{events} WHERE originator_id = %s ORDER BY originator_version"
        ).format(schema=schema, events=events)

    def _insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        record: CommandRecord | None = kwargs.get("command")
        if record is not None:
            last = stored_events[-1] if stored_events else None  # stored last: the highest position
            curs.execute(
                self._insert_command,
                (
                    record.actor_id,
                    record.command_id,
                    record.command,
                    record.fingerprint,
                    record.aggregate_id,
                    record.version,
                    last.originator_id if last else None,
                    last.originator_version if last else None,
                    list(record.related),
                    clock.now(),
                ),
            )
        super()._insert_events(curs, stored_events, **kwargs)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """BEGIN, the command's row, the table lock, the NOTIFY, the events, their links in the
        hash chain and COMMIT, sent at once and answered at once: one round trip. The events
        table is locked only while the server runs them; the library waits for the insert's
        answer before it commits, holding the lock across a round trip and across whatever
        keeps this process from reading the answer at once (other threads, the interpreter's
        lock), which serialised every writer of the service behind it. BEGIN and COMMIT are
        statements of the pipeline, not psycopg's `transaction()`, which syncs with the server
        as it begins and again as it commits: two round trips more. A statement that fails
        skips the rest (COMMIT too) and the transaction is rolled back."""
        with self.datastore.get_connection() as conn, conn.cursor() as inserted:
            try:
                with conn.pipeline(), conn.cursor() as curs:
                    curs.execute(BEGIN)
                    self._insert_events(curs, stored_events, **kwargs)  # the command's row
                    if stored_events:
                        self._insert_stored_events(inserted, stored_events)  # lock, notify, insert
                        self.chain.append(curs, stored_events)
                    curs.execute(COMMIT)
            except BaseException:
                if not conn.closed and conn.info.transaction_status != TransactionStatus.IDLE:
                    with contextlib.suppress(psycopg.Error):
                        conn.rollback()
                raise
            if not stored_events:
                return None
            return [row["notification_id"] for row in inserted.fetchall()]

    def create_table(self) -> None:
        """The tables, then the events stored before the chain began chained (once)."""
        super().create_table()
        with self.datastore.get_connection() as conn:
            self.chain.migrate(conn)

    def prior_result(self, actor_id: str, command_id: str) -> PriorResult | None:
        """What the command `command_id` of `actor_id` recorded, if it was recorded."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_command, (actor_id, command_id))
            row = curs.fetchone()
        if row is None:
            return None
        return PriorResult(
            row["command"],
            row["fingerprint"],
            row["aggregate_id"],
            row["version"],
            row["notification_id"],
            tuple(row["related"]),
        )

    def select_history(self, aggregate_id: UUID) -> list[Notification]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_history, (aggregate_id,), prepare=True)
            return [
                Notification(
                    id=row["notification_id"],
                    originator_id=row["originator_id"],
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                )
                for row in curs.fetchall()
            ]


def plain(value: Any) -> Any:
    """A stored value as plain JSON-ready data: enums by value, value objects as dicts."""
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def event_data(event: Any) -> dict[str, Any]:
    """An event's domain content, without what the envelope already says."""
    skip = {
        "originator_id",
        "originator_version",
        "timestamp",
        "originator_topic",
        "actor",
        "reason",
    }
    return {name: plain(value) for name, value in vars(event).items() if name not in skip}
