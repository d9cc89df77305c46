"""A view's tables held in memory by the runner that applies it; each batch is written at once.

A handler reads and changes rows in memory: no statement per event. At the end of a batch the
changed rows are written in two statements per table (the old rows of the changed keys deleted,
the new rows copied in), in the same transaction as the tracking position. Log tables
(`Projection.logs`) are never read back: their rows are only appended.

What a table is (its stored columns, primary key and column defaults) is read from PostgreSQL,
so the DDL stays the one description of it. Generated columns are PostgreSQL's to compute and
are left out. Defaults must be constants: PostgreSQL evaluates them once, when a table is opened.
json and jsonb columns are read as their stored text, so a row read back is written back exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from operator import itemgetter
from struct import Struct
from typing import Any

from eventsourcing.persistence import Transcoder
from psycopg import Connection, Cursor
from psycopg.abc import Buffer
from psycopg.adapt import Loader
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Composable, Identifier
from psycopg.types.array import ListBinaryDumper
from psycopg.types.json import Jsonb

UUID_OID = 2950  # PostgreSQL's uuid type
TURN_EVERY = 5_000  # events applied between looks at whether a table holds too many rows
Key = Any  # a primary key's value, or a tuple of values when the key has several columns
Row = Mapping[str, Any]

COLUMNS = """SELECT a.attname AS name, a.atttypid AS type,
  format_type(a.atttypid, NULL) AS type_name,
  '(' || pg_get_expr(d.adbin, d.adrelid) || ')::' || format_type(a.atttypid, a.atttypmod)
    AS default_sql
FROM pg_attribute a
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = %(table)s::regclass AND a.attnum > 0 AND NOT a.attisdropped
  AND a.attgenerated = ''
