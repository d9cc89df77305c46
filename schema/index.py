"""Paged lists of aggregates, read from an index of their creation events through the async pool.

A stopgap until the reporting views: it never replays more aggregates than one page holds."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic
from graphql import GraphQLError
from psycopg.sql import SQL, Identifier

from schema.context import RequestContext

MAX_PAGE = 100


@dataclass(frozen=True)
class Page:
    ids: list[UUID]
    cursors: list[str]
    has_next: bool
    has_previous: bool
    total: int


def encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"position:{position}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        kind, _, value = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if kind != "position":
            raise ValueError
        return int(value)
    except ValueError:
        raise GraphQLError(
            f"{cursor!r} is not a cursor this list gave out.",
            extensions={"code": "BAD_USER_INPUT"},
        ) from None


def check_first(first: int) -> None:
    if not 1 <= first <= MAX_PAGE:
        raise GraphQLError(
            f"first must be between 1 and {MAX_PAGE}, not {first}.",
            extensions={"code": "BAD_USER_INPUT"},
        )


async def page_of(
    context: RequestContext, created: type[Any], first: int, after: str | None
) -> Page:
    check_first(first)
    start = decode_cursor(after) if after else 0
    recorder = context.app.store
    table = SQL("{}.{}").format(
        Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name)
    )
    topic = get_topic(created)
    rows_sql = SQL(
        "SELECT originator_id, notification_id FROM {} WHERE topic = %s AND notification_id > %s "
        "ORDER BY notification_id LIMIT %s"
    ).format(table)
    count_sql = SQL("SELECT count(*) AS total FROM {} WHERE topic = %s").format(table)
    async with context.pool.connection() as conn:
        rows = await (await conn.execute(rows_sql, (topic, start, first + 1))).fetchall()
        total_row = await (await conn.execute(count_sql, (topic,))).fetchone()
    shown = rows[:first]
    return Page(
        ids=[row["originator_id"] for row in shown],
        cursors=[encode_cursor(row["notification_id"]) for row in shown],
        has_next=len(rows) > first,
        has_previous=start > 0,
        total=total_row["total"] if total_row else 0,
    )
