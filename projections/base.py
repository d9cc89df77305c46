"""What a projection is: tables in the `reporting` schema and one small handler per event type."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from psycopg import Cursor
from psycopg.sql import SQL, Composable, Composed, Identifier, Literal

SCHEMA = "reporting"
REBUILD_SUFFIX = "__rebuild"


@dataclass(frozen=True)
class Recorded:
    """One stored domain event with what a view may need from its envelope."""

    position: int
    event: Any  # a domain event: originator_id, originator_version, timestamp, actor, reason, ...
    recorded_at: datetime
    request_id: str | None = None

    @property
    def aggregate_id(self) -> Any:
        return self.event.originator_id

    @property
    def version(self) -> int:
        return int(self.event.originator_version)


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


Handler = Callable[[Any, Cursor[Any], Recorded, Tables], None]


class Projection:
    """A reporting view. Subclasses declare `name`, `tables`, `ddl` and handlers with `@handles`."""

    name: ClassVar[str]
    version: ClassVar[int] = 1
    tables: ClassVar[tuple[str, ...]]
    ddl: ClassVar[tuple[str, ...]]  # CREATE statements with {table} placeholders
    # What each table and column means, with units: (table sentence, {column: sentence}).
    # Stored as PostgreSQL comments, so BI tools show them, and rendered into docs/reporting.md.
    docs: ClassVar[dict[str, tuple[str, dict[str, str]]]]
    handlers: ClassVar[dict[type[Any], Handler]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.handlers = dict(getattr(cls, "handlers", {}))  # a subclass keeps its parent's
        for value in vars(cls).values():
            for event_class in getattr(value, "_handles", ()):
                cls.handlers[event_class] = value

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

    def interested_in(self, event: Any) -> bool:
        return self._handler(type(event)) is not None

    def apply(self, cursor: Cursor[Any], recorded: Recorded, tables: Tables) -> None:
        handler = self._handler(type(recorded.event))
        if handler is not None:
            handler(self, cursor, recorded, tables)

    def _handler(self, event_class: type[Any]) -> Handler | None:
        # Events decorated by the library are subclasses of the declared class: walk the MRO.
        for cls in event_class.__mro__:
            if cls in self.handlers:
                return self.handlers[cls]
        return None


def handles(*event_classes: type[Any]) -> Callable[[Handler], Handler]:
    """Mark a projection method as the handler of these event classes."""

    def mark(handler: Handler) -> Handler:
        handler._handles = event_classes  # type: ignore[attr-defined]
        return handler

    return mark
