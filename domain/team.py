"""Teams and their capacity: allocations never exceed it without an approved override."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from eventsourcing.domain import event

from domain.errors import RuleViolation, require_text
from domain.governed import Governed, decision_reason, optional_reason
from domain.values import Actor, Allocation, Period, allocation_key, non_negative


class Team(Governed):
    """A team with capacity per period, allocated to work on either path."""

    class Registered(Governed.Created):
        name: str
        org_unit: str

    class CapacitySet(Governed.Event):
        period: Period
        fte: Decimal

    class AllocationGranted(Governed.Event):
        allocation: Allocation

    class AllocationReleased(Governed.Event):
        allocation: Allocation

    @event(Registered)
    def __init__(self, name: str, org_unit: str, actor: Actor, reason: str | None) -> None:
        super().__init__()
        self.name = name
        self.org_unit = org_unit
        self.capacity: dict[str, Decimal] = {}
        self.allocations: dict[str, Allocation] = {}

    @classmethod
    def register(cls, *, name: str, org_unit: str, by: Actor, reason: str | None = None) -> Team:
        return cls(
            name=require_text(name, "name", "A team name"),
            org_unit=require_text(org_unit, "orgUnit", "The org unit"),
            actor=by,
            reason=optional_reason(reason),
        )

    def allocated(self, period: Period) -> Decimal:
        key = str(period)
        return sum((a.fte for a in self.allocations.values() if str(a.period) == key), Decimal(0))

    def capacity_in(self, period: Period) -> Decimal:
        return self.capacity.get(str(period), Decimal(0))

    def set_capacity(self, period: Period, fte: Decimal, by: Actor, reason: str) -> None:
        non_negative(fte, "fte", "Capacity")
        allocated = self.allocated(period)
        if fte < allocated:
            raise RuleViolation(
                f"{self.name} already has {allocated} FTE allocated in {period}; "
                f"capacity cannot drop to {fte}.",
                code="CAPACITY_BELOW_ALLOCATED",
                field="fte",
            )
        self._capacity_set(period=period, fte=fte, actor=by, reason=decision_reason(reason))

    @event(CapacitySet)
    def _capacity_set(self, period: Period, fte: Decimal, actor: Actor, reason: str) -> None:
        self.capacity[str(period)] = fte

    def grant(self, allocation: Allocation, by: Actor, reason: str) -> None:
        """Grant an allocation; beyond capacity only with an approval by someone else."""
        if allocation.team_id != self.id:
            raise RuleViolation("That allocation is for another team.", code="WRONG_TEAM")
        if allocation.key in self.allocations:
            raise RuleViolation(
                f"That work already holds {self.name}'s time in {allocation.period}.",
                code="ALREADY_ALLOCATED",
            )
        after = self.allocated(allocation.period) + allocation.fte
        capacity = self.capacity_in(allocation.period)
        if after > capacity:
            _check_override(allocation, self.name, after, capacity)
        self._granted(allocation=allocation, actor=by, reason=decision_reason(reason))

    @event(AllocationGranted)
    def _granted(self, allocation: Allocation, actor: Actor, reason: str) -> None:
        self.allocations[allocation.key] = allocation

    def release(self, work_item_id: UUID, period: Period, by: Actor, reason: str) -> None:
        allocation = self.allocations.get(allocation_key(self.id, work_item_id, period))
        if allocation is None:
            raise RuleViolation(
                f"That work holds none of {self.name}'s time in {period}.", code="NOT_ALLOCATED"
            )
        self._released(allocation=allocation, actor=by, reason=decision_reason(reason))

    @event(AllocationReleased)
    def _released(self, allocation: Allocation, actor: Actor, reason: str) -> None:
        del self.allocations[allocation.key]

    def would_exceed(self, period: Period, fte: Decimal) -> bool:
        """Whether booking `fte` more in `period` takes the team beyond its capacity."""
        return self.allocated(period) + fte > self.capacity_in(period)

    def over_allocated(self, period: Period) -> bool:
        return self.allocated(period) > self.capacity_in(period)


def _check_override(allocation: Allocation, team: str, after: Decimal, capacity: Decimal) -> None:
    if allocation.approval is None:
        raise RuleViolation(
            f"{team} would be allocated {after} FTE in {allocation.period} against a capacity "
            f"of {capacity}; an over-allocation needs a second person's approval: request one.",
            code="OVER_ALLOCATION",
            field="fte",
        )
    approval = allocation.approval
    if approval.request_id is None or approval.approved_by == approval.requested_by:
        raise RuleViolation(
            "An over-allocation is approved by someone other than the requester.",
            code="SELF_APPROVAL",
            field="approval",
        )
