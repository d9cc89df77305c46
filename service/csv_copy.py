"""CSV straight from PostgreSQL's COPY: how every CSV Polarity sends writes its values (`VALUES`).

One rule for every export, the access log's and the portal's downloads, picked by each column's
type as the database reports it (`COLUMN_TYPES`). COPY quotes and encodes (UTF-8) as the csv
module would, and streams at PostgreSQL's pace (benchmarks/README.md, "CSV exports"): the service
only passes its blocks on. A cell that a spreadsheet would run as a formula goes out with a ' in
front: see `safe_csv_copy`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from psycopg.sql import SQL, Composable, Composed, Identifier, Literal
from psycopg_pool import AsyncConnectionPool

VALUES = (
    "Times in ISO 8601, in UTC (2026-12-03T20:15:51.137602+00:00); dates 2026-12-03; durations "
    "in ISO 8601 (P1DT2H); booleans true and false; a list's items joined with ; (a ; or \\ "
    "inside an item escaped with a \\); numbers, ids and JSON as they are; null as an empty "
    "cell. A text cell that starts with =, +, -, @, a tab or a carriage return has a ' in front, "
    "so that a spreadsheet opens it as text."
)

# Spreadsheets run a cell that starts with one of these as a formula (OWASP, "CSV Injection").
FORMULA_STARTS = "=+-@\t\r"
# The same as a regular expression's bracket, its - first so that it is no range.
FORMULA_PATTERN = "^([-" + FORMULA_STARTS.replace("-", "") + "])"
# Numbers, truth values, dates and times (pg_type.typcategory N, B, D) and uuids: the database
# holds nothing else in such a column (and the domain nothing infinite), so their cells never
# start like a formula and -1.5 stays a number. Every other column (text, lists, JSON, enums,
# durations) is text-like.
TYPED_CATEGORIES = frozenset("NBD")
TYPED_TYPES = frozenset({"uuid"})
LIST_CATEGORY = "A"
COLUMN_TYPES = """
    SELECT a.attname AS name, t.typcategory AS category, t.typname AS type,
        i.typcategory AS item_category, i.typname AS item_type
    FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
    LEFT JOIN pg_type i ON i.oid = t.typelem AND t.typcategory = 'A'
    WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped
"""
# The copy's session. In it PostgreSQL writes dates (2026-12-03) and durations (P1DT2H) in ISO
# 8601 itself, and a time as 2026-12-03 20:15:51.137602+00, which a T for the space and the
# offset's minutes make ISO 8601 (`TIMES`; as exact as to_char, and cheaper).
SESSION = (
    "SET LOCAL TimeZone TO 'UTC'",
    "SET LOCAL DateStyle TO 'ISO, YMD'",
    "SET LOCAL IntervalStyle TO 'iso_8601'",
)
TIMES = {
    "timestamptz": "replace({}::text, ' ', 'T') || ':00'",
    "timestamp": "replace({}::text, ' ', 'T')",
}
ESCAPED_ITEM = r"replace(replace({}::text, '\', '\\'), ';', '\;')"
PLAIN_ITEMS = r"strpos({whole}, ';') + strpos({whole}, '\') = 0"

Column = Mapping[str, str | None]  # a row of COLUMN_TYPES


class Copied(Protocol):
    """What a CSV copy reads: a table or view and the columns it publishes."""

    @property
    def identifier(self) -> Identifier: ...
    @property
    def columns(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class Rows:
    """Which rows of a view a CSV holds, and their order: a condition with its parameters."""

    condition: Composable
    params: tuple[Any, ...] = ()
    order_by: Composable | None = None


def safe_csv_copy(copied: Copied, types: Iterable[Column], rows: Rows | None = None) -> Composed:
    """A COPY of `copied` (or of the `rows` of it) as CSV with a header row, each value written
    as `cell` says, that spreadsheets open as data, as OWASP recommends: every field quoted, and
    a ' before each text-like cell that starts with =, +, -, @, a tab or a carriage return.
    PostgreSQL does it as it copies, so the export still streams straight from COPY."""
    typed = {column["name"]: column for column in types}
    cells = (cell(name, typed.get(name, {})) for name in copied.columns)
    selected = SQL("SELECT {} FROM {}").format(SQL(", ").join(cells), copied.identifier)
    if rows is not None:
        selected = SQL("{} WHERE {}").format(selected, rows.condition)
        if rows.order_by is not None:
            selected = SQL("{} ORDER BY {}").format(selected, rows.order_by)
    return SQL("COPY ({}) TO STDOUT WITH (FORMAT csv, HEADER, FORCE_QUOTE *)").format(selected)


def cell(name: str, column: Column) -> Composed:
    """The select item that writes column `name`'s values, of the type `column` gives."""
    category, kind = column.get("category"), column.get("type")
    value = Identifier(name)
    if category == LIST_CATEGORY:
        items = listed(value, column.get("item_category"), column.get("item_type"))
        written: Composable = neutralised_list(items)
    elif is_typed(category, kind):
        written = typed_value(value, category, kind)
    else:
        written = neutralised(value)
    return SQL("{} AS {}").format(written, value)


