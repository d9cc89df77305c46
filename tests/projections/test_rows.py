"""A view's rows in memory: they behave like the SQL they replace and round-trip exactly."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from psycopg.types.json import Jsonb

from projections.rows import Layout, Rows
from service.database import Database
from tests.conftest import fresh_database

pytestmark = pytest.mark.database

TABLE = """CREATE TABLE scratch.items (
    id uuid NOT NULL,
    period text NOT NULL,
    team text NOT NULL,
    fte numeric NOT NULL DEFAULT 0,
    tags uuid[] NOT NULL DEFAULT '{}',
    kpis jsonb,
    note text,
    busy boolean GENERATED ALWAYS AS (fte > 0) STORED,
    PRIMARY KEY (id, period)
)"""


@pytest.fixture
def conn(database: Database) -> Iterator[psycopg.Connection[Any]]:
    fresh = fresh_database(database)
    db = next(fresh)
    with psycopg.connect(db.conninfo, autocommit=True) as connection:
        connection.execute("CREATE SCHEMA scratch")
        connection.execute(TABLE)
        yield connection
    next(fresh, None)


def opened(conn: psycopg.Connection[Any]) -> Rows:
    with conn.cursor() as cur:
        rows = Rows(Layout.read(cur, "items", "scratch", "items"), indexed=[("team", "period")])
        rows.load(cur)
    return rows


def written(conn: psycopg.Connection[Any], rows: Rows) -> int:
    with conn.transaction(), conn.cursor() as cur:
        return rows.write(cur)


def stored(conn: psycopg.Connection[Any]) -> list[tuple[Any, ...]]:
    query = "SELECT id, period, team, fte, tags, kpis::text, note, busy FROM scratch.items"
    return conn.execute(query + " ORDER BY id, period").fetchall()


def test_the_layout_comes_from_postgresql_with_defaults_of_the_columns_types(
    conn: psycopg.Connection[Any],
) -> None:
    layout = opened(conn).layout

    assert layout.key == ("id", "period")
    assert "busy" not in layout.columns, "generated columns are PostgreSQL's to compute"
    assert layout.defaults["fte"] == Decimal(0)
    assert isinstance(layout.defaults["fte"], Decimal)
    assert layout.defaults["tags"] == []
    assert layout.defaults["note"] is None


def test_rows_behave_like_the_sql_they_replace(conn: psycopg.Connection[Any]) -> None:
    rows, a, b = opened(conn), uuid4(), uuid4()

    assert rows.insert(id=a, period="2027-Q1", team="blue", fte=Decimal("1.5"))
    assert not rows.insert(id=a, period="2027-Q1", team="red"), "like ON CONFLICT DO NOTHING"
    assert rows[(a, "2027-Q1")]["team"] == "blue"
    assert not rows.update((b, "2027-Q1"), fte=Decimal(1)), "like an UPDATE matching no row"
    assert (b, "2027-Q1") not in rows
    with pytest.raises(KeyError, match="no column"):
        rows.update((a, "2027-Q1"), colour="green")
    with pytest.raises(KeyError, match="no row"):
        rows[(b, "2027-Q1")]


def test_where_finds_the_same_rows_by_index_as_by_scan(conn: psycopg.Connection[Any]) -> None:
    rows = opened(conn)
    ids = [uuid4() for _ in range(6)]
    for n, id_ in enumerate(ids):
        rows.insert(id=id_, period="2027-Q1", team=["blue", "red"][n % 2])
    rows.update((ids[0], "2027-Q1"), team="red")  # moves between index entries
    rows.delete((ids[2], "2027-Q1"))

    by_index = {r["id"] for r in rows.where(team="red", period="2027-Q1")}
    by_scan = {r["id"] for r in rows.where(team="red")}  # no index on team alone

    assert by_index == by_scan == {ids[0], ids[1], ids[3], ids[5]}


def test_changes_written_and_read_back_are_exactly_what_was_held(
    conn: psycopg.Connection[Any],
) -> None:
    rows, a, b, c = opened(conn), uuid4(), uuid4(), uuid4()
    kpis = Jsonb([{"name": "lead time", "target": 22.50}], dumps=lambda _: '[{"target": 22.50}]')
    rows.insert(id=a, period="2027-Q1", team="blue", fte=Decimal("2.50"), kpis=kpis)
    rows.insert(id=b, period="2027-Q1", team="blue", tags=[c])
    rows.insert(id=c, period="2027-Q2", team="red")
    assert written(conn, rows) == 3

    rows.update((b, "2027-Q1"), note="moved", tags=[a, c])
    rows.delete((c, "2027-Q2"))
    assert written(conn, rows) == 2
    assert written(conn, rows) == 0, "nothing changed since"

    expected = sorted(
        [
            (a, "2027-Q1", "blue", Decimal("2.50"), [], '[{"target": 22.50}]', None, True),
            (b, "2027-Q1", "blue", Decimal(0), [a, c], None, "moved", False),
        ],
        key=lambda row: (str(row[0]), row[1]),
    )
    assert stored(conn) == expected

    again = opened(conn)  # a runner reading the tables afresh
    again.update((a, "2027-Q1"), note="read back")
    written(conn, again)
    assert stored(conn)[[r[0] for r in expected].index(a)][5] == '[{"target": 22.50}]', (
        "jsonb read back is written back exactly: 22.50 stays 22.50"
    )
    assert {row[0] for row in stored(conn)} == {a, b}


def test_arrays_are_written_as_held_missing_elements_too(conn: psycopg.Connection[Any]) -> None:
    rows, a, b, c = opened(conn), uuid4(), uuid4(), uuid4()
    rows.insert(id=a, period="2027-Q1", team="blue", tags=[b, None, c])
    rows.insert(id=b, period="2027-Q1", team="blue", tags=[None])
    rows.insert(id=c, period="2027-Q1", team="blue", tags=[c, c])
    written(conn, rows)

    tags = dict(conn.execute("SELECT id, tags FROM scratch.items").fetchall())
    assert tags == {a: [b, None, c], b: [None], c: [c, c]}


def test_a_key_deleted_and_inserted_again_in_one_batch_is_stored_once(
    conn: psycopg.Connection[Any],
) -> None:
    rows, a = opened(conn), uuid4()
    rows.insert(id=a, period="2027-Q1", team="blue")
    written(conn, rows)

    rows.delete((a, "2027-Q1"))
    rows.insert(id=a, period="2027-Q1", team="red")
    written(conn, rows)

    assert [(row[0], row[2]) for row in stored(conn)] == [(a, "red")]
    assert isinstance(stored(conn)[0][0], UUID)


def test_a_table_of_one_column_is_written_too(conn: psycopg.Connection[Any]) -> None:
    conn.execute("CREATE TABLE scratch.seen (id uuid PRIMARY KEY)")
    with conn.cursor() as cur:
        rows = Rows(Layout.read(cur, "seen", "scratch", "seen"))
    first, second = uuid4(), uuid4()
    rows.insert(id=first)
    rows.insert(id=second)

    assert written(conn, rows) == 2
    assert {r for (r,) in conn.execute("SELECT id FROM scratch.seen")} == {first, second}


def test_writing_twice_in_one_transaction_keeps_what_the_first_write_wrote(
    conn: psycopg.Connection[Any],
) -> None:
    rows, a, b = opened(conn), uuid4(), uuid4()
    rows.insert(id=a, period="2027-Q1", team="blue")
    rows.insert(id=b, period="2027-Q1", team="blue")
    written(conn, rows)

    with conn.transaction(), conn.cursor() as cur:  # as a batch set apart in savepoints
        rows.update((a, "2027-Q1"), team="red")
        rows.write(cur)
        rows.update((b, "2027-Q1"), team="green")
        rows.write(cur)

    assert sorted(row[2] for row in stored(conn)) == ["green", "red"]


def bounded(conn: psycopg.Connection[Any], limit: int) -> Rows:
    with conn.cursor() as cur:
        rows = Rows(Layout.read(cur, "items", "scratch", "items"), [("team", "period")], limit)
        rows.load(cur)
    return rows


def turned(conn: psycopg.Connection[Any], rows: Rows) -> None:
    with conn.transaction(), conn.cursor() as cur:
        rows.turn(cur)


def test_rows_over_the_limit_are_let_go_once_written_and_read_back_when_asked_for(
    conn: psycopg.Connection[Any],
) -> None:
    rows, ids = bounded(conn, limit=3), [uuid4() for _ in range(10)]
    for n, id_ in enumerate(ids):
        rows.insert(id=id_, period="2027-Q1", team="blue", fte=Decimal(n))
    turned(conn, rows)

    assert len(rows) <= 3, "no more rows held than the limit"
    assert len(stored(conn)) == 10, "every row written before it was let go"
    assert [rows[(id_, "2027-Q1")]["fte"] for id_ in ids] == [Decimal(n) for n in range(10)]
    assert (uuid4(), "2027-Q1") not in rows
    assert not rows.insert(id=ids[0], period="2027-Q1", team="red"), "the table has that key"


def test_rows_let_go_can_be_changed_and_found_by_index_as_if_held(
    conn: psycopg.Connection[Any],
) -> None:
    rows, ids = bounded(conn, limit=2), [uuid4() for _ in range(8)]
    for n, id_ in enumerate(ids):
        rows.insert(id=id_, period="2027-Q1", team=["blue", "red"][n % 2])
    turned(conn, rows)
    turned(conn, rows)

    assert rows.update((ids[0], "2027-Q1"), team="red", note="moved")
    assert rows.delete((ids[1], "2027-Q1"))
    red = {r["id"] for r in rows.where(team="red", period="2027-Q1")}
    scanned = {r["id"] for r in rows.where(team="red")}
    everything = {r["id"] for r in rows.values()}
    written(conn, rows)

    assert red == scanned == {ids[0], ids[3], ids[5], ids[7]}
    assert everything == set(ids) - {ids[1]}
    assert {(row[0], row[2], row[6]) for row in stored(conn)} == {
        (id_, ["blue", "red"][n % 2], None) for n, id_ in enumerate(ids) if n > 1
    } | {(ids[0], "red", "moved")}


def test_rows_a_runner_will_need_are_read_many_at_once(conn: psycopg.Connection[Any]) -> None:
    conn.execute("CREATE TABLE scratch.seen (id uuid PRIMARY KEY, n integer NOT NULL)")
    with conn.cursor() as cur:
        rows = Rows(Layout.read(cur, "seen", "scratch", "seen"), limit=1)
        rows.load(cur)
    ids = [uuid4() for _ in range(6)]
    for n, id_ in enumerate(ids):
        rows.insert(id=id_, n=n)
    turned(conn, rows)
    assert len(rows) == 0

    rows.prefetch([*ids[:4], uuid4()])

    assert len(rows) == 4, "the rows asked for, in one statement"
    assert [rows[id_]["n"] for id_ in ids] == list(range(6))


def test_a_table_opened_with_rows_reads_each_only_when_asked_for(
    conn: psycopg.Connection[Any],
) -> None:
    first, ids = opened(conn), [uuid4() for _ in range(5)]
    for id_ in ids:
        first.insert(id=id_, period="2027-Q1", team="blue")
    written(conn, first)

    again = bounded(conn, limit=100)

    assert len(again) == 0, "opening reads no row"
    assert again[(ids[2], "2027-Q1")]["team"] == "blue"
    assert len(again) == 1
    assert not again.insert(id=ids[3], period="2027-Q1", team="red")
    assert again.insert(id=uuid4(), period="2027-Q1", team="red")


def test_rows_are_found_by_an_element_of_an_array_held_or_let_go(
    conn: psycopg.Connection[Any],
) -> None:
    with conn.cursor() as cur:
        layout = Layout.read(cur, "items", "scratch", "items")
        rows = Rows(layout, limit=1, arrays=["tags"])
        rows.load(cur)
    tag, other, ids = uuid4(), uuid4(), [uuid4() for _ in range(5)]
    for n, id_ in enumerate(ids):
        rows.insert(id=id_, period="2027-Q1", team="blue", tags=[tag] if n % 2 else [other])
    turned(conn, rows)
    rows.insert(id=uuid4(), period="2027-Q2", team="red", tags=[other, tag])

    tagged = rows.having("tags", tag)
    rows.update((tagged[0]["id"], tagged[0]["period"]), tags=[])  # no longer found by it

    assert len(tagged) == 3
    assert len(rows.having("tags", tag)) == 2
    assert rows.having("tags", uuid4()) == []
