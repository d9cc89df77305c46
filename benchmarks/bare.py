"""The bare eventsourcing baseline: a trivial aggregate in a plain Application, no Polarity."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from service.database import Database

SPONSORS = itertools.count()  # a new sponsor every time, run after run (next() is atomic)


class Proposal(Aggregate):
    """An Initiative's text fields and sponsor, without actor, reason, envelope or validation."""

    class Proposed(Aggregate.Created):
        title: str
        problem: str
        org_unit: str

    class SponsorAssigned(Aggregate.Event):
        sponsor: str

    @event(Proposed)
    def __init__(self, title: str, problem: str, org_unit: str) -> None:
        self.title = title
        self.problem = problem
        self.org_unit = org_unit
        self.sponsor: str | None = None

    def assign_sponsor(self, sponsor: str) -> None:
        if sponsor == self.sponsor:
            raise ValueError(f"{sponsor} already sponsors this proposal.")
        self._sponsor_assigned(sponsor=sponsor)

    @event(SponsorAssigned)
    def _sponsor_assigned(self, sponsor: str) -> None:
        self.sponsor = sponsor


class BareBench(Application[UUID]):
    """The library's own application and recorder; its tables are barebench_events."""

    name = "BareBench"


def bare_application(database: Database) -> BareBench:
    """Polarity's connection settings, with the library's default application recorder."""
    env = database.eventsourcing_env()
    env.pop("APPLICATION_RECORDER_TOPIC")
    return BareBench(env=env)


def proposals(app: BareBench, count: int) -> list[UUID]:
    """`count` new proposals, saved one by one."""
    created = []
    for i in range(count):
        proposal = Proposal(title=f"Proposal {i}", problem="bench", org_unit="Ops")
        app.save(proposal)
        created.append(proposal.id)
    return created


def load_decide_save(app: BareBench, ids: list[UUID], threads: int) -> Callable[[int, int], None]:
    """The library's load-decide-save as `timing.for_duration` calls it from `threads` threads:
    a thread's k-th call gets the next proposal of its share of `ids` (every `threads`-th one;
    shares do not overlap when `threads` divides their number), assigns a new sponsor, saves."""

    def change(thread: int, k: int) -> None:
        proposal: Proposal = app.repository.get(ids[(thread + k * threads) % len(ids)])
        proposal.assign_sponsor(f"sponsor {next(SPONSORS)}-{thread}")
        app.save(proposal)

    return change
