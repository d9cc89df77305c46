"""What a work item's page shows, from one read: its state (now or at the point a past view
shows), the page of its timeline with that point marked, and the links that page through it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from markupsafe import Markup

from portal.as_of import PAGE, AsOf, address, field_value, holding
from portal.layout import Link
from portal.links import plain_id
from portal.timeline import Event, Names, describe, events, recorded


@dataclass(frozen=True)
class WorkView:
    kind: str  # INITIATIVE | IMPROVEMENT_ITEM
    path: str  # the item's page, now
    item: dict[str, Any]  # the API's Initiative or ImprovementItem, at the point shown
    history: dict[str, Any]  # one page of the API's history of it
    reviews: list[dict[str, Any]]  # the API's gateReviews of an initiative, newest first
    point: AsOf
    chosen: int | None  # the version a past view shows; None: now
    start: int  # the version the timeline's page starts at
    more_reviews: bool = False  # the API has older gate reviews than `reviews`

    @property
    def total(self) -> int:
        """How many events the item has, which is its version now."""
        return int(self.history["totalCount"])

    @property
    def end(self) -> int:
        return self.start + len(self.history["edges"]) - 1

    @cached_property
    def names(self) -> Names:
        allocations = self.item.get("allocations") or [self.item.get("allocation")]
        teams = {
            plain_id(a["team"]["id"]): a["team"]["name"] for a in allocations if a and a["team"]
        }
        objectives = {
            plain_id(a["objectiveId"]).replace("-", ""): a["objective"]["title"]
            for a in self.item["alignments"]
            if a["objective"]
        }
        reviews = {plain_id(r["id"]): f"the {r['gate']} review" for r in self.reviews}
        return Names(teams=teams, objectives=objectives, reviews=reviews)

    @cached_property
    def events(self) -> list[Event]:
        return events([edge["node"] for edge in self.history["edges"]], self.names, self.chosen)

    def here(self, start: int) -> str:
        """This view, its timeline from `start`."""
        return address(self.path, self.point, start, anchor="timeline")

    @property
    def pages(self) -> list[Link]:
        """Links to the first, earlier, later and latest pages of the timeline there are."""
        last = holding(self.total)
        links = []
        if self.start > 1:
            links += [Link("First events", self.here(1))]
            links += [Link("Earlier events", self.here(max(self.start - PAGE, 1)))]
        if self.end < self.total:
            links += [Link("Later events", self.here(self.end + 1))]
            links += [Link("Latest events", self.here(last))]
        return links

    def as_of_version(self, version: int) -> str:
        """The item as this version left it, its timeline at that event."""
        return address(self.path, AsOf(version=version), holding(version), f"event-{version}")

    @property
    def form_moment(self) -> str:
        return field_value(self.point.moment) if self.point.moment else ""

    @property
    def form_version(self) -> str:
        return str(self.point.version) if self.point.version is not None else ""

    @property
    def shown_reviews(self) -> list[dict[str, Any]]:
        """The gate reviews opened by the point shown (each as it stands now: the API keeps no
        earlier state of a review)."""
        if self.chosen is None:
            return self.reviews
        shown = datetime.fromisoformat(self.item["modifiedAt"])
        return [r for r in self.reviews if datetime.fromisoformat(r["openedAt"]) <= shown]

    def say(self, value: Any, key: str = "") -> str:
        """A recorded value in words (portal/timeline.py)."""
        return describe(value, self.names, key)

    def recorded(self, data: Any) -> Markup:
        """Everything an event recorded, as nested lists (portal/timeline.py)."""
        return recorded(data, self.names)
