"""Hoshin objectives: what the organisation is aiming at, which work is aligned to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from uuid import UUID

from eventsourcing.domain import event

from domain.errors import InvalidInput, RuleViolation, require_text
from domain.governed import Governed, decision_reason, optional_reason
from domain.values import Actor


class Level(Enum):
    BREAKTHROUGH = "BREAKTHROUGH"  # three to five years
    ANNUAL = "ANNUAL"


@dataclass(frozen=True)
class Kpi:
    """A key performance indicator and the target the objective sets for it."""

    name: str
    target: Decimal
    unit: str = ""
    baseline: Decimal | None = None

    def __post_init__(self) -> None:
        require_text(self.name, "kpis.name", "A KPI's name")


class Objective(Governed):
    """Exactly one owner and at least one KPI."""

    class Defined(Governed.Created):
        title: str
        level: Level
        parent_id: UUID | None
        owner: str
        kpis: tuple[Kpi, ...]
        due: date

    class Retargeted(Governed.Event):
        kpis: tuple[Kpi, ...]
        due: date

    class Retired(Governed.Event):
        pass

    @event(Defined)
    def __init__(
        self,
        title: str,
        level: Level,
        parent_id: UUID | None,
        owner: str,
        kpis: tuple[Kpi, ...],
        due: date,
        actor: Actor,
        reason: str | None,
    ) -> None:
        super().__init__()
        self.title = title
        self.level = level
        self.parent_id = parent_id
        self.owner = owner
        self.kpis = list(kpis)
        self.due = due
        self.retired = False

    @classmethod
    def define(
        cls,
        *,
        title: str,
        level: Level,
        owner: str,
        kpis: tuple[Kpi, ...],
        due: date,
        by: Actor,
        parent_id: UUID | None = None,
        reason: str | None = None,
    ) -> Objective:
        return cls(
            title=require_text(title, "title", "A title"),
            level=level,
            parent_id=parent_id,
            owner=require_text(owner, "owner", "An owner"),
            kpis=_at_least_one(kpis),
            due=due,
            actor=by,
            reason=optional_reason(reason),
        )

    def check_active(self) -> None:
        if self.retired:
            raise RuleViolation("This objective is retired.", code="OBJECTIVE_RETIRED")

    def retarget(self, kpis: tuple[Kpi, ...], due: date, by: Actor, reason: str) -> None:
        self.check_active()
        self._retargeted(
            kpis=_at_least_one(kpis), due=due, actor=by, reason=decision_reason(reason)
        )

    @event(Retargeted)
    def _retargeted(self, kpis: tuple[Kpi, ...], due: date, actor: Actor, reason: str) -> None:
        self.kpis = list(kpis)
        self.due = due

    def retire(self, by: Actor, reason: str) -> None:
        self.check_active()
        self._retired(actor=by, reason=decision_reason(reason))

    @event(Retired)
    def _retired(self, actor: Actor, reason: str) -> None:
        self.retired = True


def _at_least_one(kpis: tuple[Kpi, ...]) -> tuple[Kpi, ...]:
    if not kpis:
        raise InvalidInput("An objective has at least one KPI.", code="KPI_REQUIRED", field="kpis")
    return tuple(kpis)
