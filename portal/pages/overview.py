"""Overview (/): the two paths side by side in a quarter, the strategic share of allocated
capacity against its target band over the quarters, and the governance-health questions with
their answers and the work they name."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template

from portal.charts import Chart, as_percent, line_chart
from portal.formatting import plural
from portal.layout import Link, page
from portal.links import work_url
from portal.periods import this_quarter
from portal.reading import Reader

QUERY = """query Overview {
  pathBalance { path orgUnit period workItems allocations fte budget }
  strategicShare(overall: true) {
    period strategicFte operationalFte allocatedFte strategicShare bandLow bandHigh insideBand }
  strategic: portfolio(filter: {path: STRATEGIC}, first: 1) { totalCount }
  operational: portfolio(filter: {path: OPERATIONAL}, first: 1) { totalCount }
  governanceHealth {
    name question definition subject count healthy ids(first: 10)
    workItems(first: 10) { uuid kind title } }
  overAllocated: capacity(overAllocated: true) { teamUuid teamName period capacityFte allocatedFte }
}"""
PATHS = {"STRATEGIC": "Strategic initiatives", "OPERATIONAL": "Operational improvement"}
SUBJECTS = {"WORK_ITEM": "work item", "TEAM": "team", "PERIOD": "quarter"}


@dataclass(frozen=True)
class PathFigures:
    """One path in one quarter, across org units, beside its whole portfolio."""

    path: str
    name: str
    in_portfolio: int
    work_items: int
    allocations: int
    fte: Decimal
    budget: Decimal


@dataclass(frozen=True)
class Answer:
    """A governance-health question, its answer, and links to what it names."""

    check: dict[str, Any]
    links: list[Link]

    @property
    def answer(self) -> str:
        if self.check["healthy"]:
            return "All clear"
        subject = self.check["subject"]
        return plural(self.check["count"], SUBJECTS.get(subject, subject.replace("_", " ").lower()))

    @property
    def unlisted(self) -> int:
        """How many of the work items or quarters the answer counts have no link here."""
        return max(int(self.check["count"]) - len(self.links), 0)


@get("/", name="overview")
async def overview(
    reader: NamedDependency[Reader], period: FromQuery[str | None] = None
) -> Template:
    data = await reader.read(QUERY)
    share = data["strategicShare"]
    periods = [row["period"] for row in share]
    shown = chosen(periods, period)
    balance = [row for row in data["pathBalance"] if row["period"] == shown]
    return page(
        "overview.html",
        reader,
        title="Overview",
        period=shown,
        periods=periods,
        paths=side_by_side(balance, data),
        balance=balance,
        share=share,
        chart=share_chart(share),
        answers=[answer(check, data["overAllocated"]) for check in data["governanceHealth"]],
    )


def chosen(periods: Sequence[str], asked: str | None) -> str | None:
    """The quarter asked for if there are figures for it; else this quarter, or the latest
    before it, or the first there is."""
    if asked in periods:
        return asked
    this = this_quarter()
    past = [p for p in periods if p <= this]
    return past[-1] if past else (periods[0] if periods else None)


def side_by_side(balance: Iterable[dict[str, Any]], data: dict[str, Any]) -> list[PathFigures]:
    """Each path's work items, allocations, FTE and budget in the quarter, over its org units
    (a work item counts under its own org unit only, so the counts add up)."""
    totals: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 4)
    for row in balance:
        figures = (row["workItems"], row["allocations"], row["fte"], row["budget"])
        totals[row["path"]] = [
            t + Decimal(f) for t, f in zip(totals[row["path"]], figures, strict=True)
        ]
    return [
        PathFigures(
            path=path,
            name=name,
            in_portfolio=data[path.lower()]["totalCount"],
            work_items=int(totals[path][0]),
            allocations=int(totals[path][1]),
            fte=totals[path][2],
            budget=totals[path][3],
        )
        for path, name in PATHS.items()
    ]


def share_chart(share: Sequence[dict[str, Any]]) -> Chart | None:
    if not share:
        return None
    low, high = Decimal(share[0]["bandLow"]), Decimal(share[0]["bandHigh"])
    return line_chart(
        "Strategic share of allocated FTE by quarter",
        [row["period"] for row in share],
        [
            None if row["strategicShare"] is None else Decimal(row["strategicShare"])
            for row in share
        ],
        top=Decimal(1),
        band=(low, high),
        band_label=f"target {as_percent(low)} to {as_percent(high)}",
        shown=as_percent,
    )


def answer(check: dict[str, Any], over_allocated: Sequence[dict[str, Any]]) -> Answer:
    subject = check["subject"]
    if subject == "WORK_ITEM":
        links = [Link(w["title"], work_url(w["kind"], w["uuid"])) for w in check["workItems"]]
    elif subject == "TEAM":
        named = set(check["ids"])
        links = [
            Link(
                f"{row['teamName']}, {row['period']}: {row['allocatedFte']} FTE allocated "
                f"of {row['capacityFte']}",
                f"/capacity?period={row['period']}",
            )
            for row in over_allocated
            if row["teamUuid"] in named
        ]
    elif subject == "PERIOD":
        links = [Link(period, f"/capacity?period={period}") for period in check["ids"]]
    else:
        links = []
    return Answer(check, links)