ORDER BY a.attnum"""
PRIMARY_KEY = """SELECT a.attname AS name
FROM pg_index i
CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
WHERE i.indrelid = %(table)s::regclass AND i.indisprimary
ORDER BY k.n"""


@dataclass(frozen=True)
class Layout:
    """A table as PostgreSQL describes it: stored columns in order, primary key, defaults."""

    table: str  # the logical name the view's handlers use
    schema: str
    stored: str  # the table's own name: the logical one, or a rebuild's fresh table
    columns: tuple[str, ...]
    types: tuple[int, ...]  # each column's type (oid): COPY writes them in binary
    key: tuple[str, ...]
    defaults: dict[str, Any]
    type_names: dict[str, str]  # each column's type as SQL names it, e.g. uuid or text

    @classmethod
    def read(cls, cursor: Cursor[Any], table: str, schema: str, stored: str) -> Layout:
        raw = cursor.connection.cursor(row_factory=tuple_row)
        regclass = Identifier(schema, stored).as_string(raw)
        described = raw.execute(COLUMNS, {"table": regclass}).fetchall()
        key = tuple(name for (name,) in raw.execute(PRIMARY_KEY, {"table": regclass}))
        if not key:
            raise ValueError(f"{regclass} has no primary key: a view table needs one")
        columns = tuple(name for name, _, _, _ in described)
        types = tuple(oid for _, oid, _, _ in described)
        type_names = {name: type_name for name, _, type_name, _ in described}
        defaults = _evaluate(raw, [(name, sql) for name, _, _, sql in described])
        return cls(table, schema, stored, columns, types, key, defaults, type_names)

    @cached_property
    def values(self) -> Callable[[Row], Sequence[Any]]:
        """A row's values in column order, as a tuple (picked out in C, for writing)."""
        if len(self.columns) == 1:
            (column,) = self.columns
            return lambda row: (row[column],)
        return itemgetter(*self.columns)

    @property
    def target(self) -> Identifier:
        return Identifier(self.schema, self.stored)

    @cached_property
    def copy_in(self) -> bytes:
        """COPY of whole rows, in binary: composed once, as every write sends it."""
        names = SQL(", ").join(map(Identifier, self.columns))
        statement = SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(self.target, names)
        return statement.as_bytes(None)

    @cached_property
    def delete_keys(self) -> bytes:
        """DELETE of the rows whose keys are given, an array a key column (`keys_sent`)."""
        if len(self.key) == 1:
            (column,) = self.key
            statement = SQL("DELETE FROM {} WHERE {} = ANY(%s::{}[])").format(
                self.target, Identifier(column), SQL(self.type_names[column])
            )
            return statement.as_bytes(None)
        arrays = SQL(", ").join(SQL("%s::{}[]").format(SQL(self.type_names[c])) for c in self.key)
        matches = SQL(" AND ").join(SQL("t.{c} = s.{c}").format(c=Identifier(c)) for c in self.key)
        statement = SQL("DELETE FROM {} t USING unnest({}) AS s({}) WHERE {}").format(
            self.target, arrays, SQL(", ").join(map(Identifier, self.key)), matches
        )
        return statement.as_bytes(None)

    def keys_sent(self, keys: Iterable[Key]) -> list[list[Any]]:
        """The parameters of `delete_keys`: one array of the keys, or one a key column."""
        if len(self.key) == 1:
            return [list(keys)]
        return [list(values) for values in zip(*keys, strict=True)]

    def types_of(self, columns: Sequence[str]) -> list[int]:
        return [self.types[self.columns.index(column)] for column in columns]

    def check(self, columns: Iterable[str]) -> None:
        """A KeyError naming any of `columns` the table does not have."""
        unknown = set(columns) - self.defaults.keys()
        if unknown:
            raise KeyError(f"{self.table} has no column {', '.join(sorted(unknown))}")

    def row(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """A whole row: `values`, and the defaults of the columns they leave out."""
        row = {**self.defaults, **values}
        if len(row) != len(self.defaults):  # a column the table does not have
            self.check(values)
        return row

    def key_of(self, values: Mapping[str, Any]) -> Key:
        if len(self.key) == 1:
            return values[self.key[0]]
        return tuple(values[column] for column in self.key)


def _evaluate(cursor: Cursor[Any], described: list[tuple[str, str | None]]) -> dict[str, Any]:
    """Column defaults as Python values, computed by PostgreSQL from the DDL (cast to the
    column's type, so `numeric DEFAULT 0` gives Decimal 0, as a loaded row would)."""
    with_default = [(name, sql) for name, sql in described if sql is not None]
    defaults: dict[str, Any] = {name: None for name, _ in described}
    if with_default:
        select = SQL(", ").join(SQL(sql) for _, sql in with_default)  # the catalog's own SQL
        values = cursor.execute(SQL("SELECT {}").format(select)).fetchone() or ()
        defaults.update(zip((name for name, _ in with_default), values, strict=True))
    return defaults


class Away:
    """Keys (or index values) of rows the table may hold that are not in memory: a Bloom filter
    of fixed size, so a key never stored costs no statement and the memory stays the same however
    large the table grows. It can say yes wrongly, never no: a yes costs one statement that finds
    nothing. Once it holds more than it was sized for, the table reads it again (`Rows.recount`)."""

    BITS = 1 << 22  # 512 KiB: about 0.1 % wrong yeses at 200,000 keys, 3 % at 1,000,000
    CAPACITY = 1_000_000

    def __init__(self) -> None:
        self._bits = bytearray(self.BITS >> 3)
        self.added = 0

    def __bool__(self) -> bool:
        return self.added > 0

    def add(self, value: Any) -> None:
        bits, mask = self._bits, self.BITS - 1
        mixed = (hash(value) * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
        for shift in (0, 21, 42):
            bit = (mixed >> shift) & mask
            bits[bit >> 3] |= 1 << (bit & 7)
        self.added += 1

    def __contains__(self, value: Any) -> bool:
        if not self.added:
            return False
        bits, mask = self._bits, self.BITS - 1
        mixed = (hash(value) * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
        for shift in (0, 21, 42):
            bit = (mixed >> shift) & mask
            if not bits[bit >> 3] & (1 << (bit & 7)):
                return False
        return True


@dataclass
class Rows:
    """One table's rows by primary key, the ones in use held in memory, with the keys changed
    since they were last written.

    At most about `limit` rows are held (None: every row): the rows used since the last turn,
    and those used in the turn before (two generations of up to half the limit each; at a turn
    the older is dropped whole). Only rows as written are dropped, so the table always has them.
    A row not held is read from the table when a handler asks for it, or beforehand, many in one
    statement (`prefetch`); `Away` remembers which keys may be there, so a new key costs no
    statement."""

    layout: Layout
    indexed: Sequence[tuple[str, ...]] = ()  # column sets `where` finds rows by without a scan
    limit: int | None = None
    arrays: Sequence[str] = ()  # array columns `having` finds rows by an element of
    _rows: dict[Key, dict[str, Any]] = field(default_factory=dict)  # used since the last turn
    _old: dict[Key, dict[str, Any]] = field(default_factory=dict)  # used in the turn before
    _changed: set[Key] = field(default_factory=set)
    _stored: set[Key] = field(default_factory=set)  # keys held (or deleted) that the table has
    _absent: set[Key] = field(default_factory=set)  # keys looked for in the table, not found
    _away: Away = field(default_factory=Away)
    _indexes: dict[tuple[str, ...], dict[tuple[Any, ...], set[Key]]] = field(init=False)
    _away_by: dict[tuple[str, ...], Away] = field(init=False)  # index values of rows away
    _elements: dict[str, dict[Any, set[Key]]] = field(init=False)  # array column -> element
    _away_in: dict[str, Away] = field(init=False)  # elements of the arrays of rows away
    _connection: Connection[Any] | None = None  # the transaction rows are read and written in

    def __post_init__(self) -> None:
        self._indexes = {tuple(sorted(columns)): {} for columns in self.indexed}
        self._away_by = {columns: Away() for columns in self._indexes}
        self._elements = {column: {} for column in self.arrays}
        self._away_in = {column: Away() for column in self.arrays}
        # Keyed by one uuid column, as by an aggregate's id: what `prefetch` reads ahead for.
        self._by_id = self.layout.types_of(self.layout.key) == [UUID_OID]

    # Reading ----------------------------------------------------------------------------------

    def get(self, key: Key) -> Row | None:
        row = self._rows.get(key)
        if row is None:
            return self._missed(key)
        return row

    def __getitem__(self, key: Key) -> Row:
        row = self.get(key)
        if row is None:
            raise KeyError(f"no row {key!r} in {self.layout.table}")
        return row

    def __contains__(self, key: Key) -> bool:
        return self.get(key) is not None

    def __len__(self) -> int:
        """The rows held in memory."""
        return len(self._rows) + len(self._old)

    def values(self) -> Iterable[Row]:
        """Every row: those held, and those only the table has (read, not held)."""
        held = [*self._rows.values(), *self._old.values()]
        if not self._away:
            return held
        return held + self._select(SQL("TRUE"), (), hold=False)

    def where(self, **equal: Any) -> list[Row]:
        """Rows whose columns equal these values: by an index when one covers exactly them."""
        columns = tuple(sorted(equal))
        index = self._indexes.get(columns)
        if index is None:
            if self._away:
                self._select_where(equal)
            held = [*self._rows.values(), *self._old.values()]
            return [row for row in held if all(row[c] == v for c, v in equal.items())]
        values = tuple(equal[c] for c in columns)
        if values in self._away_by[columns]:
            self._select_where(equal)
        return [self[key] for key in list(index.get(values, ()))]

    def having(self, column: str, element: Any) -> list[Row]:
        """Rows whose array `column` (one of `arrays`) holds `element`."""
        if element in self._away_in[column]:
            self._select(SQL("%s = ANY({})").format(Identifier(column)), (element,))
        return [self[key] for key in list(self._elements[column].get(element, ()))]

    def _missed(self, key: Key) -> dict[str, Any] | None:
        row = self._old.pop(key, None)
        if row is not None:  # used again: into the younger generation
            self._rows[key] = row
            return row
        if key in self._changed or key in self._absent or key not in self._away:
            return None  # deleted since the last write, or never stored
        self._select(self._key_matches(), key if len(self.layout.key) > 1 else (key,))
        if key not in self._rows:
            self._absent.add(key)
        return self._rows.get(key)

    def prefetch(self, keys: Iterable[Any]) -> None:
        """Hold the rows with these ids that the table may have, read in one statement (a table
        keyed by one uuid column; others read a row when it is asked for)."""
        if not self._by_id or not self._away:
            return
        wanted = [
            key
            for key in keys
            if key not in self._rows
            and key not in self._old
            and key not in self._changed
            and key not in self._absent
            and key in self._away
        ]
        if not wanted:
            return
        (column,) = self.layout.key
        self._select(SQL("{} = ANY(%s)").format(Identifier(column)), (wanted,))
        self._absent.update(key for key in wanted if key not in self._rows)

    def _select_where(self, equal: Mapping[str, Any]) -> None:
        matches = SQL(" AND ").join(SQL("{} = %s").format(Identifier(c)) for c in equal)
        self._select(matches, tuple(equal.values()))

    def _key_matches(self) -> Composable:
        return SQL(" AND ").join(SQL("{} = %s").format(Identifier(c)) for c in self.layout.key)

    def _select(
        self, matches: Composable, params: Sequence[Any], hold: bool = True
    ) -> list[dict[str, Any]]:
        """The stored rows matching, less those held or deleted since the last write (memory has
        them as they now are); held from now on, unless `hold` is false."""
        if self._connection is None:
            raise RuntimeError(f"{self.layout.table} is not opened on a connection")
        names = self.layout.columns
        found = []
        with self._connection.cursor(row_factory=tuple_row) as raw:
            _read_json_as_stored(raw)
            statement = SQL("SELECT {} FROM {} WHERE {}").format(
                SQL(", ").join(map(Identifier, names)), self.layout.target, matches
            )
            for values in raw.execute(statement, params):
                row = dict(zip(names, values, strict=True))
                key = self.layout.key_of(row)
                if key in self._rows or key in self._old or key in self._changed:
                    continue
                if hold:
                    self._hold(key, row)
                found.append(row)
        return found

    def _hold(self, key: Key, row: dict[str, Any]) -> None:
        self._rows[key] = row
        self._stored.add(key)
        self._index(key, row)

    # Changing ---------------------------------------------------------------------------------

    def insert(self, **values: Any) -> bool:
        """Add a row (defaults filled in); like ON CONFLICT DO NOTHING when its key is taken."""
        row = self.layout.row(values)
        key = self.layout.key_of(row)
        if key in self._rows or self._missed(key) is not None:
            return False
        self._rows[key] = row
        self._changed.add(key)
        self._index(key, row)
        return True

    def update(self, key: Key, **values: Any) -> bool:
        """Set columns of the row with this key; like UPDATE, nothing happens when there is none.

        A column the table does not have raises KeyError, and the batch must be rolled back, as
        after a failed statement: the columns it does have may be set already. (The runner reads
        a view's tables again after any error.)"""
        row = self._rows.get(key)
        if row is None:
            row = self._missed(key)
            if row is None:
                return False
        if self._indexes or self._elements:
            self._unindex(key, row)
        width = len(row)
        row.update(values)
        if self._indexes or self._elements:
            self._index(key, row)
        self._changed.add(key)
        if len(row) != width:  # checked after: cheaper than comparing key sets before
            for unknown in row.keys() - self.layout.defaults.keys():
                del row[unknown]
            self.layout.check(values)
        return True

    def delete(self, key: Key) -> bool:
        if self.get(key) is None:
            return False
        row = self._rows.pop(key)
        self._unindex(key, row)
        self._changed.add(key)
        return True

    # Storing ----------------------------------------------------------------------------------

    def load(self, cursor: Cursor[Any]) -> None:
        """Open the table on `cursor`'s connection: its rows are read as they are asked for."""
        self._connection = cursor.connection
        self.recount()

    def recount(self) -> None:
        """Note every stored key (and indexed value) as away, unless held: a fresh `Away`."""
        if self._connection is None:
            raise RuntimeError(f"{self.layout.table} is not opened on a connection")
        self._away = Away()
        self._away_by = {columns: Away() for columns in self._indexes}
        self._away_in = {column: Away() for column in self._elements}
        indexed = {c for columns in self._indexes for c in columns} | set(self._elements)
        noted = (*self.layout.key, *sorted(indexed - set(self.layout.key)))
        width = len(self.layout.key)
        with self._connection.cursor(row_factory=tuple_row) as raw:
            statement = SQL("SELECT {} FROM {}").format(
                SQL(", ").join(map(Identifier, noted)), self.layout.target
            )
            for values in raw.stream(statement, size=10_000):
                key = values[0] if width == 1 else values[:width]
                if key in self._rows or key in self._old:
                    continue
                self._away.add(key)
                if len(noted) > width:
                    self._note_away(dict(zip(noted, values, strict=True)))

    def write(self, cursor: Cursor[Any]) -> int:
        """Write the rows changed since the last write: old versions out, new ones in."""
        self._connection = cursor.connection
        if not self._changed:
            return 0
        self.delete_stale(cursor)
        changed, self._changed = self._changed, set()
        kept = [key for key in changed if key in self._rows]
        layout, values = self.layout, self.layout.values
        rows = (values(self._rows[key]) for key in kept)
        _copy(cursor, layout, rows)
        self._stored -= changed
        self._stored.update(kept)
        return len(changed)

    def stale(self) -> bool:
        """Whether the table has rows that changed since the last write (`delete_stale`)."""
        return not self._stored.isdisjoint(self._changed)

    def delete_stale(self, cursor: Cursor[Any]) -> None:
        """Delete the stored rows that changed since the last write: the first half of `write`,
        which copies them in again as they now are."""
        stale = self._changed & self._stored
        self._delete(cursor, stale)
        self._stored -= stale

    def over(self) -> bool:
        """Whether the younger generation holds half the limit: time to turn."""
        return self.limit is not None and len(self._rows) > self.limit // 2

    def turn(self, cursor: Cursor[Any]) -> None:
        """Once the younger generation holds half the limit: the changes written, the older
        generation dropped, and the younger becomes the older."""
        if not self.over():
            return
        self.write(cursor)
        self._drop(self._old)
        self._old, self._rows = self._rows, {}
        if self.limit is not None and len(self._old) > self.limit:  # one turn made too many
            self._drop(self._old)
            self._old = {}
        self._absent.clear()
        if self._away.added > Away.CAPACITY:
            self.recount()

    def _drop(self, rows: dict[Key, dict[str, Any]]) -> None:
        """Rows as written, no longer held: the table has them."""
        away, indexed = self._away, bool(self._indexes or self._elements)
        for key, row in rows.items():
            away.add(key)
            self._stored.discard(key)
            if indexed:
                self._unindex(key, row)
                self._note_away(row)

    def _note_away(self, row: Row) -> None:
        """What the indexes would find a row by that is no longer held."""
        for columns, away in self._away_by.items():
            away.add(tuple(row[c] for c in columns))
        for column, away in self._away_in.items():
            for element in row[column] or ():
                away.add(element)

    def _delete(self, cursor: Cursor[Any], keys: set[Key]) -> None:
        """Delete the stored rows with these keys, in one statement: the keys sent as an array
        a key column (a temporary table of them cost three statements a table, and PostgreSQL
        emptied every such table the session had at every commit)."""
        if keys:
            cursor.execute(self.layout.delete_keys, self.layout.keys_sent(keys), prepare=True)

    # Indexes ----------------------------------------------------------------------------------

    def _index(self, key: Key, row: Row) -> None:
        for columns, index in self._indexes.items():
            index.setdefault(tuple(row[c] for c in columns), set()).add(key)
        for column, elements in self._elements.items():
            for element in row[column] or ():
                elements.setdefault(element, set()).add(key)

    def _unindex(self, key: Key, row: Row) -> None:
        for columns, index in self._indexes.items():
            values = tuple(row[c] for c in columns)
            keys = index.get(values)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del index[values]
        for column, elements in self._elements.items():
            for element in row[column] or ():
                keys = elements.get(element)
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del elements[element]


@dataclass
class Log:
    """An append-only table: rows are added and written, never read back or changed."""

    layout: Layout
    limit: int | None = None  # rows pending before they are written
    _pending: list[dict[str, Any]] = field(default_factory=list)

    def insert(self, **values: Any) -> None:
        self._pending.append(self.layout.row(values))

    def over(self) -> bool:
        return self.limit is not None and len(self._pending) > self.limit

    def turn(self, cursor: Cursor[Any]) -> None:
        if self.over():
            self.write(cursor)

    def write(self, cursor: Cursor[Any]) -> int:
        pending, self._pending = self._pending, []
        layout, values = self.layout, self.layout.values
        _copy(cursor, layout, map(values, pending))
        return len(pending)


def _copy(cursor: Cursor[Any], layout: Layout, rows: Iterable[Sequence[Any]]) -> None:
    """COPY in binary, each column's type given: no per-value guessing of how to send it."""
    for dumper in FLAT_ARRAYS:  # by type only: what COPY's column types find
        cursor.adapters.register_dumper(None, dumper)
    with cursor.copy(layout.copy_in) as copy:
        copy.set_types(layout.types)
        for row in rows:
            copy.write_row(row)


ARRAY_HEAD = Struct("!iIIii")  # dimensions, has nulls, element type, length, lower bound
ITEM_LENGTH = Struct("!i")
NULL_ITEM = ITEM_LENGTH.pack(-1)


class FlatArrayDumper(ListBinaryDumper):
    """psycopg's binary array dumper, with a shorter way for the one-dimensional lists the views
    write (roles, gatekeepers, ids): one call of the element's dumper per item, and no walk of
    the dimensions (a decision log row has one; a rebuild writes one per decision)."""

    def dump(self, obj: list[Any]) -> Buffer | None:
        sub = self.sub_dumper
        if not obj or sub is None or isinstance(obj[0], list):
            return super().dump(obj)
        parts: list[Buffer] = [b""]
        nulls = 0
        for item in obj:
            data = None if item is None else sub.dump(item)
            if data is None:
                nulls = 1
                parts.append(NULL_ITEM)
            else:
                parts.append(ITEM_LENGTH.pack(len(data)))
                parts.append(data)
        parts[0] = ARRAY_HEAD.pack(1, nulls, sub.oid, len(obj), 1)
        return b"".join(parts)


TEXT_OID, TEXT_ARRAY_OID, UUID_ARRAY_OID = 25, 1009, 2951
FLAT_ARRAYS = (
    type(
        "TextFlatArrayDumper", (FlatArrayDumper,), {"oid": TEXT_ARRAY_OID, "element_oid": TEXT_OID}
    ),
    type(
        "UuidFlatArrayDumper", (FlatArrayDumper,), {"oid": UUID_ARRAY_OID, "element_oid": UUID_OID}
    ),
)


def _read_json_as_stored(cursor: Cursor[Any]) -> None:
    for json_type in ("json", "jsonb"):
        cursor.adapters.register_loader(json_type, StoredJsonLoader)


class StoredJsonLoader(Loader):
    """json or jsonb as its stored text, wrapped to be written back as it is: numbers stay exact."""

    def load(self, data: Buffer) -> Jsonb:
        return Jsonb(bytes(data).decode(), dumps=str)


class State(Mapping[str, "Rows | Log"]):
    """The tables of one view, in memory: what its handlers read and change; and the event
    store's transcoder, for a view that keeps domain values as JSON in the store's own form."""

    def __init__(
        self, tables: Mapping[str, Rows | Log], transcoder: Transcoder, limit: int | None = None
    ) -> None:
        self._tables = dict(tables)
        self.transcoder = transcoder
        self.limit = limit  # rows each table holds at most (about)

    def __getitem__(self, name: str) -> Rows | Log:
        return self._tables[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._tables)

    def __len__(self) -> int:
        return len(self._tables)

    def rows(self, name: str) -> Rows:
        table = self._tables[name]
        if not isinstance(table, Rows):
            raise TypeError(f"{name} is a log: its rows are written, not read")
        return table

    def log(self, name: str) -> Log:
        table = self._tables[name]
        if not isinstance(table, Log):
            raise TypeError(f"{name} is not a log")
        return table

    def write(self, cursor: Cursor[Any]) -> int:
        """Write every table's changes; returns the rows written."""
        return write_all(cursor, [self])

    def bind(self, cursor: Cursor[Any]) -> None:
        """Read and write the tables in `cursor`'s transaction from now on."""
        for table in self._tables.values():
            if isinstance(table, Rows):
                table._connection = cursor.connection

    def prefetch(self, keys: Sequence[Any]) -> None:
        """The rows these keys name, in each table keyed by one column, read in one statement
        a table: what the next events will likely ask for (their aggregates' ids)."""
        for table in self._tables.values():
            if isinstance(table, Rows):
                table.prefetch(keys)

    def turn(self, cursor: Cursor[Any]) -> None:
        """Each table holding more rows than its limit writes them and lets the older go."""
        for table in self._tables.values():
            if table.over():
                table.turn(cursor)


def write_all(cursor: Cursor[Any], states: Iterable[State]) -> int:
    """Write the changes of every table of these views; returns the rows written. The rows they
    replace are deleted first, all in one round trip (a pipeline), then each table's rows are
    copied in: a live runner's batch is often one event, which changes a few rows in each of
    several tables."""
    tables = [table for state in states for table in state.values()]
    stale = [table for table in tables if isinstance(table, Rows) and table.stale()]
    if len(stale) > 1:
        with cursor.connection.pipeline():
            for table in stale:
                table.delete_stale(cursor)
    return sum(table.write(cursor) for table in tables)
