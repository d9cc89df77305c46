"""Portfolio (/portfolio): both paths in one table, filtered, ordered and paged by the API's own
portfolio query, with the filters' choices from the same read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template

from portal.layout import Link, page
from portal.links import global_id, plain_id, work_url
from portal.listing import PAGE_SIZE, Address, Checked, pager
from portal.reading import Reader, ReadRefused
from schema.enums import WorkStage
from service.exports import EXPORTERS

QUERY = """query Portfolio($filter: PortfolioFilter, $order: PortfolioOrder, $first: Int!,
    $after: String, $last: Int, $before: String) {
  portfolio(filter: $filter, orderBy: $order, first: $first, after: $after, last: $last,
      before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { node { id kind path title stage orgUnit owner sponsor objectiveIds reviewOverdue
      nextReviewDue } } }
  portfolioChoices { stages orgUnits sponsors owners }
  objectives(first: 100) { edges { node { id title level retired } } }
}"""
PATHS = {"STRATEGIC": "Strategic", "OPERATIONAL": "Operational"}
DIRECTIONS = {"asc": "ascending", "desc": "descending"}
LEVELS = {"BREAKTHROUGH": 0, "ANNUAL": 1}  # the order objectives are offered in
STAGES = {stage.name: stage for stage in WorkStage}


@dataclass(frozen=True)
class Column:
    label: str
    sort: str | None = None  # the query parameter's value that orders by this column
    field: str | None = None  # the API's PortfolioOrderField
    ascending: str = "A to Z"  # what ascending means, said in the caption
    descending: str = "Z to A"


COLUMNS = (
    Column("Title", "title", "TITLE"),
    Column("Path", "path", "PATH"),
    Column("Stage", "stage", "STAGE"),
    Column("Org unit", "org_unit", "ORG_UNIT"),
    Column("Objectives"),
    Column("Sponsor", "sponsor", "SPONSOR"),
    Column("Owner", "owner", "OWNER"),
    Column("Next review", "review", "NEXT_REVIEW_DUE", "soonest first", "latest first"),
)
SORTS = {column.sort: column for column in COLUMNS if column.sort}


@dataclass(frozen=True)
class Row:
    """One work item as the table shows it."""

    item: dict[str, Any]
    url: str
    objectives: list[str]
    unlisted: int  # objectives beyond the first 100, named only by count

    @property
    def path(self) -> str:
        return PATHS[self.item["path"]]


@dataclass(frozen=True)
class Heading:
    """A column heading: its label, the link that orders by it, and its aria-sort."""

    column: Column
    href: str | None
    sorted: str | None  # "ascending" or "descending" on the column the table is ordered by


@dataclass(frozen=True)
class Filters:
    """What the reader asked for, as checked, and what was wrong with the rest."""

    given: dict[str, str]  # the checked parameters, as they go back into addresses
    problems: list[str]
    after: str | None
    before: str | None

    @property
    def sort(self) -> Column:
        return SORTS[self.given.get("sort", "title")]

    @property
    def direction(self) -> str:
        return self.given.get("direction", "asc")

    def api_filter(self) -> dict[str, Any]:
        g = self.given
        objective = g.get("objective")
        wanted = {
            "path": g.get("path"),
            "stage": g.get("stage"),
            "orgUnit": g.get("org_unit"),
            "sponsor": g.get("sponsor"),
            "owner": g.get("owner"),
            "objectiveId": global_id("Objective", objective) if objective else None,
            "reviewOverdue": True if g.get("overdue") else None,
        }
        return {name: value for name, value in wanted.items() if value is not None}

    def variables(self) -> dict[str, Any]:
        paging: dict[str, Any] = {"first": PAGE_SIZE, "after": self.after}
        if self.before:
            paging = {"first": PAGE_SIZE, "last": PAGE_SIZE, "before": self.before}
        order = {"field": self.sort.field, "direction": self.direction.upper()}
        return {"filter": self.api_filter(), "order": order, **paging}


def checked(params: Mapping[str, str | None]) -> Filters:
    check = Checked()
    given = {
        "path": check.one_of("Path", params.get("path"), PATHS),
        "stage": check.one_of("Stage", params.get("stage"), STAGES),
        "org_unit": check.name("Org unit", params.get("org_unit")),
        "objective": check.uuid("Objective", params.get("objective")),
        "sponsor": check.name("Sponsor", params.get("sponsor")),
        "owner": check.name("Owner", params.get("owner")),
        "overdue": "1" if params.get("overdue") else None,
        "sort": check.one_of("Sort", params.get("sort"), SORTS),
        "direction": check.one_of("Direction", params.get("direction"), DIRECTIONS),
    }
    after, before = check.cursors(params.get("after"), params.get("before"))
    kept = {name: value for name, value in given.items() if value}
    return Filters(kept, check.problems, after, before)


@get("/portfolio", name="portfolio")
async def portfolio(
    reader: NamedDependency[Reader],
    path: FromQuery[str | None] = None,
    stage: FromQuery[str | None] = None,
    org_unit: FromQuery[str | None] = None,
    objective: FromQuery[str | None] = None,
    sponsor: FromQuery[str | None] = None,
    owner: FromQuery[str | None] = None,
    overdue: FromQuery[str | None] = None,
    sort: FromQuery[str | None] = None,
    direction: FromQuery[str | None] = None,
    after: FromQuery[str | None] = None,
    before: FromQuery[str | None] = None,
) -> Template:
    filters = checked(
        {
            "path": path, "stage": stage, "org_unit": org_unit, "objective": objective,
            "sponsor": sponsor, "owner": owner, "overdue": overdue, "sort": sort,
            "direction": direction, "after": after, "before": before,
        }
    )  # fmt: skip
    data, filters = await read(reader, filters)
    address = Address("/portfolio", filters.given)
    listed = data["portfolio"]
    objectives = {
        plain_id(o["id"]): {**o, "id": plain_id(o["id"])}
        for o in (edge["node"] for edge in data["objectives"]["edges"])
    }
    return page(
        "portfolio.html",
        reader,
        title="Portfolio",
        crumbs=[Link("Portfolio")],
        filters=filters,
        choices=data["portfolioChoices"],
        objectives=sorted(
            objectives.values(), key=lambda o: (o["retired"], LEVELS.get(o["level"], 2), o["title"])
        ),
        paths=PATHS,
        total=listed["totalCount"],
        rows=[row(edge["node"], objectives) for edge in listed["edges"]],
        headings=headings(address, filters),
        ordered=ordered_by(filters),
        pages=pager(address, listed["pageInfo"], bool(filters.after or filters.before)),
        exports=reader.holds(*EXPORTERS),
    )


async def read(reader: Reader, filters: Filters) -> tuple[dict[str, Any], Filters]:
    """The page as asked for; if the API refuses what was asked (a stage that is none, a
    cursor it never gave out), the first page of the whole portfolio, saying why."""
    try:
        return await reader.read(QUERY, **filters.variables()), filters
    except ReadRefused as refused:
        if refused.code != "BAD_USER_INPUT":
            raise
        said = refused.message
    order = {k: v for k, v in filters.given.items() if k in ("sort", "direction")}
    problems = [*filters.problems, f"{said} Showing the whole portfolio instead."]
    plain = Filters(order, problems, None, None)
    return await reader.read(QUERY, **plain.variables()), plain


def row(item: dict[str, Any], objectives: Mapping[str, dict[str, Any]]) -> Row:
    served = [objectives.get(plain_id(o)) for o in item["objectiveIds"]]
    titles = [o["title"] for o in served if o is not None]
    return Row(
        item=item,
        url=work_url(item["kind"], plain_id(item["id"])),
        objectives=titles,
        unlisted=len(served) - len(titles),
    )


def headings(address: Address, filters: Filters) -> Sequence[Heading]:
    """Each column's heading; a sortable one links to the list ordered by it (the other way
    round if it is the order already), from the first page."""
    result = []
    for column in COLUMNS:
        current = column.sort is not None and column is filters.sort
        if column.sort is None:
            result.append(Heading(column, None, None))
            continue
        turn = "desc" if current and filters.direction == "asc" else "asc"
        href = address.to(sort=column.sort, direction=turn)
        result.append(Heading(column, href, DIRECTIONS[filters.direction] if current else None))
    return result


def ordered_by(filters: Filters) -> str:
    column = filters.sort
    way = column.ascending if filters.direction == "asc" else column.descending
    return f"{column.label.lower()}, {way}"


# What the page reads when opened without parameters (make bench reads the same over the API).
VARIABLES = checked({}).variables()
