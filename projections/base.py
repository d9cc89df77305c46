"""What a projection is: tables in the `reporting` schema and one small handler per event type.

Handlers change the view's rows in memory (`projections.rows`); the runner writes each batch's
changes at once, with its tracking position."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, ClassVar

from eventsourcing.persistence import Transcoder
from psycopg import Cursor
from psycopg.sql import SQL, Composable, Composed, Identifier, Literal

from projections.rows import Layout, Log, Rows, State

SCHEMA = "reporting"
REBUILD_SUFFIX = "__rebuild"
TRACKING = Identifier(SCHEMA, "tracking")  # the runner's: each view's position and version


class Recorded:
    """One stored domain event with what a view may need from its envelope.

    A plain class with slots: the runner makes one per event applied, so it stays cheap."""

    __slots__ = ("aggregate_id", "event", "position", "recorded_at", "request_id", "version")

    def __init__(
        self, position: int, event: Any, recorded_at: datetime, request_id: str | None = None
    ) -> None:
        self.position = position
        # a domain event: originator_id, originator_version, timestamp, actor, reason, ...
        self.event = event
        self.recorded_at = recorded_at
        self.request_id = request_id
        self.aggregate_id: Any = event.originator_id
        self.version = int(event.originator_version)

    def __repr__(self) -> str:
        return f"Recorded({self.position}, {type(self.event).__qualname__})"


class Tables(Mapping[str, Composable]):
    """Logical table names to the qualified identifiers a statement writes to."""

    def __init__(self, names: Iterable[str], suffix: str = "") -> None:
        self._names = {name: Identifier(SCHEMA, name + suffix) for name in names}
        self.suffix = suffix

    def __getitem__(self, name: str) -> Composable:
        return self._names[name]

    def __iter__(self) -> Any:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def sql(self, template: str, **more: Composable) -> Composed:
        """`template` with each {table} replaced by its identifier."""
        return SQL(template).format(**self._names, **more)


Handler = Callable[[Any, Recorded, State], None]


class Projection:
    """A reporting view. Subclasses declare `name`, `tables`, `ddl` and handlers with `@handles`."""

    name: ClassVar[str]
    # The version of the code that builds the rows. Bump it when a change to the handlers (or
    # to what the DDL makes of them) would build other rows from the same events: a runner
    # then rebuilds the view from event zero into fresh tables and swaps them in, while the
    # old rows keep serving (service/versions.py). Columns a version adds go into `ddl` as
    # `ALTER TABLE ... ADD COLUMN IF NOT EXISTS`, so that the old tables get them too.
    version: ClassVar[int] = 1
    tables: ClassVar[tuple[str, ...]]
    ddl: ClassVar[tuple[str, ...]]  # CREATE statements with {table} placeholders
    # What each table and column means, with units: (table sentence, {column: sentence}).
    # Stored as PostgreSQL comments, so BI tools show them, and rendered into docs/reporting.md.
    docs: ClassVar[dict[str, tuple[str, dict[str, str]]]]
    handlers: ClassVar[dict[type[Any], Handler]]
    logs: ClassVar[tuple[str, ...]] = ()  # append-only tables: written, never read back
    published: ClassVar[bool] = True  # whether BI tools get a v1 view of each table
    # Roughly how long applying one event it handles and writing what it changed takes, in
    # tens of µs (measured per view over a 200,000-event rebuild; benchmarks/README.md):
    # parallel catch-up deals views out to processes by it.
    cost: ClassVar[float] = 1.0
    # Column sets a handler finds rows by (`Rows.where`) often enough to keep an index of.
    indexes: ClassVar[dict[str, tuple[tuple[str, ...], ...]]] = {}
    # Array columns a handler finds rows by an element of (`Rows.having`).
    arrays: ClassVar[dict[str, tuple[str, ...]]] = {}
    _resolved: ClassVar[dict[type[Any], Handler | None]]  # event class -> handler, once looked up

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.handlers = dict(getattr(cls, "handlers", {}))  # a subclass keeps its parent's
        for value in vars(cls).values():
            for event_class in getattr(value, "_handles", ()):
                cls.handlers[event_class] = value
        cls._resolved = {}

    def create(self, cursor: Cursor[Any], tables: Tables) -> None:
        for statement in self.ddl:
            cursor.execute(tables.sql(statement, **self.index_names(tables)))
        self.comment(cursor, tables)

    def index_names(self, tables: Tables) -> dict[str, Composable]:
        """Placeholders {table_something} in the DDL name indexes, suffixed like their tables."""
        names: dict[str, Composable] = {}
        for statement in self.ddl:
            for word in statement.replace("{", " {").split():
                if word.startswith("{") and word.endswith("}") and word[1:-1] not in tables:
                    name = word[1:-1]
                    names[name] = Identifier(name + tables.suffix)
        return names

    def comment(self, cursor: Cursor[Any], tables: Tables) -> None:
        for table, (about, columns) in self.docs.items():
            target = tables[table]
            cursor.execute(SQL("COMMENT ON TABLE {} IS {}").format(target, Literal(about)))
            for column, meaning in columns.items():
                cursor.execute(
                    SQL("COMMENT ON COLUMN {}.{} IS {}").format(
                        target, Identifier(column), Literal(meaning)
                    )
                )

    def open(
        self, cursor: Cursor[Any], tables: Tables, transcoder: Transcoder, limit: int | None = None
    ) -> State:
        """The view's tables opened on `cursor`'s connection, each holding at most about `limit`
        rows in memory (None: every row it reads), with the transcoder the event store is
        written with. Logs are only appended to: at most `limit` rows wait to be written."""
        opened: dict[str, Rows | Log] = {}
        for name in self.tables:
            layout = Layout.read(cursor, name, SCHEMA, name + tables.suffix)
            if name in self.logs:
                opened[name] = Log(layout, limit)
            else:
                rows = Rows(layout, self.indexes.get(name, ()), limit, self.arrays.get(name, ()))
                rows.load(cursor)
                opened[name] = rows
        return State(opened, transcoder, limit)

    def apply(self, recorded: Recorded, state: State) -> None:
        try:  # once per view and event: the lookup is inlined
            handler = self._resolved[type(recorded.event)]
        except KeyError:
            handler = self._handler(type(recorded.event))
        if handler is not None:
            handler(self, recorded, state)

    def applies_to(self, event_class: type[Any]) -> bool:
        return self._handler(event_class) is not None

    def handler(self, event_class: type[Any]) -> Handler | None:
        """What applying an event of this class calls, with this view (None: nothing): the
        handler `apply` would call, or `apply` itself where a subclass applies its own way."""
        found = self._handler(event_class)
        if found is None or type(self).apply is Projection.apply:
            return found
        return type(self).apply

    def _handler(self, event_class: type[Any]) -> Handler | None:
        if event_class not in self._resolved:
            # Events decorated by the library are subclasses of the declared class: walk the MRO.
            found = (self.handlers[c] for c in event_class.__mro__ if c in self.handlers)
            self._resolved[event_class] = next(found, None)
        return self._resolved[event_class]


def handles(*event_classes: type[Any]) -> Callable[[Handler], Handler]:
    """Mark a projection method as the handler of these event classes."""

    def mark(handler: Handler) -> Handler:
        handler._handles = event_classes  # type: ignore[attr-defined]
        return handler

    return mark
