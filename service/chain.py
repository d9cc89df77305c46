"""The audit trail's hash chain: every stored event linked to the one stored before it.

Each event's link is SHA-256 over the previous link and the event exactly as stored:

    link = sha256(previous link                      32 bytes; the first event's is GENESIS
                  || position                         8 bytes, unsigned big-endian
                  || aggregate id                     16 bytes, the UUID's bytes
                  || version                          8 bytes, unsigned big-endian
                  || len(topic) || topic              4 bytes big-endian, then UTF-8
                  || len(state) || state)             4 bytes big-endian, then the stored bytes

The state is the stored bytes of the event, envelope included (`EnvelopeMapper` stamps it into
them), so the link covers the envelope too. An auditor recomputes it from `notification_id,
originator_id, originator_version, topic, state` of the events table with `link` below, which
uses nothing but the standard library.

Links live in a table of their own beside the events, one row per position with the position
of the link before it, written in the transaction that stores the events, under the events
table's lock (which already makes positions follow commit order). The database computes them
there (`ChainTable.append`, the same formula in SQL), from the rows as it stored them, in the
statements the save sends with its insert and its commit: no round trip is waited for while the
table is locked. `link` below computes the same in Python, for the migration and for auditors."""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from psycopg import Connection, Cursor
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Composed, Identifier, Literal

from service.checkpoints import CheckpointTable

GENESIS = bytes(32)  # the link the first event chains from
_FIXED = struct.Struct(">Q16sQI")  # position, aggregate id, version, length of the topic
_LENGTH = struct.Struct(">I")
MIGRATION_BATCH = 5000


def link(
    previous: bytes, position: int, aggregate_id: UUID, version: int, topic: str, state: bytes
) -> bytes:
    """The link of the event stored at `position`, chained from `previous`."""
    name = topic.encode()
    return hashlib.sha256(
        b"".join(
            (
                previous,
                _FIXED.pack(position, aggregate_id.bytes, version, len(name)),
                name,
                _LENGTH.pack(len(state)),
                state,
            )
        )
    ).digest()


