"""Reporting over GraphQL: the portfolio view as a filtered, paged connection of rows."""

from __future__ import annotations

import base64
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import strawberry
from psycopg.sql import SQL, Composed, Identifier
from strawberry import relay
from strawberry.types import Info

from schema.consistency import wait_for_views
from schema.context import RequestContext
from schema.enums import Gate, Path, ReviewStatus, WorkKind, WorkStage
from schema.ids import AnyId, filter_uuid, uuid_beside, uuids_beside
from schema.keyset import Keyset, PortfolioOrder
from schema.paging import LAST, Window, asks_for, decode_cursor, not_a_cursor, page_size
from schema.response_cache import reads

Ctx = Info[RequestContext, None]


@strawberry.type(description="One work item as the portfolio view shows it.")
class PortfolioItem:
    id: relay.GlobalID = strawberry.field(description="The Initiative or ImprovementItem id.")
    uuid = uuid_beside("id")
    kind: WorkKind
    path: Path
    title: str
    stage: WorkStage  # type: ignore[valid-type]
    org_unit: str
    owner: str | None
    sponsor: str | None
    classified_path: Path | None
    overridden: bool
    fte: Decimal
    budget: Decimal
    objective_ids: list[relay.GlobalID]
    objective_uuids = uuids_beside("objective_ids")
    last_review_status: ReviewStatus | None
    last_reviewed_at: datetime | None
    next_review_due: datetime
    review_overdue: bool
    next_gate: Gate | None
    next_gate_date: date | None
    open_conditions: int
    due: date | None
    created_at: datetime
    updated_at: datetime
    version: int
    position: int

    @classmethod
    def of(cls, row: dict[str, Any]) -> PortfolioItem:
        kind = WorkKind(row["kind"])
        return cls(
            id=relay.GlobalID(kind.type_name, str(row["id"])),
            kind=kind,
            path=Path(row["path"]),
            title=row["title"],
            stage=WorkStage(row["stage"]),
            org_unit=row["org_unit"],
            owner=row["owner"],
            sponsor=row["sponsor"],
            classified_path=Path(row["classified_path"]) if row["classified_path"] else None,
            overridden=row["overridden"],
            fte=row["fte"],
            budget=row["budget"],
            objective_ids=[relay.GlobalID("Objective", str(o)) for o in row["objective_ids"]],
            last_review_status=ReviewStatus(row["last_review_status"])
            if row["last_review_status"]
            else None,
            last_reviewed_at=row["last_reviewed_at"],
            next_review_due=row["next_review_due"],
            review_overdue=row["review_overdue"],
            next_gate=Gate(row["next_gate"]) if row["next_gate"] else None,
            next_gate_date=row["next_gate_date"],
            open_conditions=row["open_conditions"],
            due=row["due"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            version=row["version"],
            position=row["position"],
        )


@strawberry.input(description="Every field narrows the list; leave it out to take all.")
class PortfolioFilter:
    path: Path | None = None
    kind: WorkKind | None = None
    stage: WorkStage | None = None  # type: ignore[valid-type]
    org_unit: str | None = None
    objective_id: AnyId | None = None
    sponsor: str | None = None
    owner: str | None = None
    review_overdue: bool | None = None


@strawberry.type
class PortfolioEdge:
    cursor: str
    node: PortfolioItem


@strawberry.type
class PortfolioConnection:
    edges: list[PortfolioEdge]
    page_info: relay.PageInfo
    total_count: int


def _where(f: PortfolioFilter | None, objective: UUID | None) -> tuple[Composed, list[Any]]:
    clauses: list[Composed] = [SQL("true").format()]
    params: list[Any] = []
    if f is None:
        return clauses[0], params
    equal = {
        "path": f.path.value if f.path else None,
        "kind": f.kind.value if f.kind else None,
        "stage": f.stage.value if f.stage else None,
        "org_unit": f.org_unit,
        "sponsor": f.sponsor,
        "owner": f.owner,
    }
    for column, value in equal.items():
        if value is not None:
            clauses.append(SQL("{} = %s").format(Identifier(column)))
            params.append(value)
    if objective is not None:
        clauses.append(SQL("%s = ANY(objective_ids)").format())
        params.append(objective)
    if f.review_overdue is not None:
        clauses.append(SQL("(next_review_due < now()) = %s").format())
        params.append(f.review_overdue)
    return SQL(" AND ").join(clauses), params


def _cursor(aggregate_id: UUID) -> str:
    return base64.urlsafe_b64encode(f"portfolio:{aggregate_id}".encode()).decode()


def _anchor(cursor: str | None) -> UUID | None:
    if cursor is None:
        return None
    try:
        return UUID(decode_cursor(cursor, "portfolio"))
    except ValueError:
        raise not_a_cursor(cursor) from None


# reviewOverdue (and the filter on it) compare next_review_due with now(): an answer holding them
# changes by itself when the first due date still ahead passes.
OVERDUE_CHANGES = SQL(
    "SELECT min(next_review_due) AS at FROM reporting.portfolio WHERE next_review_due >= now()"
)
ROWS = SQL(
    "SELECT *, next_review_due < now() AS review_overdue FROM reporting.portfolio "
    "WHERE {} ORDER BY {} LIMIT %s"
)


async def portfolio_page(
    info: Ctx,
    filter: PortfolioFilter | None,
    order: PortfolioOrder | None,
    window: Window,
) -> PortfolioConnection:
    """One page of the portfolio in `order`: the `first` rows after `after`, or the `last`
    rows before `before`, with the total that match the filter."""
    size = page_size(window)
    objective = await filter_uuid(
        info.context, filter.objective_id if filter else None, "Objective", field="objectiveId"
    )
    where, params = _where(filter, objective)
    backward = window.backward
    keyset = Keyset.of(order, backward)
    anchor = _anchor(window.before if backward else window.after)
    page_where, page_params = where, list(params)
    if anchor is not None:
        beyond, anchor_params = keyset.beyond(anchor)
        page_where = SQL("{} AND {}").format(where, beyond)
        page_params += anchor_params
    rows_sql = ROWS.format(page_where, keyset.order_by())
    count_sql = SQL("SELECT count(*) AS total FROM reporting.portfolio WHERE {}").format(where)
    total = None  # not counted unless asked for: never read then
    async with info.context.pool.connection() as conn:
        rows = await (await conn.execute(rows_sql, [*page_params, size + 1])).fetchall()
        if asks_for(info, "totalCount"):
            total = await (await conn.execute(count_sql, params)).fetchone()
    shown = rows[:size][::-1] if backward else rows[:size]
    more = len(rows) > size
    cursors = [_cursor(row["id"]) for row in shown]
    return PortfolioConnection(
        edges=[
            PortfolioEdge(cursor=c, node=PortfolioItem.of(r))
            for c, r in zip(cursors, shown, strict=True)
        ],
        page_info=relay.PageInfo(
            has_next_page=anchor is not None if backward else more,
            has_previous_page=more if backward else anchor is not None,
            start_cursor=cursors[0] if cursors else None,
            end_cursor=cursors[-1] if cursors else None,
        ),
        total_count=total["total"] if total else 0,  # 0 when not asked for: never read then
    )


@strawberry.type(
    description="The values the portfolio's filters can take: those its items hold now."
)
class PortfolioChoices:
    stages: list[WorkStage]  # type: ignore[valid-type]
    org_units: list[str]
    sponsors: list[str]
    owners: list[str]


CHOICES = SQL("SELECT {} FROM (SELECT 1) AS one").format(
    SQL(", ").join(
        SQL(
            "array(SELECT DISTINCT {column} FROM reporting.portfolio "
            "WHERE {column} IS NOT NULL ORDER BY 1) AS {column}"
        ).format(column=Identifier(column))
        for column in ("stage", "org_unit", "sponsor", "owner")
    )
)


@strawberry.type
class ReportingQuery:
    @strawberry.field(
        description="Every work item on both paths, from the portfolio view, in `orderBy` "
        "(by id unless given). consistentWith: wait (up to 5 s) until the view includes the "
        "write at that position.",
        metadata=reads("portfolio", changes_at=OVERDUE_CHANGES),
    )
    async def portfolio(
        self,
        info: Ctx,
        filter: PortfolioFilter | None = None,
        order_by: PortfolioOrder | None = None,
        first: int = 20,
        after: str | None = None,
        last: Annotated[int | None, strawberry.argument(description=LAST)] = None,
        before: str | None = None,
        consistent_with: int | None = None,
    ) -> PortfolioConnection:
        await wait_for_views(info.context, consistent_with, ["portfolio"])
        return await portfolio_page(info, filter, order_by, Window(first, after, last, before))

    @strawberry.field(
        description="The stages, org units, sponsors and owners the portfolio's items hold, each "
        "sorted: the choices its filters offer. consistentWith: as for portfolio.",
        metadata=reads("portfolio"),
    )
    async def portfolio_choices(
        self, info: Ctx, consistent_with: int | None = None
    ) -> PortfolioChoices:
        await wait_for_views(info.context, consistent_with, ["portfolio"])
        async with info.context.pool.connection() as conn:
            row = await (await conn.execute(CHOICES)).fetchone()
        assert row is not None  # one row, whatever the view holds
        return PortfolioChoices(
            stages=[WorkStage(stage) for stage in row["stage"]],
            org_units=row["org_unit"],
            sponsors=row["sponsor"],
            owners=row["owner"],
        )
