"""Views rebuilt when their code changes, while the old rows keep serving.

Each projection declares the `version` of the code that builds its rows (`projections.base`), and
the tracking table records the version that built each view's rows. A runner (inline in the
service, `projections run` or `catch-up`, a parallel worker) that finds a view built by an older
version than its code:

1. starts a rebuild: fresh tables `reporting.<table>__v<version>` and a row in
   `reporting.rebuilds`, in one transaction. Creating tables takes the schema owner's rights, which
   the service's own role (`polarity_app`) lacks, so `prepare` starts them too, at every start, as
   the configured user;
2. fills the fresh tables from event zero, a step of events per transaction. A step locks the
   rebuild's row (`FOR UPDATE SKIP LOCKED`), so one runner at a time fills a view, and commits the
   rows with the position they reach: a crash rolls one step back and the next runner goes on;
3. once they reach the head, swaps them in, in one transaction: the view's tracking row locked, the
   last events applied, the live tables' rows replaced by the fresh tables' rows, the tracking row
   given the new version and position, and the events the rebuild set aside put in place of the
   view's. The fresh tables are dropped after (emptied, when the runner may not drop them; the
   next `prepare` drops them).

Meanwhile the old tables serve every read and the runners keep applying new events to them, with
the new code: they stay current, so a read that waits for a write (`consistentWith`) is not held
up by a rebuild; rows from before the upgrade stay the old code's until the swap.

The swap copies rows rather than renaming tables. The live tables keep their identity, so the BI
views over them (which PostgreSQL binds to a table, not to its name), their grants and comments
stay as they are; the service's role, which may write rows but not rename or drop tables, can do
it; and no reader is locked out: until the commit readers see the old rows, after it the new ones
(a rename takes an ACCESS EXCLUSIVE lock, which queues behind a long BI query and holds up every
read behind it). It asks that the live tables have the fresh ones' columns, as the new code's
writes to them do anyway: `prepare` adds new columns to them, written in the DDL as
`ALTER TABLE ... ADD COLUMN IF NOT EXISTS`. A rebuild whose tables do not fit is refused, with a
line in the log; `polarity projections rebuild NAME` as the owner replaces the tables instead.

A runner whose code is older than a view's version (an old process during a rolling upgrade)
leaves the view alone: it neither applies it nor rebuilds it back."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg.errors import InsufficientPrivilege
from psycopg.sql import SQL, Identifier, Literal

from projections.base import SCHEMA, TRACKING, Projection, Tables
from projections.docs import REBUILDS as REBUILDS_COLUMNS
from projections.rows import Layout
from service import set_aside
from service.refill import REBUILDS, Connection, Cursor, Refill, fresh_tables, suffix

if TYPE_CHECKING:
    from service.projector import Projector

log = logging.getLogger("polarity.projections")

QUIET_SECONDS = 1.0  # between looks for views to rebuild, after one found none
FRESH = re.compile(r"^(?P<table>\w+)__v(?P<version>[0-9]+)$")  # a rebuild's table, by its name


@dataclass(frozen=True)
class Rebuilding:
    """A rebuild under way: the version it builds, and the last position it applied."""

    version: int
    position: int
    stopped_at: int | None = None  # a damaged event's position, which it stopped before


class Refused(Exception):
    """A rebuild whose fresh tables would not fit the live ones it is to be copied into."""


def create(cursor: psycopg.Cursor[Any]) -> None:
    cursor.execute(
        SQL(
            "CREATE TABLE IF NOT EXISTS {} (projection text PRIMARY KEY, version integer NOT NULL, "
            "position bigint NOT NULL DEFAULT 0, token uuid, stopped_at bigint, "
            "started_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz)"
        ).format(REBUILDS)
    )
    about = "Views being rebuilt because their code's version changed (one row per view)."
    cursor.execute(SQL("COMMENT ON TABLE {} IS {}").format(REBUILDS, Literal(about)))
    for column, _, meaning in REBUILDS_COLUMNS:
        cursor.execute(
            SQL("COMMENT ON COLUMN {}.{} IS {}").format(
                REBUILDS, Identifier(column), Literal(meaning)
            )
        )


def under_way(cursor: Cursor) -> dict[str, Rebuilding]:
    cursor.execute(SQL("SELECT projection, version, position, stopped_at FROM {}").format(REBUILDS))
    return {row.pop("projection"): Rebuilding(**row) for row in cursor.fetchall()}


class Versions:
    """Brings each view of a projector to the version of its code."""

    def __init__(self, projector: Projector) -> None:
        self.projector = projector
        self.refill = Refill(projector)
        self._told: set[str] = set()  # what this process has logged already
        self._unable: set[str] = set()  # views whose rebuild this process may not start
        self._quiet_until = 0.0  # monotonic time before which `advance` need not look

    # At start, and in the runner's loop ------------------------------------------------------

    def start(self) -> None:
        """Drop the fresh tables no rebuild needs any more; start the rebuilds this code calls
        for. `prepare` runs it at every start, as the configured user, who may create tables."""
        with self.projector.connect() as conn:
            self._sweep(conn)
            for projection, rebuilding in self._outdated(conn):
                self._started(conn, projection, rebuilding)

    def advance(self, conn: Connection) -> int:
        """Start the rebuilds this code calls for, take a step of each (or swap it in, once it
        has reached the head); returns the events applied.

        Once it has found every view built by its code's version, it looks again only after
        QUIET_SECONDS: a live runner calls it after every batch, often of one event, and the
        look is a transaction of two statements."""
        if time.monotonic() < self._quiet_until:
            return 0
        applied, outdated = 0, False
        for projection, rebuilding in self._outdated(conn):
            outdated = True
            if self._started(conn, projection, rebuilding):
                applied += self.refill.step(conn, projection)
        if not outdated:
            self._quiet_until = time.monotonic() + QUIET_SECONDS
        return applied

    def abandon(self, cursor: Cursor, projection: Projection) -> None:
        """Give up the view's rebuild to this code's version or an older one: a rebuild by hand
        has just built it with this code."""
        cursor.execute(
            SQL("SELECT version FROM {} WHERE projection = %s AND version <= %s FOR UPDATE").format(
                REBUILDS
            ),
            (projection.name, projection.version),
        )
        if (row := cursor.fetchone()) is not None:
            self._drop(cursor, projection, row["version"])

    def _outdated(self, conn: Connection) -> Iterator[tuple[Projection, Rebuilding | None]]:
        """The views built by an older version than their code's, with their rebuild, if any."""
        with conn.transaction(), conn.cursor() as cur:
            cur.execute(
                SQL("SELECT projection, version FROM {} WHERE projection = ANY(%s)").format(
                    TRACKING
                ),
                (list(self.projector.projections),),
            )
            built = {row["projection"]: row["version"] for row in cur.fetchall()}
            rebuilds = under_way(cur)
        for name, version in built.items():
            projection = self.projector.projections[name]
            if version < projection.version:
                yield projection, rebuilds.get(name)
            elif version > projection.version:
                self._tell(
                    f"view {name} was built by version {version}, newer than this code's "
                    f"{projection.version}: this runner leaves it to runners of the newer code "
                    f"(`polarity projections rebuild {name}` builds it with this code)"
                )

    def _started(
        self, conn: Connection, projection: Projection, rebuilding: Rebuilding | None
    ) -> bool:
        """Whether a rebuild to this code's version is under way, starting it if need be."""
        if rebuilding is not None and rebuilding.version >= projection.version:
            return rebuilding.version == projection.version and rebuilding.stopped_at is None
        if projection.name in self._unable:
            return False
        try:
            with conn.transaction(), conn.cursor() as cur:
                self._start(cur, projection)
        except InsufficientPrivilege:
            self._unable.add(projection.name)
            self._tell(
                f"view {projection.name} was built by an older version than this code's "
                f"{projection.version}, and this runner may not create the tables to rebuild it "
                "in: the service's next start, `polarity db init` or `polarity projections "
                "catch-up` as the schema's owner starts the rebuild, and runners then fill it"
            )
            return False
        except Refused as refused:
            self._unable.add(projection.name)
            self._tell(str(refused))
            return False
        return True

    def _start(self, cur: Cursor, projection: Projection) -> None:
        name = projection.name
        cur.execute(SQL("SELECT version FROM {} WHERE projection = %s").format(TRACKING), (name,))
        if (built := cur.fetchone()) is None or built["version"] >= projection.version:
            return  # rebuilt meanwhile
        cur.execute(
            SQL("SELECT version FROM {} WHERE projection = %s FOR UPDATE").format(REBUILDS), (name,)
        )
        if (row := cur.fetchone()) is not None:
            if row["version"] >= projection.version:  # started meanwhile, or a newer code's
                return
            self._drop(cur, projection, row["version"])  # an older code's: this one replaces it
        cur.execute(
            SQL(
                "INSERT INTO {} (projection, version) VALUES (%s, %s) "
                "ON CONFLICT (projection) DO NOTHING RETURNING projection"
            ).format(REBUILDS),
            (name, projection.version),
        )
        if cur.fetchone() is None:  # another runner started it first
            return
        fresh = fresh_tables(projection)
        for table in fresh.values():
            cur.execute(SQL("DROP TABLE IF EXISTS {}").format(table))
        projection.create(cur, fresh)
        if misfits := _misfits(cur, projection, fresh):
            raise Refused(
                f"view {name} cannot be rebuilt to version {projection.version} in place: its "
                f"live tables lack, or type otherwise, {misfits}. Add those to the live tables in "
                "its DDL (ALTER TABLE ... ADD COLUMN IF NOT EXISTS), or replace its tables with "
                f"`polarity projections rebuild {name}`"
            )
        log.info("rebuilding view %s with version %d of its code", name, projection.version)

    # Fresh tables -----------------------------------------------------------------------------

    def _drop(self, cur: Cursor, projection: Projection, version: int) -> None:
        """A rebuild given up: its fresh tables, the events it set aside, its row."""
        for table in fresh_tables(projection, version).values():
            cur.execute(SQL("DROP TABLE IF EXISTS {}").format(table))
        cur.execute(
            SQL("DELETE FROM {} WHERE projection = %s").format(set_aside.TABLE),
            (projection.name + suffix(version),),
        )
        cur.execute(
            SQL("DELETE FROM {} WHERE projection = %s").format(REBUILDS), (projection.name,)
        )

    def _sweep(self, conn: Connection) -> None:
        """Drop the fresh tables that no rebuild under way fills."""
        views = {table: p for p in self.projector.projections.values() for table in p.tables}
        try:
            with conn.transaction(), conn.cursor() as cur:
                cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (SCHEMA,))
                found = [FRESH.match(row["tablename"]) for row in cur.fetchall()]
                rebuilds = under_way(cur)  # read after the tables: a rebuild started since
                for match in found:  # made its tables and its row in one transaction
                    if match is None or match["table"] not in views:
                        continue
                    projection = views[match["table"]]
                    rebuilding = rebuilds.get(projection.name)
                    if rebuilding is None or rebuilding.version != int(match["version"]):
                        table = Identifier(SCHEMA, match.group(0))
                        cur.execute(SQL("DROP TABLE IF EXISTS {}").format(table))
        except InsufficientPrivilege:
            log.info("connected as a role that may not drop tables: fresh tables left for later")

    def _tell(self, message: str) -> None:
        """A warning, once a process: runners look again at every batch."""
        if message not in self._told:
            self._told.add(message)
            log.warning("%s", message)


def _misfits(cur: Cursor, projection: Projection, fresh: Tables) -> str:
    """The fresh tables' columns that the live ones lack, or hold with another type, and the
    keys that differ; empty when the fresh rows fit the live tables."""
    misfits = []
    for table in projection.tables:
        new = Layout.read(cur, table, SCHEMA, table + fresh.suffix)
        old = Layout.read(cur, table, SCHEMA, table)
        have = dict(zip(old.columns, old.types, strict=True))
        misfits += [
            f"{SCHEMA}.{table}.{column}"
            for column, type_ in zip(new.columns, new.types, strict=True)
            if have.get(column) != type_
        ]
        if new.key != old.key:
            misfits.append(f"the primary key of {SCHEMA}.{table}")
    return ", ".join(misfits)
