"""safe_csv_copy, the one way CSV leaves Polarity: values written by their type (ISO 8601 times,
true/false, lists joined with ;), and text-like cells that start the way a formula
does get a ' in front, typed cells go out as they are. Rows are put straight into the tables,
so every column of every view is covered, not only those a client can write to."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from psycopg.rows import dict_row
from psycopg.sql import SQL, Identifier, Placeholder
from psycopg.types.json import Jsonb

from projections.base import SCHEMA, Tables
from projections.bi import View, create_bi_views
from projections.catalog import all_projections
from service.csv_copy import COLUMN_TYPES, SESSION, safe_csv_copy
from service.database import Database
from service.exports import exportable

pytestmark = pytest.mark.database

# What OWASP's "CSV Injection" lists: a spreadsheet runs a cell that starts with one of these.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HOSTILE = [f"{start}cmd|' /C calc'!A0" for start in FORMULA_STARTS]
NUMBER = re.compile(r"-?\d+(\.\d+)?")
Connection = psycopg.Connection[dict[str, Any]]


@pytest.fixture
def connection(own_database: Database) -> Iterator[Connection]:
    """A database of the test's own with every view's tables and v1 views, and no rows."""
    with psycopg.connect(own_database.conninfo, row_factory=dict_row) as conn:
        with conn.cursor() as cur:
            cur.execute(SQL("CREATE SCHEMA {}").format(Identifier(SCHEMA)))
            for projection in all_projections():
                projection.create(cur, Tables(projection.tables))
            create_bi_views(cur, all_projections())
        for statement in SESSION:  # as the service copies: UTC, ISO 8601
            conn.execute(statement)
        yield conn


def exported(conn: Connection, view: View) -> list[dict[str, str]]:
    """The view as the service exports it, read back with the csv module."""
    columns = conn.execute(COLUMN_TYPES, (view.qualified,)).fetchall()
    with conn.cursor() as cur, cur.copy(safe_csv_copy(view, columns)) as copy:
        text = b"".join(copy).decode()
    header, *rows = csv.reader(io.StringIO(text, newline=""))
    assert tuple(header) == view.columns
    return [dict(zip(header, row, strict=True)) for row in rows]


def could_run_as_formula(cell: str) -> bool:
    return cell.startswith(FORMULA_STARTS) and not NUMBER.fullmatch(cell)


# Every view, every column ----------------------------------------------------------------------


def a_value(pg_type: str, k: int) -> Any:
    """Row `k`'s value for a column of `pg_type`: hostile text, negative numbers."""
    values: dict[str, Any] = {
        "text": HOSTILE[k],
        "_text": [HOSTILE[k]],
        "jsonb": Jsonb({"title": HOSTILE[k]}),
        "numeric": Decimal("-1.5") - k,
        "int4": -1 - k,
        "int8": -1 - k,
        "bool": k % 2 == 0,
        "date": date(2027, 1, 1 + k),
        "timestamptz": datetime(2027, 1, 1 + k, tzinfo=UTC),
        "uuid": uuid4(),
        "_uuid": [uuid4()],
    }
    return values[pg_type]


def fill_every_table(conn: Connection) -> None:
    """Six rows in every view's table: row k's text starts with the k-th formula character."""
    for view in exportable().values():
        table = Identifier(SCHEMA, view.table)
        writable = COLUMN_TYPES + " AND a.attgenerated = ''"
        columns = conn.execute(writable, (f"{SCHEMA}.{view.table}",)).fetchall()
        insert = SQL("INSERT INTO {} ({}) VALUES ({})").format(
            table,
            SQL(", ").join(Identifier(c["name"]) for c in columns),
            SQL(", ").join(Placeholder() * len(columns)),
        )
        for k in range(len(HOSTILE)):
            conn.execute(insert, [a_value(c["type"], k) for c in columns])


def test_every_text_cell_of_every_view_that_starts_like_a_formula_gets_a_quote(
    connection: Connection,
) -> None:
    fill_every_table(connection)

    for view in exportable().values():
        columns = connection.execute(COLUMN_TYPES, (view.qualified,)).fetchall()
        texts = [c["name"] for c in columns if c["type"] == "text"]
        rows = exported(connection, view)

        assert not [cell for row in rows for cell in row.values() if could_run_as_formula(cell)]
        if texts:  # a view of ids and numbers only (decision_log_reviews) has nothing to quote
            shown = {frozenset(row[name] for name in texts) for row in rows}
            assert shown == {frozenset({"'" + text}) for text in HOSTILE}, view.table


