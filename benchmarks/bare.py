"""The bare eventsourcing baseline: a trivial aggregate in a plain Application, no Polarity."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from service.database import Database


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
