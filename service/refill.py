"""A rebuild's fresh tables filled a step at a time, then their rows swapped in for the live ones
(`service.versions` says when and why)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

import psycopg
from eventsourcing.persistence import Notification
from psycopg.errors import InsufficientPrivilege
from psycopg.sql import SQL, Identifier

from projections.base import SCHEMA, TRACKING, Projection, Tables
from projections.rows import Layout, State
from service import damage, set_aside
from service.collector import collector_paused
from service.set_aside import Apart, SetAside

if TYPE_CHECKING:
    from service.projector import Projector

log = logging.getLogger("polarity.projections")

REBUILDS = Identifier(SCHEMA, "rebuilds")  # each rebuild under way: its version and position
STEP_SIZE = 10_000  # events a rebuild applies per transaction: the live views wait one step at most
Cursor = psycopg.Cursor[dict[str, Any]]
Connection = psycopg.Connection[dict[str, Any]]


def suffix(version: int) -> str:
    """What the names of a rebuild's fresh tables end with."""
    return f"__v{version}"


def fresh_tables(projection: Projection, version: int | None = None) -> Tables:
    """The tables a rebuild of the view to `version` (its code's, by default) fills."""
    return Tables(projection.tables, suffix(version or projection.version))


class Refill:
    """Takes the steps of the rebuilds of a projector's views, and swaps them in."""

    def __init__(self, projector: Projector) -> None:
        self.projector = projector
        self._held: dict[str, tuple[UUID, State]] = {}  # view -> (token written, fresh rows)

    def step(self, conn: Connection, projection: Projection) -> int:
        """A step of the rebuild, unless another runner is taking one; once it reaches the
        head (fewer events were left than a step takes), the swap. Not only after a step that
        found nothing: while writes go on, every step may find a few new events."""
        with self._transaction(conn, projection) as cur:
            at = self._lock(cur, projection)
            if at is None:
                return 0
            notifications, damaged = self.projector.read_checked(cur, at[0], self.step_size)
            applied, aside = self._apply(cur, projection, at, notifications, damaged)
        set_aside.announce(aside)
        if len(notifications) < self.step_size:  # the swap applies what came since
            applied += self._swap(conn, projection)
        return applied

    def _swap(self, conn: Connection, projection: Projection) -> int:
        """Apply the last events and put the fresh tables' rows in place of the live ones."""
        with self._transaction(conn, projection) as cur:
            cur.execute(  # waits for a batch applying the live tables to end
                SQL("SELECT 1 FROM {} WHERE projection = %s FOR UPDATE").format(TRACKING),
                (projection.name,),
            )
            applied, aside, reached = self._catch_up(cur, projection)
            if reached is not None:
                self._replace(cur, projection, reached)
        set_aside.announce(aside)
        if reached is not None:
            self._held.pop(projection.name, None)
            self.discard(conn, projection)
            log.info("view %s: version %d swapped in", projection.name, projection.version)
        return applied

    def _catch_up(
        self, cur: Cursor, projection: Projection
    ) -> tuple[int, list[SetAside], int | None]:
        """Every event left, applied to the fresh tables: the events applied and set aside, and
        the position reached (None: another runner holds the rebuild, or it has stopped)."""
        applied, aside = 0, list[SetAside]()
        while (at := self._lock(cur, projection)) is not None:
            notifications, damaged = self.projector.read_checked(cur, at[0], self.step_size)
            if not notifications:
                return applied, aside, at[0]
            count, more = self._apply(cur, projection, at, notifications, damaged)
            applied, aside = applied + count, aside + more
        return applied, aside, None

    def _lock(self, cur: Cursor, projection: Projection) -> tuple[int, UUID | None] | None:
        """The rebuild's position and token, its row locked; None while another runner holds
        it, or once it has stopped."""
        cur.execute(
            SQL(
                "SELECT position, token FROM {} WHERE projection = %s AND version = %s "
                "AND stopped_at IS NULL FOR UPDATE SKIP LOCKED"
            ).format(REBUILDS),
            (projection.name, projection.version),
        )
        row = cur.fetchone()
        return None if row is None else (row["position"], row["token"])

    def _apply(
        self,
        cur: Cursor,
        projection: Projection,
        at: tuple[int, UUID | None],
        notifications: list[Notification],
        damaged: list[damage.Found],
    ) -> tuple[int, list[SetAside]]:
        """Apply the events to the fresh tables and move the rebuild past them, or to just
        before a damaged event, where it stops. Returns the events applied, and set aside."""
        if not notifications:
            return 0, []
        name, (position, token) = projection.name, at
        stop = self.projector.stops(damaged, notifications, {name: at}).get(name)
        forged = {found.position for found in damaged}
        trusted = [n for n in notifications if n.id not in forged and (stop is None or n.id < stop)]
        state = self._state(cur, projection, token)
        view = Apart(projection, fresh_tables(projection), state, self.projector.decode)
        view.apply(cur, trusted, position)
        key = name + suffix(projection.version)  # the view's own list is replaced at the swap
        set_aside.store(cur, [replace(entry, projection=key) for entry in view.set_aside])
        token = uuid4()
        cur.execute(
            SQL(
                "UPDATE {} SET position = %s, token = %s, stopped_at = %s, updated_at = now() "
                "WHERE projection = %s"
            ).format(REBUILDS),
            (notifications[-1].id if stop is None else stop - 1, token, stop, name),
        )
        self._held[name] = (token, view.state)
        if stop is not None:
            log.error("rebuilding %s stopped before position %s: integrity violation", name, stop)
        return len(trusted), view.set_aside

    def _replace(self, cur: Cursor, projection: Projection, position: int) -> None:
        """The swap's writes: the live rows, the events set aside, the tracking row; and the
        rebuild's row gone."""
        name, version = projection.name, projection.version
        for table, fresh in fresh_tables(projection).items():
            live = Identifier(SCHEMA, table)
            layout = Layout.read(cur, table, SCHEMA, table + suffix(version))
            columns = SQL(", ").join(map(Identifier, layout.columns))
            cur.execute(SQL("DELETE FROM {}").format(live))
            cur.execute(
                SQL("INSERT INTO {} ({}) SELECT {} FROM {}").format(live, columns, columns, fresh)
            )
        aside = set_aside.TABLE
        cur.execute(SQL("DELETE FROM {} WHERE projection = %s").format(aside), (name,))
        cur.execute(
            SQL("UPDATE {} SET projection = %s WHERE projection = %s").format(aside),
            (name, name + suffix(version)),
        )
        cur.execute(  # a new token: runners holding the old rows in memory read these
            SQL(
                "UPDATE {} SET position = %s, version = %s, token = %s, updated_at = now(), "
                "stopped_at = NULL WHERE projection = %s"
            ).format(TRACKING),
            (position, version, uuid4(), name),
        )
        cur.execute(SQL("DELETE FROM {} WHERE projection = %s").format(REBUILDS), (name,))

    @property
    def step_size(self) -> int:
        return min(self.projector.batch_size, STEP_SIZE)

    def _state(self, cur: Cursor, projection: Projection, token: UUID | None) -> State:
        """The fresh tables' rows as this runner left them, unless another has written since."""
        held = self._held.get(projection.name)
        if held is not None and token is not None and held[0] == token:
            return held[1]
        return projection.open(
            cur, fresh_tables(projection), self.projector.transcoder, self.projector.held_rows
        )

    @contextmanager
    def _transaction(self, conn: Connection, projection: Projection) -> Iterator[Cursor]:
        """A transaction on the view's rebuild, the collector paused, as a batch is applied."""
        try:
            with collector_paused(), conn.transaction(), conn.cursor() as cur:
                yield cur
        except BaseException:  # rolled back, or maybe: the tables are the truth, read them again
            self._held.pop(projection.name, None)
            raise

    def discard(self, conn: Connection, projection: Projection) -> None:
        """The fresh tables, swapped in: dropped, or emptied if this runner may not drop them
        (the service's role): `prepare` drops those at the next start (`Versions.start`)."""
        fresh = list(fresh_tables(projection).values())
        try:
            with conn.transaction(), conn.cursor() as cur:
                for table in fresh:
                    cur.execute(SQL("DROP TABLE IF EXISTS {}").format(table))
        except InsufficientPrivilege:
            with conn.transaction(), conn.cursor() as cur:
                cur.execute(SQL("TRUNCATE {}").format(SQL(", ").join(fresh)))