def test_negative_numbers_in_every_view_stay_numbers(connection: Connection) -> None:
    fill_every_table(connection)

    for view in exportable().values():
        columns = connection.execute(COLUMN_TYPES, (view.qualified,)).fetchall()
        numbers = [c["name"] for c in columns if c["category"] == "N"]
        for row in exported(connection, view):
            assert all(NUMBER.fullmatch(row[n]) and row[n].startswith("-") for n in numbers)


# Every kind of column ------------------------------------------------------------------------

# A column type, a value stored in it, and the cell its export shows.
KINDS: list[tuple[str, Any, str]] = [
    ("text", "=1+1", "'=1+1"),
    ("varchar(20)", "+1+1", "'+1+1"),
    ("char(4)", "@SUM", "'@SUM"),
    ("mood", "-sad", "'-sad"),  # an enum
    ("shout", "\t=1", "'\t=1"),  # a domain over text
    ("jsonb", "-1", "'-1"),  # a JSON document is text, even when it is a number
    ("interval", "-1 day -2 hours", "P-1DT-2H"),  # ISO 8601
    ("text[]", ["=1", "b"], "'=1;b"),  # a list's items joined with ;
    ("text[]", ["a;b", "c\\d", "e"], "a\\;b;c\\\\d;e"),  # ; and \ in an item escaped
    ("text[]", [], ""),
    ("uuid[]", [UUID(int=1), UUID(int=2)], f"{UUID(int=1)};{UUID(int=2)}"),
    ("numeric", Decimal("-1.5"), "-1.5"),
    ("integer", -1, "-1"),
    ("bigint", -2, "-2"),
    ("double precision", -2.5, "-2.5"),
    ("boolean", False, "false"),
    ("boolean", True, "true"),
    ("date", date(2027, 3, 1), "2027-03-01"),
    (
        "timestamptz",
        datetime(2027, 3, 1, 9, 5, 7, 120, tzinfo=UTC),
        "2027-03-01T09:05:07.00012+00:00",
    ),
    ("timestamptz", datetime(2027, 3, 1, tzinfo=UTC), "2027-03-01T00:00:00+00:00"),
    ("timestamp", datetime(2027, 3, 1, 12, 30), "2027-03-01T12:30:00"),
    ("boolean[]", [True, False], "true;false"),
    ("timestamptz[]", [datetime(2027, 3, 1, tzinfo=UTC)], "2027-03-01T00:00:00+00:00"),
    (
        "numeric[]",
        [Decimal("-1.5"), Decimal(2)],
        "'-1.5;2",
    ),  # a list is text: it could be a formula
    ("uuid", UUID(int=1), str(UUID(int=1))),
    ("text", "a = b + c - d @ e", "a = b + c - d @ e"),  # only the first character counts
    ("text", "'=1", "'=1"),
    ("text", None, ""),
]


def test_each_kind_of_column_is_written_by_its_type_and_text_like_ones_neutralised(
    connection: Connection,
) -> None:
    names = [f"c{i}_" + re.sub(r"\W+", "_", kind) for i, (kind, _, _) in enumerate(KINDS)]
    columns = SQL(", ").join(
        SQL("{} {}").format(Identifier(name), SQL(kind))
        for name, (kind, _, _) in zip(names, KINDS, strict=True)
    )
    connection.execute("CREATE TYPE mood AS ENUM ('-sad', 'fine')")
    connection.execute("CREATE DOMAIN shout AS text")
    view = View("every_kind", tuple(names), "", {})
    connection.execute(SQL("CREATE TABLE {} ({})").format(view.identifier, columns))
    connection.execute(
        SQL("INSERT INTO {} VALUES ({})").format(
            view.identifier, SQL(", ").join(Placeholder() * len(KINDS))
        ),
        [stored for _, stored, _ in KINDS],
    )

    (row,) = exported(connection, view)

    assert list(row.values()) == [cell for _, _, cell in KINDS]
