"""Reads that meet a damaged store: each event read is checked against its link in the hash chain
as it is read, and each read that should see consecutive events (an aggregate's versions, the
chain's positions) checks that it does. What fails is an `IntegrityViolation` at a position,
which the API reports (a typed GraphQL error, a 409 on REST) and a projection stops at.

The check costs one join and one SHA-256 of the stored bytes per event: the link chained at the
event's position and the link before it come back in the query that reads the event
(`ChainedRead`), and the event is linked again from them (`service.chain.link`). Proving the chain
itself (each link from the one before, against signed checkpoints) is `service.audit.verify`'s
work; this check needs only that the event read is the one chained at its position."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple
from uuid import UUID

from psycopg import AsyncConnection, Connection
from psycopg.sql import SQL, Composed, Identifier

from service.chain import GENESIS, link

CODE = "INTEGRITY_VIOLATION"


class Damage(enum.StrEnum):
    ALTERED = "altered"  # the event read is not the one chained at its position
    MISSING = "missing"  # an event was chained here (or a version was recorded) and is gone
    INSERTED = "inserted"  # an event is here that was never chained


class IntegrityViolation(Exception):
    """A read met a damaged store at `position`: nothing read there can be trusted."""

    code = CODE

    def __init__(self, position: int, damage: Damage) -> None:
        self.position, self.damage = position, damage
        self.message = (
            f"The event store is damaged at position {position} ({damage}): this read stops "
            "there rather than show what cannot be trusted. An auditor can confirm it with "
            "`polarity audit verify`."
        )
        super().__init__(self.message)

    def to_json(self) -> dict[str, Any]:
        return {"code": CODE, "position": self.position, "damage": str(self.damage)}


class Row(NamedTuple):
    """One event as read with its chain: what it links to, and the links it is checked against."""

    position: int
    aggregate_id: UUID
    version: int
    topic: str
    state: bytes
    chained: bytes | None  # the link at this position; None: never chained
    previous_position: int | None  # the position the link names before it
    previous: bytes | None  # the link there; None when the link names none, or it is gone

    @classmethod
    def of(cls, values: Sequence[Any]) -> Row:
        """From a row of `ChainedRead.columns`, in their order."""
        position, aggregate_id, version, topic, state, chained, before, previous = values
        return cls(
            position,
            aggregate_id,
            version,
            topic,
            bytes(state),
            None if chained is None else bytes(chained),
            before,
            None if previous is None else bytes(previous),
        )

    def damage(self) -> Damage | None:
        if self.chained is None:
            return Damage.INSERTED
        if self.previous is None and self.previous_position is not None:
            return Damage.ALTERED  # the link it chains from is gone: it cannot be checked
        previous = GENESIS if self.previous is None else self.previous
        relinked = link(
            previous, self.position, self.aggregate_id, self.version, self.topic, self.state
        )
        return None if relinked == self.chained else Damage.ALTERED


class ChainedRead:
    """The SQL that reads events with their links, for an events table and its chain."""

    columns = (
        "e.notification_id, e.originator_id, e.originator_version, e.topic, e.state, "
        "c.hash AS chained, c.prev_position, p.hash AS previous"
    )

    def __init__(self, schema: str, events_table: str) -> None:
        self.events = Identifier(schema, events_table)
        self.chain = Identifier(schema, events_table + "_chain")
        self.snapshots = Identifier(schema, events_table.replace("_events", "_snapshots"))
        self.select = SQL(
            "SELECT " + self.columns + " FROM {events} e "
            "LEFT JOIN {chain} c ON c.position = e.notification_id "
            "LEFT JOIN {chain} p ON p.position = c.prev_position "
        ).format(events=self.events, chain=self.chain)
        self.snapshot_before = SQL(
            "SELECT coalesce(max(originator_version), 0) FROM {} "
            "WHERE originator_id = %s AND originator_version <= %s"
        ).format(self.snapshots)
        self.event_at = SQL(
            "SELECT topic, state FROM {} WHERE originator_id = %s AND originator_version = %s"
        ).format(self.events)
        self.last_version = SQL(
            "SELECT max(originator_version) FROM {} WHERE originator_id = %s"
        ).format(self.events)
        # An aggregate up to a version (%(last)s) in one read: its nearest snapshot at or below
        # that version, if it has one (the row without a position), then the events after it.
        self.at_version = (
            SQL(
                "WITH snapshot AS (SELECT originator_version, topic, state FROM {} "
                "WHERE originator_id = %(id)s AND originator_version <= %(last)s "
                "ORDER BY originator_version DESC LIMIT 1) "
                "SELECT * FROM (SELECT NULL::bigint AS position, %(id)s AS aggregate_id, "
                "originator_version, topic, state, NULL::bytea, NULL::bigint, NULL::bytea "
                "FROM snapshot UNION ALL ("
            ).format(self.snapshots)
            + self.select
            + SQL(
                "WHERE e.originator_id = %(id)s AND e.originator_version <= %(last)s "
                "AND e.originator_version > coalesce((SELECT originator_version FROM snapshot), 0)"
                ")) AS found ORDER BY originator_version"
            )
        )
        self.missing_between = SQL(
            "SELECT min(c.position) FROM {chain} c WHERE c.position > %s AND c.position < %s "
            "AND NOT EXISTS (SELECT 1 FROM {events} e WHERE e.notification_id = c.position)"
        ).format(chain=self.chain, events=self.events)

    def after(self, limit: bool = True) -> Composed:
        """Events after a position (%s), in position order, up to %s of them."""
        return self.select + SQL(
            "WHERE e.notification_id > %s ORDER BY e.notification_id"
            + (" LIMIT %s" if limit else "")
        )

    def versions(self) -> Composed:
        """One aggregate's events (%s) after a version (%s), in version order, up to %s."""
        return self.select + SQL(
            "WHERE e.originator_id = %s AND e.originator_version > %s "
            "ORDER BY e.originator_version LIMIT %s"
        )


