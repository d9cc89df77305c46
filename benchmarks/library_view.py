"""One small view kept by eventsourcing's own ProjectionRunner, the way the library intends it."""

from __future__ import annotations

import time
from typing import Any

import psycopg
from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.projection import Projection, ProjectionRunner
from eventsourcing.utils import EnvType
from psycopg.conninfo import make_conninfo
from psycopg.sql import SQL, Composed, Identifier

from domain.improvement import ImprovementItem
from domain.initiative import Initiative
from service.application import Polarity
from service.database import Database

POLL_SECONDS = 0.02


class PolarityFromEnv(Polarity):
    """Polarity constructed from an environment, as the library's runners construct apps."""

    name = "Polarity"  # the same events table and tracking name as the service's

    def __init__(self, env: EnvType | None = None) -> None:
        settings = dict(env or {})
        conninfo = make_conninfo(
            dbname=settings["POSTGRES_DBNAME"],
            host=settings["POSTGRES_HOST"],
            port=settings["POSTGRES_PORT"],
            user=settings["POSTGRES_USER"],
            password=settings.get("POSTGRES_PASSWORD") or None,
        )
        super().__init__(Database(conninfo))


class WorkItemsView(PostgresTrackingRecorder):
    """A portfolio-like table: one row per work item with its title, event count and last event.
    Each command records the view's change and its tracking row in one transaction."""

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        table = Identifier(datastore.schema, self.tracking_table_name.removesuffix("_tracking"))
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {} (id uuid PRIMARY KEY, kind text NOT NULL, "
                "title text NOT NULL, events integer NOT NULL, last_event text NOT NULL, "
                "position bigint NOT NULL)"
            ).format(table)
        )
        self.insert_item = SQL(
            "INSERT INTO {} (id, kind, title, events, last_event, position) "
            "VALUES (%s, %s, %s, 1, %s, %s) ON CONFLICT (id) DO NOTHING"
        ).format(table)
        self.update_item = SQL(
            "UPDATE {} SET events = events + 1, last_event = %s, position = %s WHERE id = %s"
        ).format(table)

    def created(self, event: Any, kind: str, tracking: Tracking) -> None:
        params = (event.originator_id, kind, event.title, _name(event), tracking.notification_id)
        self._record(self.insert_item, params, tracking)

    def changed(self, event: Any, tracking: Tracking) -> None:
        params = (_name(event), tracking.notification_id, event.originator_id)
        self._record(self.update_item, params, tracking)

    def _record(self, statement: Composed, params: tuple[Any, ...], tracking: Tracking) -> None:
        with self.datastore.transaction(commit=True) as curs:
            self._insert_tracking(curs, tracking)
            curs.execute(statement, params, prepare=True)


def _name(event: Any) -> str:
    return type(event).__qualname__


class WorkItems(Projection[WorkItemsView]):
    name = "workitems"

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.insert_tracking(tracking)  # teams and objectives: only the position moves

    @process_event.register
    def proposed(self, domain_event: Initiative.Proposed, tracking: Tracking) -> None:
        self.view.created(domain_event, "initiative", tracking)

    @process_event.register
    def raised(self, domain_event: ImprovementItem.Raised, tracking: Tracking) -> None:
        self.view.created(domain_event, "improvement_item", tracking)

    @process_event.register
    def initiative_changed(self, domain_event: Initiative.Event, tracking: Tracking) -> None:
        self.view.changed(domain_event, tracking)

    @process_event.register
    def item_changed(self, domain_event: ImprovementItem.Event, tracking: Tracking) -> None:
        self.view.changed(domain_event, tracking)


def view_totals(database: Database) -> tuple[int, int]:
    """Rows in the view and the events they count: work items, and their events."""
    table = Identifier(WorkItems.name)
    with psycopg.connect(database.conninfo) as conn:
        row = conn.execute(SQL("SELECT count(*), sum(events) FROM {}").format(table)).fetchone()
    return (int(row[0]), int(row[1] or 0)) if row else (0, 0)


def catch_up_with_runner(database: Database, head: int) -> float:
    """Seconds from starting a ProjectionRunner on an empty view until it has tracked `head`."""
    env = database.eventsourcing_env()
    started = time.perf_counter()
    with ProjectionRunner(
        application_class=PolarityFromEnv,
        projection_class=WorkItems,
        view_class=WorkItemsView,
        env=env,
    ) as runner:
        while (runner.view.max_tracking_id(runner.app_name) or 0) < head:
            runner.run_forever(timeout=POLL_SECONDS)  # re-raises the runner's error, if any
            if runner.is_interrupted.is_set():
                raise RuntimeError("the projection runner stopped before reaching the head")
        return time.perf_counter() - started
