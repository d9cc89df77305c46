"""The baseline for reads: a minimal hand-written Litestar endpoint over the same reporting tables.

`GET /portfolio` and `GET /decisions` run the SQL statements Polarity runs for the first
50-row page of the portfolio (in the portal's order, by title) and of the decision log (newest
first), written out here as Polarity wrote them when this baseline was made, so that the
baseline does not move when Polarity's SQL does, and answer with the JSON document Polarity's
GraphQL answer holds for `benchmarks.reads`' queries (`benchmarks.reads` checks that the two are
equal before it measures). No token check, no GraphQL, no access log: what is left is the
statements, psycopg's pool, Litestar and JSON.

Served by `uvicorn --factory benchmarks.minimal:app_from_env` with BENCH_MINIMAL_DATABASE_URL."""

from __future__ import annotations

import base64
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, get
from litestar.datastructures import State
from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool

URL_VARIABLE = "BENCH_MINIMAL_DATABASE_URL"
PAGE = 50
POOL_SIZE = (2, 10)  # Polarity's read pool (service.web.READ_POOL_SIZE)

# The two statements of schema/reporting.py's portfolio_page for `first: 50` ordered by title.
PORTFOLIO_ROWS = (
    "SELECT *, next_review_due < now() AS review_overdue FROM reporting.portfolio "
    'WHERE true ORDER BY "title" ASC, "id" ASC LIMIT %s'
)
PORTFOLIO_TOTAL = "SELECT count(*) AS total FROM reporting.portfolio WHERE true"
# The two statements of projections/decision_log.py's decision_log for `first: 50`, newest first.
DECISIONS_TOTAL = "SELECT count(*) AS total FROM reporting.decision_log WHERE true"
DECISION_ROWS = (
    "SELECT position, aggregate_id, aggregate_kind, version, decision_type, event_type, "
    "actor_id, actor_roles, on_behalf_of, reason, recorded_at, corrects, overridden, "
    "request_id, summary FROM reporting.decision_log WHERE true ORDER BY position DESC LIMIT %s"
)
TYPE_NAMES = {
    "initiative": "Initiative",
    "improvement_item": "ImprovementItem",
    "team": "Team",
    "objective": "Objective",
    "approval_request": "ApprovalRequest",
}

Pool = AsyncConnectionPool[AsyncConnection[DictRow]]


def global_id(type_name: str, value: object) -> str:
    return base64.b64encode(f"{type_name}:{value}".encode()).decode()


def portfolio_cursor(value: object) -> str:
    return base64.urlsafe_b64encode(f"portfolio:{value}".encode()).decode()


def page_info(cursors: list[str], more: bool) -> dict[str, Any]:
    return {
        "hasNextPage": more,
        "hasPreviousPage": False,
        "startCursor": cursors[0] if cursors else None,
        "endCursor": cursors[-1] if cursors else None,
    }


def portfolio_node(row: dict[str, Any]) -> dict[str, Any]:
    """The fields `benchmarks.reads.PORTFOLIO` asks for, as Polarity writes them."""
    return {
        "id": global_id(TYPE_NAMES[row["kind"]], row["id"]),
        "kind": row["kind"].upper(),  # GraphQL enums: the stored text's upper-case name
        "path": row["path"],
        "title": row["title"],
        "stage": row["stage"].upper(),
        "orgUnit": row["org_unit"],
        "owner": row["owner"],
        "sponsor": row["sponsor"],
        "objectiveIds": [global_id("Objective", o) for o in row["objective_ids"]],
        "reviewOverdue": row["review_overdue"],
        "nextReviewDue": row["next_review_due"].isoformat(),
    }


def decision_node(row: dict[str, Any]) -> dict[str, Any]:
    """The fields `benchmarks.reads.DECISIONS` asks for, as Polarity writes them."""
    return {
        "position": row["position"],
        "subjectId": global_id(TYPE_NAMES[row["aggregate_kind"]], row["aggregate_id"]),
        "subjectKind": row["aggregate_kind"].upper(),
        "decisionType": row["decision_type"].upper(),
        "eventType": row["event_type"],
        "actorId": row["actor_id"],
        "actorRoles": [role.upper() for role in row["actor_roles"]],
        "onBehalfOf": row["on_behalf_of"],
        "reason": row["reason"],
        "recordedAt": row["recorded_at"].isoformat(),
        "overridden": row["overridden"],
        "summary": row["summary"],
    }


@get("/portfolio")
async def portfolio(state: State) -> dict[str, Any]:
    pool: Pool = state.pool
    async with pool.connection() as conn:
        rows = await (await conn.execute(PORTFOLIO_ROWS, (PAGE + 1,))).fetchall()
        total = await (await conn.execute(PORTFOLIO_TOTAL)).fetchone()
    shown = rows[:PAGE]
    cursors = [portfolio_cursor(row["id"]) for row in shown]
    connection = {
        "totalCount": total["total"] if total else 0,
        "pageInfo": page_info(cursors, len(rows) > PAGE),
        "edges": [{"node": portfolio_node(row)} for row in shown],
    }
    return {"data": {"portfolio": connection}}


@get("/decisions")
async def decisions(state: State) -> dict[str, Any]:
    pool: Pool = state.pool
    async with pool.connection() as conn:
        total = await (await conn.execute(DECISIONS_TOTAL)).fetchone()
        rows = await (await conn.execute(DECISION_ROWS, (PAGE + 1,))).fetchall()
    shown = rows[:PAGE]
    cursors = [str(row["position"]) for row in shown]
    connection = {
        "totalCount": total["total"] if total else 0,
        "pageInfo": page_info(cursors, len(rows) > PAGE),
        "edges": [{"node": decision_node(row)} for row in shown],
    }
    return {"data": {"decisionLog": connection}}


def app_from_env() -> Litestar:
    conninfo = os.environ[URL_VARIABLE]

    @asynccontextmanager
    async def pool_open(app: Litestar) -> AsyncIterator[None]:
        min_size, max_size = POOL_SIZE
        pool = Pool(
            conninfo,
            connection_class=AsyncConnection[DictRow],
            kwargs={"row_factory": dict_row},
            min_size=min_size,
            max_size=max_size,
            open=False,
        )
        await pool.open(wait=True, timeout=10)
        app.state.pool = pool
        try:
            yield
        finally:
            await pool.close()

    return Litestar(route_handlers=[portfolio, decisions], lifespan=[pool_open])
