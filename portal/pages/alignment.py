"""Alignment (/alignment): the objective tree, breakthrough objectives over the annual objectives
that serve them, each with the work aligned to it and how strongly; then the work aligned to no
objective, and the objectives no work serves."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from litestar import get
from litestar.di import NamedDependency
from litestar.response import Template

from portal.layout import Link, page
from portal.reading import Reader

QUERY = """query Alignment {
  alignment {
    objectives {
      uuid title level parentUuid owner due
      work strategic operational strong moderate weak viaChildren }
    unservedObjectives { uuid title level owner due }
    unalignedWork { uuid kind path title orgUnit createdAt }
    servingWork(first: 10) { objectiveUuid uuid kind path title orgUnit strength }
  }
}"""
LISTED = 50  # rows of a list shown; the rest are counted


@dataclass
class Branch:
    """An objective, the first of the work aligned directly to it (its `work` counts them all),
    and the annual objectives under it."""

    objective: dict[str, Any]
    work: list[dict[str, Any]] = field(default_factory=list)
    annual: list[Branch] = field(default_factory=list)


@get("/alignment", name="alignment")
async def alignment(reader: NamedDependency[Reader]) -> Template:
    figures = (await reader.read(QUERY))["alignment"]
    breakthroughs, loose = tree(figures["objectives"], figures["servingWork"])
    return page(
        "alignment.html",
        reader,
        title="Alignment",
        crumbs=[Link("Alignment")],
        breakthroughs=breakthroughs,
        loose=loose,
        objectives=figures["objectives"],
        unserved=figures["unservedObjectives"],
        unaligned=figures["unalignedWork"],
        listed=LISTED,
    )


def tree(
    objectives: Iterable[dict[str, Any]], serving: Iterable[dict[str, Any]]
) -> tuple[list[Branch], list[Branch]]:
    """The breakthrough objectives with their annual objectives under them, in the view's order;
    and the annual objectives whose breakthrough is not among them (none set, or retired)."""
    branches = {o["uuid"]: Branch(o) for o in objectives}
    for work in serving:
        if work["objectiveUuid"] in branches:
            branches[work["objectiveUuid"]].work.append(work)
    under: dict[str | None, list[Branch]] = defaultdict(list)
    for branch in branches.values():
        if branch.objective["level"] == "ANNUAL":
            under[branch.objective["parentUuid"]].append(branch)
    tops = [b for b in branches.values() if b.objective["level"] == "BREAKTHROUGH"]
    for top in tops:
        top.annual = under.pop(top.objective["uuid"], [])
    return tops, [branch for orphans in under.values() for branch in orphans]
