"""Value objects shared by the aggregates: who acted, paths, periods, reviews, resources."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from uuid import UUID

from domain.errors import InvalidInput, require_text


class Path(Enum):
    """The two paths of improvement work."""

    OPERATIONAL = "OPERATIONAL"
    STRATEGIC = "STRATEGIC"


class ReviewStatus(Enum):
    GREEN = "GREEN"
    AMBER = "AMBER"
    RED = "RED"


class Strength(Enum):
    """How strongly a piece of work contributes to an objective."""

    STRONG = "STRONG"
    MODERATE = "MODERATE"
    WEAK = "WEAK"


@dataclass(frozen=True)
class Actor:
    """Who acted: a person or system, the roles they held, and on whose behalf."""

    id: str
    roles: tuple[str, ...] = ()
    on_behalf_of: str | None = None

    def __post_init__(self) -> None:
        require_text(self.id, "actor", "The actor's id")


_PERIOD = re.compile(r"^(\d{4})-Q([1-4])$")


@dataclass(frozen=True, order=True)
class Period:
    """A planning quarter, written `2027-Q1`."""

    year: int
    quarter: int

    def __post_init__(self) -> None:
        if not (2000 <= self.year <= 2100 and 1 <= self.quarter <= 4):
            raise InvalidInput(f"{self.year}-Q{self.quarter} is not a planning quarter.")

    @classmethod
    def parse(cls, text: str, field: str = "period") -> Period:
        match = _PERIOD.match(text.strip())
        if match is None:
            raise InvalidInput(
                f"Period {text!r} must be written as a year and quarter, like 2027-Q1.",
                code="INVALID_PERIOD",
                field=field,
            )
        return cls(int(match.group(1)), int(match.group(2)))

    def __str__(self) -> str:
        return f"{self.year}-Q{self.quarter}"


def finite(amount: Decimal, field: str) -> Decimal:
    if not amount.is_finite():
        raise InvalidInput(f"{field} must be a finite number, not {amount}.", field=field)
    return amount


def positive_fte(fte: Decimal, field: str = "fte") -> Decimal:
    if finite(fte, field) <= 0 or fte > 1000:
        raise InvalidInput(f"FTE must be above 0 and at most 1000, not {fte}.", field=field)
    return fte


def non_negative(amount: Decimal, field: str, what: str) -> Decimal:
    if finite(amount, field) < 0:
        raise InvalidInput(f"{what} cannot be negative ({amount}).", field=field)
    return amount


@dataclass(frozen=True)
class Countermeasure:
    """What a RED review commits to: the root cause and the action that addresses it."""

    root_cause: str
    action: str
    owner: str
    due: date

    def __post_init__(self) -> None:
        require_text(self.root_cause, "countermeasure.rootCause", "The root cause")
        require_text(self.action, "countermeasure.action", "The countermeasure's action")
        require_text(self.owner, "countermeasure.owner", "The countermeasure's owner")


@dataclass(frozen=True)
class Indicator:
    """A leading indicator read at a review."""

    name: str
    value: Decimal
    target: Decimal | None = None
    unit: str = ""

    def __post_init__(self) -> None:
        require_text(self.name, "indicators.name", "An indicator's name")


@dataclass(frozen=True)
class Approval:
    """A decision approved, with a reason, by someone other than its requester. Approvals stored
    before requests existed name a typed approver and no requester or request."""

    approved_by: str
    reason: str
    requested_by: str | None = None
    request_id: UUID | None = None

    def __post_init__(self) -> None:
        require_text(self.approved_by, "approval.approvedBy", "The approver")
        require_text(self.reason, "approval.reason", "The approval's reason")


@dataclass(frozen=True)
class Allocation:
    """A share of one team's capacity in one period, held by one work item."""

    team_id: UUID
    work_item_id: UUID
    path: Path
    period: Period
    fte: Decimal
    approval: Approval | None = None

    def __post_init__(self) -> None:
        positive_fte(self.fte)

    @property
    def key(self) -> str:
        return allocation_key(self.team_id, self.work_item_id, self.period)


def allocation_key(team_id: UUID, work_item_id: UUID, period: Period) -> str:
    """One work item holds at most one share of a team's time per period."""
    return f"{team_id.hex}/{work_item_id.hex}/{period}"