class ChainTable:
    """The SQL of the chain table beside an events table: create, append, migrate, read."""

    def __init__(self, schema: str, events_table: str) -> None:
        self.events = Identifier(schema, events_table)
        self.table = Identifier(schema, events_table + "_chain")
        about = (
            "The audit trail's hash chain: one link per stored event (service/chain.py says "
            "how a link is computed)."
        )
        self.create_statements: list[Composed] = [
            SQL(
                "CREATE TABLE IF NOT EXISTS {} (position bigint PRIMARY KEY, "
                "prev_position bigint, hash bytea NOT NULL)"
            ).format(self.table),
            SQL("COMMENT ON TABLE {} IS {}").format(self.table, Literal(about)),
        ]
        self.checkpoints = CheckpointTable(schema, events_table)  # the chain's signed heads
        self.create_statements += self.checkpoints.create_statements
        self.select_head = SQL(
            "SELECT position, hash FROM {} ORDER BY position DESC LIMIT 1"
        ).format(self.table)
        self.insert_links = SQL(
            "INSERT INTO {} (position, prev_position, hash) "
            "SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::bytea[])"
        ).format(self.table)
        self.select_events = SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM {} WHERE notification_id >= %s ORDER BY notification_id"
        ).format(self.events)
        self.select_links = SQL(
            "SELECT position, prev_position, hash FROM {} WHERE position >= %s ORDER BY position"
        ).format(self.table)
        self.select_link_at = SQL("SELECT position, hash FROM {} WHERE position = %s").format(
            self.table
        )
        self.select_link_before = SQL(
            "SELECT position, hash FROM {} WHERE position < %s ORDER BY position DESC LIMIT 1"
        ).format(self.table)
        self.lock_events = SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(self.events)
        # `link`, in SQL: int8send and uuid_send give the big-endian bytes that _FIXED packs. A
        # link is the running aggregate `chained` over the head's link and then each event's
        # bytes in position order: with a strict step and no initial state, the aggregate
        # starts from its first input (the head's link) and applies sha256(link || bytes) to
        # each row after it, once per row (a recursive query looked up each next row in turn,
        # quadratic in the events of one save).
        step = Identifier(schema, events_table + "_chain_step")
        chained = Identifier(schema, events_table + "_chained")
        self.create_statements += [
            SQL(
                "CREATE OR REPLACE FUNCTION {}(link bytea, piece bytea) RETURNS bytea "
                "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS 'SELECT sha256(link || piece)'"
            ).format(step),
            SQL("CREATE OR REPLACE AGGREGATE {}(bytea) (SFUNC = {}, STYPE = bytea)").format(
                chained, step
            ),
        ]
        self.insert_computed_links = SQL(
            "WITH fresh AS ("
            " SELECT e.notification_id AS position, convert_to(e.topic, 'UTF8') AS topic,"
            " e.originator_id, e.originator_version, e.state"
            " FROM {events} e JOIN unnest(%s::uuid[], %s::bigint[]) AS k(id, version)"
            " ON e.originator_id = k.id AND e.originator_version = k.version),"
            " head AS (SELECT position, hash FROM {chain} ORDER BY position DESC LIMIT 1),"
            " pieces AS ("
            " SELECT true AS is_head, h.position, coalesce(h.hash, %s::bytea) AS piece"
            " FROM (SELECT 1) AS one LEFT JOIN head h ON true"
            " UNION ALL"
            " SELECT false, f.position, int8send(f.position) || uuid_send(f.originator_id)"
            " || int8send(f.originator_version::bigint) || int4send(length(f.topic)) || f.topic"
            " || int4send(length(f.state)) || f.state"
            " FROM fresh f),"
            " links AS ("
            " SELECT is_head, position, lag(position) OVER w AS prev_position,"
            " {chained}(piece) OVER w AS hash"
            " FROM pieces WINDOW w AS (ORDER BY is_head DESC, position ROWS UNBOUNDED PRECEDING))"
            " INSERT INTO {chain} (position, prev_position, hash)"
            " SELECT position, prev_position, hash FROM links WHERE NOT is_head"
        ).format(events=self.events, chain=self.table, chained=chained)

    def append(self, curs: Cursor[Any], stored: Sequence[StoredEvent]) -> None:
        """Chain the events just stored, in position order, from the chain's head. In the
        events' transaction, after their table lock is taken (so the head cannot move) and
        their insert: the database reads them back and computes their links itself."""
        ids = [event.originator_id for event in stored]
        versions = [event.originator_version for event in stored]
        curs.execute(self.insert_computed_links, (ids, versions, GENESIS), prepare=True)

    def migrate(self, conn: Connection[Any]) -> int:
        """Chain the events stored before there was a chain; once: a store whose chain has
        begun has nothing to migrate. Returns how many events it chained."""
        if conn.execute(SQL("SELECT 1 FROM {} LIMIT 1").format(self.table)).fetchone():
            return 0
        if not conn.execute(SQL("SELECT 1 FROM {} LIMIT 1").format(self.events)).fetchone():
            return 0
        chained = 0
        with conn.transaction():
            conn.execute(self.lock_events)
            if conn.execute(SQL("SELECT 1 FROM {} LIMIT 1").format(self.table)).fetchone():
                return 0  # another process did it while this one waited for the lock
            previous: tuple[int | None, bytes] = (None, GENESIS)
            with (
                conn.cursor(name="chain_migration", row_factory=tuple_row) as events,
                conn.cursor() as writer,
            ):
                events.execute(self.select_events, (0,))
                while rows := events.fetchmany(MIGRATION_BATCH):
                    batch = _links(previous, (_stored(row) for row in rows))
                    self._insert(writer, batch)
                    previous = (batch[-1][0], batch[-1][2])
                    chained += len(batch)
        return chained

    def _insert(self, curs: Cursor[Any], links: list[tuple[int, int | None, bytes]]) -> None:
        positions, previous, hashes = zip(*links, strict=True)
        curs.execute(self.insert_links, (list(positions), list(previous), list(hashes)))


def _stored(row: tuple[Any, ...]) -> tuple[int, StoredEvent]:
    position, aggregate_id, version, topic, state = row
    return position, StoredEvent(aggregate_id, version, topic, bytes(state))


def _links(
    previous: tuple[int | None, bytes], stored: Iterable[tuple[int, StoredEvent]]
) -> list[tuple[int, int | None, bytes]]:
    """(position, previous position, link) for each event, in position order, chained from
    `previous` (the head's position and link)."""
    links = []
    position_before, hash_before = previous
    for position, event in stored:
        aggregate_id = event.originator_id
        assert isinstance(aggregate_id, UUID)
        digest = link(
            hash_before, position, aggregate_id, event.originator_version, event.topic, event.state
        )
        links.append((position, position_before, digest))
        position_before, hash_before = position, digest
    return links
