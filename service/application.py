"""The Polarity application: runs use cases against the event store with the audit envelope."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, Mapper, Transcoder
from eventsourcing.utils import get_topic

from domain.classification import DEFAULT_POLICY, ClassificationPolicy
from domain.governed import Governed
from domain.improvement import ImprovementItem
from domain.initiative import Initiative
from domain.objective import Objective
from domain.stored import transcoder
from domain.team import Team
from domain.values import Actor
from service.database import Database
from service.persistence import (
    Envelope,
    EnvelopeMapper,
    IdempotencyRecord,
    PolarityRecorder,
    current_envelope,
)
from service.unit_of_work import (
    Context,
    IdempotencyKeyReused,
    NotFound,
    Result,
    Session,
    VersionConflict,
)
from service.use_cases.improvements import ImprovementUseCases
from service.use_cases.initiatives import InitiativeUseCases
from service.use_cases.objectives import ObjectiveUseCases
from service.use_cases.teams import TeamUseCases

G = TypeVar("G", bound=Governed)
AGGREGATES: tuple[type[Governed], ...] = (Initiative, ImprovementItem, Objective, Team)
AUTOMATIC_RETRIES = 5


@dataclass(frozen=True)
class RecordedEvent:
    event: Any
    envelope: Envelope

    @property
    def actor(self) -> Actor:
        return self.event.actor  # type: ignore[no-any-return]

    @property
    def reason(self) -> str | None:
        return self.event.reason  # type: ignore[no-any-return]


class Polarity(Application[UUID]):
    """Polarity's application: use cases live in service.use_cases; this is the machinery."""

    name = "Polarity"

    def __init__(
        self,
        database: Database,
        *,
        snapshot_interval: int = 50,
        policy: ClassificationPolicy = DEFAULT_POLICY,
        create_tables: bool = True,
    ) -> None:
        # The library reads the intervals from the class; ours come from the settings.
        vars(self)["snapshotting_intervals"] = dict.fromkeys(AGGREGATES, snapshot_interval)
        self.policy = policy
        env = {**database.eventsourcing_env(), "IS_SNAPSHOTTING_ENABLED": "y"}
        super().__init__(env={**env, "CREATE_TABLE": "y" if create_tables else "n"})
        self.initiatives = InitiativeUseCases(self)
        self.improvements = ImprovementUseCases(self)
        self.objectives = ObjectiveUseCases(self)
        self.teams = TeamUseCases(self)

    @property
    def store(self) -> PolarityRecorder:
        assert isinstance(self.recorder, PolarityRecorder)
        return self.recorder

    def construct_mapper(self) -> Mapper[UUID]:
        return EnvelopeMapper(transcoder=self.construct_transcoder())

    def construct_transcoder(self) -> Transcoder:
        """The library's transcodings and the domain's, read and written with orjson: the
        library's JSON, faster (`domain.stored`)."""
        return transcoder()

    @property
    def mapper_with_envelopes(self) -> EnvelopeMapper:
        assert isinstance(self.mapper, EnvelopeMapper)
        return self.mapper

    # Running a use case -------------------------------------------------------------------

    def run(
        self,
        context: Context,
        command: str,
        args: Mapping[str, Any],
        target: UUID | None,
        decide: Callable[[Session], Governed],
    ) -> Result:
        """Load, decide, save atomically; retry a collision unless a version was expected."""
        fingerprint = _fingerprint(command, args) if context.idempotency_key else ""
        prior = self._prior_result(context, command, fingerprint)
        if prior is not None:
            return prior
        for _ in range(AUTOMATIC_RETRIES):
            session = Session(self, context, target)
            primary = decide(session)
            try:
                return self._save(session, primary, command, fingerprint)
            except IntegrityError:
                prior = self._prior_result(context, command, fingerprint)
                if prior is not None:
                    return prior
                if context.expected_version is not None or target is None:
                    current = self.get(target, Governed).version if target else 0
                    raise VersionConflict(
                        target or primary.id, context.expected_version, current
                    ) from None
        assert target is not None
        raise VersionConflict(target, None, self.get(target, Governed).version)

    def _save(self, session: Session, primary: Governed, command: str, fingerprint: str) -> Result:
        context = session.context
        key = None
        if context.idempotency_key:
            key = IdempotencyRecord(
                context.actor.id,
                context.idempotency_key,
                command,
                fingerprint,
                primary.id,
                primary.version,
            )
        token = current_envelope.set(_envelope(context))
        try:
            recordings = self.save(*session.aggregates.values(), idempotency=key)
        finally:
            current_envelope.reset(token)
        position = max((r.notification.id for r in recordings), default=0)
        if not recordings:
            position = self._position_of(primary)
        return Result(primary.id, primary.version, position, tuple(session.related))

    def _prior_result(self, context: Context, command: str, fingerprint: str) -> Result | None:
        if not context.idempotency_key:
            return None
        prior = self.store.prior_result(context.actor.id, context.idempotency_key)
        if prior is None:
            return None
        if (prior.command, prior.fingerprint) != (command, fingerprint):
            raise IdempotencyKeyReused(
                f"Idempotency key {context.idempotency_key!r} was already used "
                f"for a different command ({prior.command}).",
                field="idempotencyKey",
            )
        return Result(prior.aggregate_id, prior.version, prior.position, replayed=True)

    def _position_of(self, aggregate: Governed) -> int:
        history = self.store.select_history(aggregate.id)
        return history[-1].id if history else 0

    # Reading ------------------------------------------------------------------------------

    def get(self, aggregate_id: UUID, kind: type[G], version: int | None = None) -> G:
        try:
            found: object = self.repository.get(aggregate_id, version=version)
        except AggregateNotFoundError:
            found = None
        if not isinstance(found, kind):
            raise NotFound(f"No {kind.__name__} has the id {aggregate_id}.", field="id")
        return found

    def get_as_of(
        self,
        aggregate_id: UUID,
        kind: type[G],
        *,
        version: int | None = None,
        at: datetime | None = None,
    ) -> G:
        """The aggregate as it was at a version, or at a moment."""
        if at is not None:
            version = self.version_at(aggregate_id, at)
            if version == 0:
                raise NotFound(f"{aggregate_id} did not exist yet at {at.isoformat()}.")
        return self.get(aggregate_id, kind, version=version)

    def version_at(self, aggregate_id: UUID, at: datetime) -> int:
        version = 0
        for event in self.events.get(aggregate_id):
            if cast(Governed.Event, event).timestamp > at:
                break
            version = event.originator_version
        return version

    def history(self, aggregate_id: UUID) -> list[RecordedEvent]:
        mapper = self.mapper_with_envelopes
        notifications = self.store.select_history(aggregate_id)
        if not notifications:
            raise NotFound(f"Nothing has been recorded for {aggregate_id}.", field="id")
        return [RecordedEvent(*mapper.envelope(n)) for n in notifications]

    def aggregate_kind(self, aggregate_id: UUID) -> str | None:
        notifications = self.store.select_history(aggregate_id)[:1]
        if not notifications:
            return None
        topic = notifications[0].topic
        kinds = {get_topic(kind): kind.__name__ for kind in AGGREGATES}
        return next((name for prefix, name in kinds.items() if topic.startswith(prefix)), None)


def _fingerprint(command: str, args: Mapping[str, Any]) -> str:
    text = json.dumps({"command": command, "args": args}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _envelope(context: Context) -> dict[str, Any]:
    request_id = context.request_id or uuid4().hex
    return {
        "request_id": request_id,
        "correlation_id": context.correlation_id or request_id,
        "causation_id": context.causation_id,
    }