@cache
def chained_read(schema: str | None, events_table: str) -> ChainedRead:
    """The chained reads of a recorder's events table (its `datastore.schema`, its
    `events_table_name`)."""
    return ChainedRead(schema or "public", events_table)


@dataclass(frozen=True)
class Found:
    """A damaged position found among rows read; `between` is where to look for a missing
    event's position in the chain (after one position, before another), when it is not known."""

    position: int
    damage: Damage
    between: tuple[int, int] | None = None


def in_positions(rows: Iterable[Row], after: int) -> list[Found]:
    """Every damaged position among events read in position order after `after`: each event
    against its link, and each link naming the one before it among those read."""
    found: list[Found] = []
    last = after
    for row in rows:
        damage = row.damage()
        if damage is Damage.INSERTED:
            found.append(Found(row.position, damage))
            continue  # an event never chained says nothing about the links around it
        if row.previous_position is not None and row.previous_position > last:
            found.append(Found(row.previous_position, Damage.MISSING))  # its last missing one
        if damage is not None:
            found.append(Found(row.position, damage))
        last = row.position
    return found


def in_versions(rows: Iterable[Row], after_version: int) -> Found | None:
    """The first damaged position among one aggregate's events read in version order after
    `after_version`: each event against its link, and the versions one after another."""
    expected, last_position = after_version + 1, 0
    for row in rows:
        if row.version != expected:
            return Found(row.position, Damage.MISSING, between=(last_position, row.position))
        if damage := row.damage():
            return Found(row.position, damage)
        expected, last_position = expected + 1, row.position
    return None


def violation(found: Found, missing_at: int | None = None) -> IntegrityViolation:
    """The error for what was found; a missing version's position is the chain's first
    position without an event between its neighbours (`missing_at`), if the chain has one."""
    return IntegrityViolation(missing_at or found.position, found.damage)


def check_versions(
    conn: Connection[Any], read: ChainedRead, rows: Sequence[Row], after_version: int
) -> None:
    """Raise the first damage among one aggregate's events read in version order."""
    found = in_versions(rows, after_version)
    if found is None:
        return
    missing_at = None
    if found.between:
        answer = conn.execute(read.missing_between, found.between).fetchone()
        missing_at = _first(answer)
    raise violation(found, missing_at)


async def acheck_versions(
    conn: AsyncConnection[Any], read: ChainedRead, rows: Sequence[Row], after_version: int
) -> None:
    """`check_versions` on an async connection."""
    found = in_versions(rows, after_version)
    if found is None:
        return
    missing_at = None
    if found.between:
        answer = await (await conn.execute(read.missing_between, found.between)).fetchone()
        missing_at = _first(answer)
    raise violation(found, missing_at)


def _first(row: Any) -> int | None:
    if row is None:
        return None
    value = next(iter(row.values())) if isinstance(row, dict) else row[0]
    return int(value) if value is not None else None
