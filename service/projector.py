"""Runs the projections: batches of events applied with their tracking positions, exactly once.

Each batch is one transaction. It locks the tracking rows of the projections it applies
(`FOR UPDATE SKIP LOCKED`, so a second runner skips what the first is applying), applies every
event after each projection's position, and moves the positions, so a crash at any point leaves
each view equal to a clean rebuild. It wakes on PostgreSQL notifications and also catches up on
a timer, so a lost notification never stalls it.

A runner keeps each view's rows in memory between batches (`projections.rows`), so applying an
event costs no statement; a batch writes only the rows it changed. Each commit stamps the
tracking row with a fresh token: a runner whose token is no longer there (another runner or a
rebuild wrote since, or its own batch failed) reads the view's tables again before applying.

A batch that fails, unless the database is unreachable, is applied again view by view: an event
a view cannot apply is found and set aside for that view alone, which goes on past it
(`service.set_aside`).

Each event is read with its link in the hash chain and checked against it (`service.damage`). A
view that would apply a damaged event (altered, inserted, or missing: any view could have
needed that one) stops before it: its tracking row says where (`stopped_at`), `projections
status` shows it, and the runner leaves it there until it is rebuilt. Other views go on."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import psycopg
from eventsourcing.persistence import Notification
from eventsourcing.utils import resolve_topic
from psycopg.pq import TransactionStatus
from psycopg.rows import dict_row, tuple_row
from psycopg.sql import SQL, Identifier, Literal

from projections.base import (
    REBUILD_SUFFIX,
    SCHEMA,
    TRACKING,
    Handler,
    Projection,
    Recorded,
    Tables,
)
from projections.bi import create_bi_views
from projections.docs import TRACKING as TRACKING_COLUMNS
from projections.rows import TURN_EVERY, State, write_all
from service import damage, set_aside, versions
from service.application import Polarity
from service.collector import collector_paused
from service.database import Database
from service.set_aside import OUTAGES, Apart, SetAside
from service.settings import projection_cache_rows

log = logging.getLogger("polarity.projections")

BATCH_SIZE = 100_000  # events per transaction while catching up: fewer rewrites of busy rows
CATCH_UP_SECONDS = 5.0
WAKE_CHECK_SECONDS = 0.25  # how often a waiting runner looks at its stop flag
# The shortest time from one wake-up's catch-up to the next: a query that waits for its own
# write polls the views this often (schema.consistency), so it rarely waits longer for it.
GATHER_SECONDS = 0.02
UNSTOPPED = 2**63  # past any position: a view that has not stopped
IDS_KEPT = 50_000  # aggregate ids kept as one object each (`Projector._ids`), about 8 MB


@dataclass(frozen=True)
class Status:
    projection: str
    position: int
    head: int
    lag_events: int
    lag_seconds: float
    updated_at: datetime | None
    set_aside: int = 0  # events the view could not apply and went on past
    first_set_aside: int | None = None  # the position of the first of them
    stopped_at: int | None = None  # a damaged event's position, which the view stopped before
    version: int = 1  # of the code that built the view's rows
    code_version: int = 1  # of the code at hand (`Projection.version`)
    rebuilding: versions.Rebuilding | None = None  # a rebuild to another version, under way


# The views of a batch, applied: each view's rows as they now are, and the events set aside.
Applied = tuple[dict[str, State], list[SetAside]]
Locked = dict[str, tuple[int, UUID | None]]  # view -> (its position, the token it was written with)
Stops = dict[str, int]  # view -> the position of the damaged event it stops before


class Projector:
    """Applies `projections` to the reporting schema of the application's database."""

    def __init__(
        self,
        app: Polarity,
        database: Database,
        projections: Sequence[Projection],
        batch_size: int = BATCH_SIZE,
        cache_rows: int | None = None,
    ) -> None:
        self.app = app
        self.transcoder = app.mapper.transcoder  # the views' JSON is written as the events are
        self.database = database
        self.projections = {p.name: p for p in projections}
        self.tables = {p.name: Tables(p.tables) for p in projections}
        self.batch_size = batch_size
        # The rows the views' tables hold in memory, shared out equally among the tables.
        budget = projection_cache_rows() if cache_rows is None else cache_rows
        tables = sum(len(p.tables) for p in projections) or 1
        self.held_rows = max(budget // tables, 1)
        self._held: dict[str, tuple[UUID, State]] = {}  # view -> (token written, its rows)
        # Each aggregate's id as the one object first decoded: the views' rows are held in dicts
        # by it, and a dict compares a key by identity before it calls UUID.__eq__ (in Python),
        # which a rebuild otherwise called about a dozen times an event.
        self._ids: dict[Any, Any] = {}
        recorder = app.store
        self.events = Identifier(recorder.datastore.schema or "public", recorder.events_table_name)
        self.channel = recorder.channel_name
        self.chained = damage.chained_read(recorder.datastore.schema, recorder.events_table_name)
        self.versions = versions.Versions(self)

    @contextmanager
    def connect(self, autocommit: bool = False) -> Iterator[psycopg.Connection[dict[str, Any]]]:
        with psycopg.connect(
            self.database.conninfo, row_factory=dict_row, autocommit=autocommit
        ) as conn:
            yield conn

    def setup(self) -> None:
        """Create the reporting schema, the tracking table and every view's tables."""
        with self.connect() as conn, conn.cursor() as cur:
            self.create_schema(cur)

    def create_schema(self, cur: psycopg.Cursor[Any]) -> None:
        """The statements of `setup`, on `cur`: each one idempotent."""
        cur.execute(SQL("CREATE SCHEMA IF NOT EXISTS {}").format(Identifier(SCHEMA)))
        cur.execute(
            SQL(
                "CREATE TABLE IF NOT EXISTS {} (projection text PRIMARY KEY, "
                "position bigint NOT NULL DEFAULT 0, version integer NOT NULL, "
                "updated_at timestamptz, token uuid)"
            ).format(TRACKING)
        )
        cur.execute(SQL("ALTER TABLE {} ADD COLUMN IF NOT EXISTS token uuid").format(TRACKING))
        cur.execute(
            SQL("ALTER TABLE {} ADD COLUMN IF NOT EXISTS stopped_at bigint").format(TRACKING)
        )
        cur.execute(  # there from the start; were it not, rows built before it are version 1
            SQL(
                "ALTER TABLE {} ADD COLUMN IF NOT EXISTS version integer NOT NULL DEFAULT 1"
            ).format(TRACKING)
        )
        self._describe_tracking(cur)
        set_aside.create(cur)
        versions.create(cur)
        for projection in self.projections.values():
            projection.create(cur, Tables(projection.tables))
            cur.execute(
                SQL(
                    "INSERT INTO {} (projection, version) VALUES (%s, %s) "
                    "ON CONFLICT (projection) DO NOTHING"
                ).format(TRACKING),
                (projection.name, projection.version),
            )
        create_bi_views(cur, list(self.projections.values()))

    @staticmethod
    def _describe_tracking(cur: psycopg.Cursor[Any]) -> None:
        about = "How far each projection has applied the event store (one row per view)."
        cur.execute(SQL("COMMENT ON TABLE {} IS {}").format(TRACKING, Literal(about)))
        for column, _, meaning in TRACKING_COLUMNS:
            cur.execute(
                SQL("COMMENT ON COLUMN {}.{} IS {}").format(
                    TRACKING, Identifier(column), Literal(meaning)
                )
            )

    # Catching up ------------------------------------------------------------------------------

    def catch_up(
        self,
        stop: threading.Event | None = None,
        conn: psycopg.Connection[dict[str, Any]] | None = None,
    ) -> int:
        """Apply batches until every projection is at the head, each batch followed by a step of
        each view's rebuild to its code's version (`service.versions`); returns events applied.
        On `conn` if given, else on a connection of its own."""
        applied = 0
        with nullcontext(conn) if conn is not None else self.connect() as conn:
            while not (stop and stop.is_set()):
                count = self._apply_next_batch(conn, list(self.projections))
                stepped = self.versions.advance(conn)
                applied += count + stepped
                if count < self.batch_size and stepped == 0:
                    break  # the batch read up to the head: no second look to find nothing
        return applied

    def run_batch(self, names: Sequence[str] | None = None) -> int:
        """One transaction: lock tracking rows, apply the next batch, advance the positions."""
        with self.connect() as conn:
            return self._apply_next_batch(conn, names or list(self.projections))

    def _apply_next_batch(
        self, conn: psycopg.Connection[dict[str, Any]], names: Sequence[str]
    ) -> int:
        """The next batch, applied to every view at once; if that fails, and not for want of
        the database, applied again view by view, setting aside what a view cannot apply."""
        try:
            return self._batch(conn, names, self._together)
        except OUTAGES:
            raise
        except Exception as error:
            log.warning(
                "a projection batch failed (%s); applying it view by view",
                set_aside.described(error),
            )
        return self._batch(conn, names, self._apart)  # out of the handler: not its context

    def _batch(
        self,
        conn: psycopg.Connection[dict[str, Any]],
        names: Sequence[str],
        apply: Callable[
            [psycopg.Cursor[dict[str, Any]], list[Notification], Locked, Stops], Applied
        ],
    ) -> int:
        try:
            with collector_paused(), conn.transaction(), conn.cursor() as cur:
                locked = self._lock(cur, names)
                if not locked:
                    return 0
                after = min(position for position, _ in locked.values())
                notifications, damaged = self.read_checked(cur, after, self.batch_size)
                if not notifications:
                    return 0
                last = notifications[-1].id
                stops = self.stops(damaged, notifications, locked)
                forged = {found.position for found in damaged}  # never decoded, never applied
                trusted = [n for n in notifications if n.id not in forged]
                states, aside = apply(cur, trusted, locked, stops)
                set_aside.store(cur, aside)
                token = uuid4()
                self._advance(cur, locked, last, stops, token)
                for name, state in states.items():
                    self._held[name] = (token, state)
        except BaseException:
            for name in names:  # rolled back, or maybe: the tables are the truth, read them again
                self._held.pop(name, None)
            raise
        set_aside.announce(aside)
        for name, position in stops.items():
            log.error("view %s stopped before position %s: integrity violation", name, position)
        return len(notifications)

    def stops(
        self, damaged: list[damage.Found], notifications: list[Notification], locked: Locked
    ) -> Stops:
        """Where each view stops: before the first damaged event it would apply (a missing
        one, any view might have)."""
        topics = {n.id: n.topic for n in notifications}
        stops: Stops = {}
        for found in damaged:
            for name, (position, _) in locked.items():
                if name in stops or position >= found.position:
                    continue
                if self._would_apply(name, topics.get(found.position)):
                    stops[name] = found.position
        return stops

    def _would_apply(self, name: str, topic: str | None) -> bool:
        if topic is None:  # missing: which views needed it is unknown
            return True
        try:
            event_class = resolve_topic(topic)
        except Exception:  # a forged topic
            return True
        return self.projections[name].applies_to(event_class)

    @staticmethod
    def _advance(
        cur: psycopg.Cursor[dict[str, Any]], locked: Locked, last: int, stops: Stops, token: UUID
    ) -> None:
        """Move each view's position to the batch's last, or to just before where it stopped."""
        going = [name for name in locked if name not in stops]
        cur.execute(
            SQL(
                "UPDATE {} SET position = %s, token = %s, updated_at = now() "
                "WHERE projection = ANY(%s)"
            ).format(TRACKING),
            (last, token, going),
        )
        for name, stop in stops.items():
            cur.execute(
                SQL(
                    "UPDATE {} SET position = %s, stopped_at = %s, token = %s, "
                    "updated_at = now() WHERE projection = %s"
                ).format(TRACKING),
                (stop - 1, stop, token, name),
            )

    def _together(
        self,
        cur: psycopg.Cursor[dict[str, Any]],
        notifications: list[Notification],
        locked: Locked,
        stops: Stops,
    ) -> Applied:
        """Every view at once, each event decoded once: the fast way, when nothing fails."""
        views = [
            (self.projections[name], self._state(cur, name, token), position)
            for name, (position, token) in locked.items()
        ]
        for _, state, _ in views:
            state.bind(cur)
        self._apply(cur, notifications, views, stops)
        write_all(cur, [state for _, state, _ in views])
        return {projection.name: state for projection, state, _ in views}, []

    def _apart(
        self,
        cur: psycopg.Cursor[dict[str, Any]],
        notifications: list[Notification],
        locked: Locked,
        stops: Stops,
    ) -> Applied:
        """Each view on its own, from its tables, setting aside each event it cannot apply."""
        states, aside = {}, []
        for name, (position, _) in locked.items():
            projection, tables = self.projections[name], self.tables[name]
            state = projection.open(cur, tables, self.transcoder, self.held_rows)
            view = Apart(projection, tables, state, self.decode)
            stop = stops.get(name)
            view.apply(cur, [n for n in notifications if stop is None or n.id < stop], position)
            states[name] = view.state
            aside += view.set_aside
        return states, aside

    def decode(self, notification: Notification) -> Recorded:
        return Recorded(notification.id, *self.app.mapper_with_envelopes.stamped(notification))

    def _state(self, cur: psycopg.Cursor[dict[str, Any]], name: str, token: UUID | None) -> State:
        """The view's rows as this runner left them, unless someone else has written since."""
        held = self._held.get(name)
        if held is not None and token is not None and held[0] == token:
            return held[1]
        return self.projections[name].open(cur, self.tables[name], self.transcoder, self.held_rows)

    def _lock(
        self, cur: psycopg.Cursor[dict[str, Any]], names: Sequence[str]
    ) -> dict[str, tuple[int, UUID | None]]:
        """The views' positions and tokens, their rows locked: those no other runner holds,
        not stopped, and not built by a newer version of their code (left to its runners)."""
        cur.execute(
            SQL(
                "SELECT t.projection, t.position, t.token FROM {} t "
                "JOIN unnest(%s::text[], %s::integer[]) AS c(projection, version) "
                "USING (projection) WHERE t.stopped_at IS NULL AND t.version <= c.version "
                "ORDER BY t.projection FOR UPDATE OF t SKIP LOCKED"
            ).format(TRACKING),
            (list(names), [self.projections[name].version for name in names]),
        )
        return {row["projection"]: (row["position"], row["token"]) for row in cur.fetchall()}

    def read_checked(
        self, cur: psycopg.Cursor[dict[str, Any]], after: int, limit: int
    ) -> tuple[list[Notification], list[damage.Found]]:
        """`_read`, each event checked against its link in the hash chain: the events, and
        every damaged position among them."""
        raw = cur.connection.cursor(row_factory=tuple_row, binary=True)  # no hex to decode
        raw.execute(self.chained.after(), (after, limit), prepare=True)
        rows = [damage.Row.of(row) for row in raw.fetchall()]
        notifications = [
            _notification(row.aggregate_id, row.version, row.topic, row.state, row.position)
            for row in rows
        ]
        return notifications, damage.in_positions(rows, after)

    def _apply(
        self,
        cur: psycopg.Cursor[dict[str, Any]],
        notifications: list[Notification],
        views: Sequence[tuple[Projection, State, int]],
        stops: Stops | None = None,
    ) -> None:
        """Each event to the views that handle its class and have not applied it yet (each view's
        position), and that have not stopped before it. An event that no view here handles is
        not even decoded. A few thousand events at a time: decoded, the rows of their aggregates
        read that the views do not hold, applied; then tables over their limit let rows go."""
        interested = Interested(views)
        mapper = self.app.mapper_with_envelopes
        same = self._ids.setdefault
        until = stops or {}
        # Mostly every view is behind the whole batch and none stops: nothing to check per event.
        first = notifications[0].id if notifications else UNSTOPPED
        checked = bool(until) or any(position >= first for _, _, position in views)
        for start in range(0, len(notifications), TURN_EVERY):
            decoded = []
            for notification in notifications[start : start + TURN_EVERY]:
                applying = interested[notification.topic]
                if applying:
                    recorded = Recorded(notification.id, *mapper.stamped(notification))
                    recorded.aggregate_id = same(recorded.aggregate_id, recorded.aggregate_id)
                    decoded.append((recorded, applying))
            if len(self._ids) > IDS_KEPT:
                self._ids.clear()
            ids = list({recorded.aggregate_id for recorded, _ in decoded})
            for _, state, _ in views:
                state.prefetch(ids)
            for recorded, applying in decoded:
                for handler, projection, state, position in applying:
                    if not checked or (
                        position < recorded.position < until.get(projection.name, UNSTOPPED)
                    ):
                        handler(projection, recorded, state)  # `projection.apply`, looked up
            for _, state, _ in views:
                state.turn(cur)

    # Running ----------------------------------------------------------------------------------

    def run(self, stop: threading.Event, interval: float = CATCH_UP_SECONDS) -> None:
        """Catch up, then wait for a notification or the timer, until `stop` is set."""
        while not stop.is_set():
            try:
                self._listen(stop, interval)
            except psycopg.OperationalError:
                if stop.is_set():
                    return
                log.exception("lost the database; reconnecting in %.1f s", interval)
                stop.wait(interval)

    def _listen(self, stop: threading.Event, interval: float) -> None:
        """Catch up on every wake-up. Under a stream of writes it wakes at most once every
        GATHER_SECONDS and applies what arrived meanwhile in one batch, not a batch per event
        (each batch's fixed cost is several statements): the notifications it waited out are
        read off before it catches up, since the catch-up reads every event they announced.
        Every wake-up catches up on the same connection: one opened per wake-up started a
        server process each time, its caches cold and its prepared statements gone."""
        with self.connect(autocommit=True) as listener, self.connect() as conn:
            listener.execute(SQL("LISTEN {}").format(Identifier(self.channel)))
            while not stop.is_set():
                began = time.monotonic()
                try:
                    self.catch_up(stop, conn)
                except psycopg.OperationalError:
                    raise
                except Exception:  # a bad batch must not kill the runner: log, wait, retry
                    log.exception("projection batch failed; retrying after %.1f s", interval)
                    if conn.info.transaction_status != TransactionStatus.IDLE:
                        conn.rollback()
                self._wait(listener, stop, interval)
                stop.wait(max(0.0, began + GATHER_SECONDS - time.monotonic()))
                for _ in listener.notifies(timeout=0.0):
                    pass  # announced events the coming catch-up reads anyway

    @staticmethod
    def _wait(listener: psycopg.Connection[Any], stop: threading.Event, interval: float) -> None:
        """Until a notification arrives, `stop` is set, or `interval` seconds pass."""
        deadline = time.monotonic() + interval
        while not stop.is_set() and time.monotonic() < deadline:
            slice_ = min(WAKE_CHECK_SECONDS, max(deadline - time.monotonic(), 0.0))
            if any(True for _ in listener.notifies(timeout=slice_, stop_after=1)):
                return

    def start(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(target=self.run, args=(stop,), name="projector", daemon=True)
        thread.start()
        return thread

    # Operations -------------------------------------------------------------------------------

    def status(self) -> list[Status]:
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute(SQL("SELECT max(notification_id) AS head FROM {}").format(self.events))
            head_row = cur.fetchone()
            head = (head_row or {}).get("head") or 0
            cur.execute(SQL("SELECT * FROM {} ORDER BY projection").format(TRACKING))
            rows = [r for r in cur.fetchall() if r["projection"] in self.projections]
            cur.execute(SQL("SELECT min(notification_id) AS first FROM {}").format(self.events))
            first = (cur.fetchone() or {}).get("first") or 0
            # A projection at position 0 is as far behind as the oldest event.
            since = {row["projection"]: row["position"] or first for row in rows}
            times = self._times(cur, {head, *since.values()} - {0})
            aside = set_aside.tallies(cur)
            rebuilds = versions.under_way(cur)
        return [
            Status(
                projection=row["projection"],
                position=row["position"],
                head=head,
                lag_events=head - row["position"],
                lag_seconds=_seconds_between(times.get(since[row["projection"]]), times.get(head)),
                updated_at=row["updated_at"],
                set_aside=aside.get(row["projection"], (0, None))[0],
                first_set_aside=aside.get(row["projection"], (0, None))[1],
                stopped_at=row.get("stopped_at"),
                version=row["version"],
                code_version=self.projections[row["projection"]].version,
                rebuilding=rebuilds.get(row["projection"]),
            )
            for row in rows
        ]

    def set_aside_events(self, name: str | None = None) -> list[SetAside]:
        """The events the view (or every view) could not apply, in position order."""
        with self.connect() as conn, conn.cursor() as cur:
            return set_aside.listed(cur, [name] if name else list(self.projections))

    def _times(self, cur: psycopg.Cursor[dict[str, Any]], positions: set[int]) -> dict[int, Any]:
        if not positions:
            return {}
        cur.execute(
            SQL(
                "SELECT originator_id, originator_version, topic, state, notification_id "
                "FROM {} WHERE notification_id = ANY(%s)"
            ).format(self.events),
            (sorted(positions),),
        )
        mapper = self.app.mapper_with_envelopes
        times = {}
        for row in cur.fetchall():
            notification = Notification(
                id=row["notification_id"],
                originator_id=row["originator_id"],
                originator_version=row["originator_version"],
                topic=row["topic"],
                state=bytes(row["state"]),
            )
            try:
                times[notification.id] = mapper.envelope(notification)[1].recorded_at
            except Exception:  # a damaged event: its time is unknown, the status still shows
                log.warning("position %s does not decode", notification.id)
        return times

    def rebuild(self, name: str, progress: Callable[[int, int], None] | None = None) -> int:
        """Refill one view into fresh tables, then swap them in: readers never see it half-built."""
        projection = self.projections[name]
        fresh = Tables(projection.tables, REBUILD_SUFFIX)
        with self.connect() as conn, conn.cursor() as cur:
            for table in projection.tables:
                cur.execute(SQL("DROP TABLE IF EXISTS {}").format(fresh[table]))
            projection.create(cur, fresh)
            cur.execute(SQL("SELECT max(notification_id) AS head FROM {}").format(self.events))
            head = (cur.fetchone() or {}).get("head") or 0
            state = projection.open(cur, fresh, self.transcoder, self.held_rows)
            view = Apart(projection, fresh, state, self.decode)
        position = self._fill(view, 0, head, progress)
        self._held.pop(name, None)
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute(
                SQL("SELECT position FROM {} WHERE projection = %s FOR UPDATE").format(TRACKING),
                (name,),
            )
            position = self._fill_in(cur, view, position, None)
            # Point the BI views at the fresh tables first: they follow the rename, grants kept.
            create_bi_views(cur, [projection], suffix=REBUILD_SUFFIX)
            for table in projection.tables:
                self._swap(cur, fresh, table)
            set_aside.replace(cur, name, view.set_aside)
            self.versions.abandon(cur, projection)  # built with this code: done
            cur.execute(  # a new token: runners holding the old rows in memory read these
                SQL(
                    "UPDATE {} SET position = %s, version = %s, token = %s, updated_at = now(), "
                    "stopped_at = NULL WHERE projection = %s"
                ).format(TRACKING),
                (position, projection.version, uuid4(), name),
            )
        set_aside.announce(view.set_aside)
        return position

    def _swap(self, cur: psycopg.Cursor[dict[str, Any]], fresh: Tables, table: str) -> None:
        """Replace the live table by the fresh one, indexes renamed to their usual names."""
        cur.execute(SQL("DROP TABLE IF EXISTS {}").format(Identifier(SCHEMA, table)))
        cur.execute(SQL("ALTER TABLE {} RENAME TO {}").format(fresh[table], Identifier(table)))
        cur.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = %s AND tablename = %s",
            (SCHEMA, table),
        )
        for row in cur.fetchall():
            name = row["indexname"]
            if REBUILD_SUFFIX in name:
                cur.execute(
                    SQL("ALTER INDEX {} RENAME TO {}").format(
                        Identifier(SCHEMA, name), Identifier(name.replace(REBUILD_SUFFIX, ""))
                    )
                )

    def _fill(
        self,
        view: Apart,
        position: int,
        head: int,
        progress: Callable[[int, int], None] | None,
    ) -> int:
        with self.connect() as conn:
            while position < head:
                with collector_paused(), conn.transaction(), conn.cursor() as cur:
                    position = self._fill_in(cur, view, position, head)
                if progress:
                    progress(position, head)
        return position

    def _fill_in(
        self, cur: psycopg.Cursor[dict[str, Any]], view: Apart, position: int, head: int | None
    ) -> int:
        """Apply one batch (up to `head`), or everything left when `head` is None; what the
        view cannot apply is set aside (`view.set_aside`), to be stored with the swap."""
        while True:
            notifications, damaged = self.read_checked(cur, position, self.batch_size)
            if head is not None:
                notifications = [n for n in notifications if n.id <= head]
                damaged = [found for found in damaged if found.position <= head]
            if damaged:  # a rebuild never applies what cannot be trusted
                raise damage.violation(damaged[0])
            if not notifications:
                return position
            view.apply(cur, notifications, position)
            position = notifications[-1].id
            if head is not None:
                return position


def _notification(
    aggregate_id: UUID, version: int, topic: str, state: bytes, position: int
) -> Notification:
    """`Notification(aggregate_id, version, topic, state, position)`, made without the frozen
    dataclass's __init__ (a call of object.__setattr__ a field): one is made per event read."""
    made: Notification = _new(Notification)
    fields = made.__dict__
    fields["originator_id"] = aggregate_id
    fields["originator_version"] = version
    fields["topic"] = topic
    fields["state"] = state
    fields["id"] = position
    return made


_new = object.__new__


def _seconds_between(earlier: datetime | None, later: datetime | None) -> float:
    if earlier is None or later is None:
        return 0.0
    return max(0.0, (later - earlier).total_seconds())


class Interested(dict[str, list[tuple[Handler, Projection, State, int]]]):
    """For each event topic, the views of a batch that handle its class, each with its handler
    of that class (found once per topic: an event applied costs no lookup)."""

    def __init__(self, views: Sequence[tuple[Projection, State, int]]) -> None:
        super().__init__()
        self.views = views

    def __missing__(self, topic: str) -> list[tuple[Handler, Projection, State, int]]:
        event_class = resolve_topic(topic)
        found = []
        for projection, state, position in self.views:
            handler = projection.handler(event_class)
            if handler is not None:
                found.append((handler, projection, state, position))
        self[topic] = found
        return found
