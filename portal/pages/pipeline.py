"""Pipeline and gates (/pipeline): work items per stage on both paths and how long they have
been there, gate decisions by gate and outcome, the kill rate, conditional gos whose conditions
are still open, and gate reviews waiting for their decision."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from litestar import get
from litestar.di import NamedDependency
from litestar.response import Template

from domain.gates import Gate, Outcome, Stage
from domain.improvement import PdcaStage
from portal.charts import Chart, row_chart
from portal.formatting import label
from portal.layout import Link, page
from portal.reading import Reader

QUERY = """query Pipeline {
  pipeline {
    itemsPerStage { path stage items }
    timeInStage { path stage items avgDays maxDays }
    decisionsByGate { gate outcome decisions }
    killRate { gate decided killed killRate }
    openConditionalGos {
      initiativeUuid title orgUnit gate decidedAt conditions nextGateDate daysOpen }
    openGateReviews {
      reviewId initiativeUuid title orgUnit gate chair panel votes openedAt daysOpen }
  }
  gateReviews(status: OPEN, first: 50) { id gatekeepers votes { gatekeeper } }
}"""
# Each path's stages in lifecycle order, side states and ends last, as the views name them.
PATHS = {
    "STRATEGIC": ("Strategic initiatives", [s.value for s in Stage]),
    "OPERATIONAL": ("Operational improvement", [s.value for s in PdcaStage]),
}
OUTCOMES = [o.value for o in Outcome]
LISTED = 50  # rows of a list shown; the rest are counted


@dataclass(frozen=True)
class StageRow:
    """One stage of a path: how many items are in it, and for how long (none in an end stage)."""

    stage: str
    items: int
    age: dict[str, Any] | None


@dataclass(frozen=True)
class PathPipeline:
    path: str
    name: str
    stages: list[StageRow]
    chart: Chart


@dataclass(frozen=True)
class GateRow:
    """One gate: its decisions by outcome (none taken shows as 0) and its kill rate."""

    gate: str
    title: str
    decisions: dict[str, int]
    kill: dict[str, Any] | None


@dataclass(frozen=True)
class OpenReview:
    """A gate review waiting for its decision, and its panel as gateReviews reads it."""

    review: dict[str, Any]
    panel: dict[str, Any] | None  # none if gateReviews read it beyond its first 50

    @property
    def members(self) -> list[tuple[str, bool]]:
        """Each gatekeeper on the panel, and whether they have voted yet."""
        if self.panel is None:
            return []
        cast = {vote["gatekeeper"] for vote in self.panel["votes"]}
        return [(keeper, keeper in cast) for keeper in self.panel["gatekeepers"]]


@get("/pipeline", name="pipeline")
async def pipeline(reader: NamedDependency[Reader]) -> Template:
    data = await reader.read(QUERY)
    figures = data["pipeline"]
    kills = {row["gate"]: row for row in figures["killRate"]}
    panels = {review["id"]: review for review in data["gateReviews"]}
    return page(
        "pipeline.html",
        reader,
        title="Pipeline and gates",
        crumbs=[Link("Pipeline and gates")],
        paths=[
            path_pipeline(path, figures["itemsPerStage"], figures["timeInStage"]) for path in PATHS
        ],
        gates=gate_rows(figures["decisionsByGate"], kills),
        outcomes=OUTCOMES,
        overall=kills.get(None),
        conditional=figures["openConditionalGos"][:LISTED],
        conditional_total=len(figures["openConditionalGos"]),
        reviews=[
            OpenReview(review, panels.get(review["reviewId"]))
            for review in figures["openGateReviews"][:LISTED]
        ],
        reviews_total=len(figures["openGateReviews"]),
    )


def path_pipeline(
    path: str, counts: Iterable[dict[str, Any]], ages: Iterable[dict[str, Any]]
) -> PathPipeline:
    """A path's stages in order, with their counts and ages, and the chart of the counts."""
    name, order = PATHS[path]
    items = {row["stage"]: row["items"] for row in counts if row["path"] == path}
    age = {row["stage"]: row for row in ages if row["path"] == path}
    stages = [StageRow(stage, items.get(stage, 0), age.get(stage)) for stage in order]
    chart = row_chart(
        f"{name}: work items per stage",
        [label(row.stage) for row in stages],
        {"Work items": [row.items for row in stages]},
        width=480,  # half the width of the page's column, beside the other path's
    )
    return PathPipeline(path, name, stages, chart)


def gate_rows(
    decided: Iterable[dict[str, Any]], kills: dict[str | None, dict[str, Any]]
) -> list[GateRow]:
    counts: dict[tuple[str, str], int] = {
        (row["gate"], row["outcome"]): row["decisions"] for row in decided
    }
    return [
        GateRow(
            gate.value,
            gate.title,
            {outcome: counts.get((gate.value, outcome), 0) for outcome in OUTCOMES},
            kills.get(gate.value),
        )
        for gate in Gate
    ]