def is_typed(category: str | None, kind: str | None) -> bool:
    return category in TYPED_CATEGORIES or kind in TYPED_TYPES


def typed_value(value: Composable, category: str | None, kind: str | None) -> Composable:
    """A typed value as its cell shows it: times in ISO 8601, booleans true or false, numbers,
    dates and ids as PostgreSQL writes them."""
    if kind in TIMES:
        return SQL(TIMES[kind]).format(value)
    return SQL("{}::text").format(value) if category == "B" else value


def neutralised(column: Identifier) -> Composed:
    """`column` as text, with a ' in front when it starts the way a formula does. (Its first
    character's code is the quickest test measured: see benchmarks/README.md, "CSV exports".)"""
    value = SQL("{}::text").format(column)
    codes = SQL(", ").join(Literal(ord(character)) for character in FORMULA_STARTS)
    written = "CASE WHEN ascii({value}) IN ({codes}) THEN '''' || {value} ELSE {value} END"
    return SQL(written).format(value=value, codes=codes)


def listed(column: Identifier, category: str | None, kind: str | None) -> Composed:
    """A list's items joined with `;`, each written as a cell of its type, a `;` or `\\` in a
    text item escaped with a `\\`. Numbers and ids are joined as they are, and so is a list of
    text whose items hold neither character: rewriting item by item costs several times more."""
    joined = SQL("array_to_string({}, ';')").format(column)
    if category == "N" or kind in TYPED_TYPES:
        return joined
    item = Identifier("item")
    typed = is_typed(category, kind)  # truth values, times
    value = typed_value(item, category, kind) if typed else SQL(ESCAPED_ITEM).format(item)
    each = SQL("array_to_string(ARRAY(SELECT {} FROM unnest({}) AS item), ';')")
    rewritten = each.format(value, column)
    if typed:
        return rewritten
    plain = SQL(PLAIN_ITEMS).format(whole=SQL("array_to_string({}, '')").format(column))
    return SQL("CASE WHEN {} THEN {} ELSE {} END").format(plain, joined, rewritten)


def neutralised_list(items: Composed) -> Composed:
    """A list's text with a ' in front when it starts the way a formula does: one regular
    expression, so that the text is built once (the CASE of `neutralised` builds it thrice)."""
    return SQL(r"regexp_replace({}, {}, '''\1')").format(items, Literal(FORMULA_PATTERN))


async def copy_csv(
    pool: AsyncConnectionPool[Any], query: Composed, params: Sequence[Any] = ()
) -> AsyncIterator[bytes]:
    """What `query` (a COPY ... TO STDOUT) writes, block by block, in the `SESSION` that makes
    its values ISO 8601. COPY takes no server-side parameters: psycopg merges `params` into the
    statement, quoted, as it sends it."""
    async with (
        pool.connection() as connection,
        connection.transaction(),  # the SESSION's settings are LOCAL to it
        connection.cursor() as cursor,
    ):
        for statement in SESSION:
            await cursor.execute(statement)
        async with cursor.copy(query, params or None) as copy:
            async for block in copy:
                yield bytes(block)
