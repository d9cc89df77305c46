"""Objects: every initiative, improvement item, objective, team and approval request as its
events have made it.

The runner evolves each aggregate with the domain's own events, as loading it would, and stores
its state as the library's snapshot of it, in the JSON the event store is written in: the runner
hands this view the store's transcoder with its rows (`State.transcoder`), and a reader passes
the application's. The API reads objects from here instead of replaying their events. The JSON
is the domain's stored form, not a reporting contract, so this view has no v1 view for BI tools."""

from __future__ import annotations

from functools import partial
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, AggregateCreated, Snapshot
from eventsourcing.persistence import Transcoder
from eventsourcing.utils import get_topic
from psycopg.types.json import Json

from domain.approval import ApprovalRequest
from domain.improvement import ImprovementItem
from domain.initiative import Initiative
from domain.objective import Objective
from domain.team import Team
from projections.base import Projection, Recorded, handles
from projections.rows import Row, State

KINDS: dict[str, type[Aggregate]] = {
    cls.__name__: cls for cls in (Initiative, ImprovementItem, Objective, Team, ApprovalRequest)
}
TOPICS = {name: get_topic(cls) for name, cls in KINDS.items()}

DDL = """CREATE TABLE IF NOT EXISTS {objects} (
    id uuid PRIMARY KEY,
    kind text NOT NULL,
    version integer NOT NULL,
    created_position bigint NOT NULL,
    position bigint NOT NULL,
    state json NOT NULL
)"""
INDEX = "CREATE INDEX IF NOT EXISTS {objects_by_kind} ON {objects} (kind, created_position)"


def encode(transcoder: Transcoder, aggregate: Aggregate) -> bytes:
    """The aggregate's state as the library snapshots it, in the store's JSON (UTF-8)."""
    return transcoder.encode(Snapshot.take(aggregate).state)


def restore(kind: str, aggregate_id: UUID, version: int, state: str, transcoder: Transcoder) -> Any:
    """The aggregate a row holds, rebuilt from its state as the library restores a snapshot."""
    decoded = transcoder.decode(state.encode())
    snapshot = Snapshot(
        originator_id=aggregate_id,
        originator_version=version,
        timestamp=decoded["_modified_on"],
        topic=TOPICS[kind],
        state=decoded,
    )
    return snapshot.mutate(None)


def held(aggregate: Any, transcoder: Transcoder) -> Json:
    """The aggregate as a row's state: encoded only when the row is written."""
    return Json(aggregate, dumps=partial(encode, transcoder))


def live(row: Row, transcoder: Transcoder) -> Any:
    """The aggregate of a row, decoded once if the row was read from the table."""
    state = row["state"].obj
    if isinstance(state, str):
        return restore(row["kind"], row["id"], row["version"], state, transcoder)
    return state


class Objects(Projection):
    name = "objects"
    version = 2  # 2: the aggregates' state of version 2, their decisions kept as bitsets
    cost = 1.0
    published = False
    tables = ("objects",)
    ddl = (DDL, INDEX)
    docs = {
        "objects": (
            "Every initiative, improvement item, objective and team as it is now: the state its "
            "events have built, which the API reads instead of replaying them. One row per "
            "object.",
            {
                "id": "The object's id.",
                "kind": "Initiative, ImprovementItem, Objective or Team.",
                "version": "The object's version: how many events it has recorded.",
                "created_position": "Position of the event that created it (lists are in this "
                "order).",
                "position": "Position of the last event applied to this row.",
                "state": "The object's state in the domain's stored JSON (the library's snapshot "
                "state). Internal to the API; not a reporting contract.",
            },
        )
    }

    @handles(Aggregate.Event)
    def evolve(self, recorded: Recorded, state: State) -> None:
        rows, event, transcoder = state.rows("objects"), recorded.event, state.transcoder
        if isinstance(event, AggregateCreated):
            aggregate = event.mutate(None)
            if type(aggregate).__name__ not in KINDS:  # a gate review is read from its initiative
                return
            rows.insert(
                id=recorded.aggregate_id,
                kind=type(aggregate).__name__,
                version=recorded.version,
                created_position=recorded.position,
                position=recorded.position,
                state=held(aggregate, transcoder),
            )
            return
        row = rows.get(recorded.aggregate_id)
        if row is None:
            return
        before = live(row, transcoder)
        aggregate = event.mutate(before)
        if aggregate is before and row["state"].obj is before:  # changed in place: still held
            rows.update(recorded.aggregate_id, version=recorded.version, position=recorded.position)
        else:
            rows.update(
                recorded.aggregate_id,
                version=recorded.version,
                position=recorded.position,
                state=held(aggregate, transcoder),
            )
