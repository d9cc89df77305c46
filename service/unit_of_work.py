"""The unit of work of one command: who asks, what it loads, what it returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, TypeVar
from uuid import UUID

from domain.classification import ClassificationPolicy
from domain.errors import DomainError
from domain.governed import Governed
from domain.limits import MAX_NAME, check_text
from domain.values import Actor

G = TypeVar("G", bound=Governed)


class Loader(Protocol):
    """Where a session loads aggregates from, and the classification policy in force."""

    policy: ClassificationPolicy
    approval_hours: int

    def get(self, aggregate_id: UUID, kind: type[G], version: int | None = None) -> G: ...


class NotFound(DomainError):
    default_code = "NOT_FOUND"


class VersionConflict(DomainError):
    """Someone else changed the aggregate first; `current_version` says where it is now."""

    default_code = "VERSION_CONFLICT"

    def __init__(self, aggregate_id: UUID, expected: int | None, current: int) -> None:
        expectation = f"version {expected}" if expected is not None else "no concurrent change"
        super().__init__(
            f"{aggregate_id} is at version {current}; the command expected {expectation}.",
            field="expectedVersion",
        )
        self.current_version = current


class IdempotencyKeyReused(DomainError):
    default_code = "IDEMPOTENCY_KEY_REUSED"


@dataclass(frozen=True)
class Context:
    """Who asks, as part of which request, and on what terms (expected version, idempotency)."""

    actor: Actor
    request_id: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None
    idempotency_key: str | None = None
    expected_version: int | None = None

    def __post_init__(self) -> None:
        if self.idempotency_key is not None:  # stored with the command: text within a name's limits
            check_text(self.idempotency_key, "idempotencyKey", MAX_NAME)


@dataclass(frozen=True)
class Result:
    """What a command returns: the aggregate it changed, its new version, the last position."""

    id: UUID
    version: int
    position: int
    related: tuple[UUID, ...] = ()
    replayed: bool = False


@dataclass
class Session:
    """The aggregates one command loads and creates; all saved together, or none."""

    app: Loader
    context: Context
    target: UUID | None
    aggregates: dict[UUID, Governed] = field(default_factory=dict)
    related: list[UUID] = field(default_factory=list)

    @property
    def actor(self) -> Actor:
        return self.context.actor

    @property
    def policy(self) -> ClassificationPolicy:
        return self.app.policy

    @property
    def approval_hours(self) -> int:
        return self.app.approval_hours

    def get(self, aggregate_id: UUID, kind: type[G]) -> G:
        if aggregate_id in self.aggregates:
            found = self.aggregates[aggregate_id]
        else:
            found = self.app.get(aggregate_id, kind)
            self.aggregates[aggregate_id] = found
        expected = self.context.expected_version
        if aggregate_id == self.target and expected is not None and found.version != expected:
            raise VersionConflict(aggregate_id, expected, found.version)
        assert isinstance(found, kind)
        return found

    def add(self, aggregate: G, related: bool = False) -> G:
        self.aggregates[aggregate.id] = aggregate
        if related:
            self.related.append(aggregate.id)
        return aggregate
