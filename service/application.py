"""The Polarity application: handles commands against the event store with the audit envelope."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, Mapper, Transcoder
from eventsourcing.utils import get_topic
from psycopg.rows import tuple_row

from domain.approval import ApprovalRequest
from domain.classification import DEFAULT_POLICY, ClassificationPolicy
from domain.commands import Command
from domain.errors import DomainError
from domain.gate_review import GateReview
from domain.governed import Governed
from domain.improvement import ImprovementItem
from domain.initiative import Initiative
from domain.objective import Objective
from domain.team import Team
from domain.values import Actor
from service import damage
from service.database import Database
from service.faults import ServiceUnavailable, is_transient
from service.handlers import HANDLERS
from service.observer import UNOBSERVED, Observer
from service.persistence import (
    CommandRecord,
    Envelope,
    EnvelopeMapper,
    PolarityRecorder,
    Stamp,
    current_envelope,
    plain,
)
from service.replay import LATEST, load_checked, version_at
from service.transcoding import transcoder
from service.unit_of_work import (
    Context,
    IdempotencyKeyReused,
    NotFound,
    Result,
    Session,
    VersionConflict,
)

G = TypeVar("G", bound=Governed)
AGGREGATES: tuple[type[Governed], ...] = (
    Initiative,
    ImprovementItem,
    Objective,
    Team,
    GateReview,
    ApprovalRequest,
)
AUTOMATIC_RETRIES = 5
RECOVERY_SECONDS = 20.0  # how long a save whose outcome is unknown waits for the database


class _CommandKey(NamedTuple):
    actor_id: str
    command_id: str


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
    """Polarity's application: `handle` runs every command (domain.commands) through its
    handler (service.handlers); the rest reads what was recorded."""

    name = "Polarity"

    def __init__(
        self,
        database: Database,
        *,
        snapshot_interval: int = 50,
        policy: ClassificationPolicy = DEFAULT_POLICY,
        create_tables: bool = True,
        approval_hours: int = 72,
        observer: Observer = UNOBSERVED,
    ) -> None:
        self.observer = observer
        # The library reads the intervals from the class; ours come from the settings.
        vars(self)["snapshotting_intervals"] = dict.fromkeys(AGGREGATES, snapshot_interval)
        self.policy = policy
        self.approval_hours = approval_hours
        env = {**database.eventsourcing_env(), "IS_SNAPSHOTTING_ENABLED": "y"}
        super().__init__(env={**env, "CREATE_TABLE": "y" if create_tables else "n"})

    @property
    def store(self) -> PolarityRecorder:
        assert isinstance(self.recorder, PolarityRecorder)
        return self.recorder

    def construct_mapper(self) -> Mapper[UUID]:
        return EnvelopeMapper(transcoder=self.construct_transcoder())

    def construct_transcoder(self) -> Transcoder:
        """The library's transcodings and the domain's, read and written with orjson: the
        library's JSON, faster (`service.transcoding`)."""
        return transcoder()

    @property
    def mapper_with_envelopes(self) -> EnvelopeMapper:
        assert isinstance(self.mapper, EnvelopeMapper)
        return self.mapper

    # Handling a command -------------------------------------------------------------------

    def handle(self, context: Context, command: Command) -> Result:
        """Run `command` for `context.actor`: check the actor's roles, then load, decide and
        save atomically, exactly once. The observer sees each command and how it ended."""
        with self.observer.handling(command):
            return self._handle(context, command)

    def _handle(self, context: Context, command: Command) -> Result:
        """`handle`, unobserved.

        The command's id (the client's idempotency key, or one made here) is stored with its
        events. A collision is decided again, unless a version was expected. When a save's
        outcome is unknown (the connection was lost around the commit, or the library's retry
        met the row its first try committed), the id is looked up: a command that was stored
        answers with what it stored and is never decided twice."""
        command.authorise(context.actor)
        handler = HANDLERS[type(command)]
        name, fingerprint, target = type(command).__name__, _fingerprint(command), command.target
        key = _CommandKey(context.actor.id, context.idempotency_key or f"auto:{uuid4().hex}")
        if context.idempotency_key and (prior := self._prior(key, name, fingerprint)):
            return prior
        for _ in range(AUTOMATIC_RETRIES):
            session = Session(self, context, target)
            try:
                primary = handler(session, command)
            except DomainError:
                # A request with the same key may have been recorded since the first look.
                if context.idempotency_key and (prior := self._prior(key, name, fingerprint)):
                    return prior
                raise
            record = CommandRecord(
                *key, name, fingerprint, primary.id, primary.version, tuple(session.related)
            )
            try:
                return self._save(session, primary, record)
            except IntegrityError:
                if prior := self._prior(
                    key, name, fingerprint, replayed=bool(context.idempotency_key)
                ):
                    return prior
                if context.expected_version is not None or target is None:
                    current = self.get(target, Governed).version if target else 0
                    raise VersionConflict(
                        target or primary.id, context.expected_version, current
                    ) from None
            except Exception as error:
                if not is_transient(error):
                    raise
                if prior := self._stored_after_outage(key, error):
                    return prior
                # Not stored: the database came back without it; decide again.
        assert target is not None
        raise VersionConflict(target, None, self.get(target, Governed).version)

    def _save(self, session: Session, primary: Governed, record: CommandRecord) -> Result:
        token = current_envelope.set(_envelope(session.context, primary))
        try:
            recordings = self.save(*session.aggregates.values(), command=record)
        finally:
            current_envelope.reset(token)
        self.observer.recorded([r.notification.topic for r in recordings])
        position = max((r.notification.id for r in recordings), default=0)
        if not recordings:
            position = self._position_of(primary)
        return Result(primary.id, primary.version, position, tuple(session.related))

    def _prior(
        self, key: _CommandKey, command: str, fingerprint: str, *, replayed: bool = True
    ) -> Result | None:
        """What the command `key` recorded, if it was recorded; a client's key used for a
        different command is refused."""
        prior = self.store.prior_result(*key)
        if prior is None:
            return None
        if (prior.command, prior.fingerprint) != (command, fingerprint):
            used_for = (
                f"a {command} with other values"
                if prior.command == command
                else f"a different command ({prior.command})"
            )
            raise IdempotencyKeyReused(
                f"Idempotency key {key.command_id!r} was already used for {used_for}; "
                "use a new key for a new command.",
                field="idempotencyKey",
            )
        return Result(
            prior.aggregate_id, prior.version, prior.position, prior.related, replayed=replayed
        )

    def _stored_after_outage(self, key: _CommandKey, outage: Exception) -> Result | None:
        """Whether a save that met an outage was stored: asked until the database answers, for
        RECOVERY_SECONDS at most; then the client is told to retry (with the same key)."""
        deadline = time.monotonic() + RECOVERY_SECONDS
        pause = 0.05
        while True:
            try:
                prior = self.store.prior_result(*key)
            except Exception as error:
                if not is_transient(error) or time.monotonic() + pause > deadline:
                    raise ServiceUnavailable(
                        "The database was lost while a change was being saved and has not come "
                        "back; whether it was recorded is unknown. Retry with the same "
                        "idempotency key to make sure it is recorded once."
                    ) from outage
                time.sleep(pause)
                pause = min(pause * 2, 1.0)
                continue
            if prior is None:
                return None
            return Result(prior.aggregate_id, prior.version, prior.position, prior.related)

    def _position_of(self, aggregate: Governed) -> int:
        history = self.store.select_history(aggregate.id)
        return history[-1].id if history else 0

    # Reading ------------------------------------------------------------------------------

    def holds_events(self) -> bool:
        return bool(self.store.max_notification_id())

    def get(self, aggregate_id: UUID, kind: type[G], version: int | None = None) -> G:
        """The aggregate (at `version`); an IntegrityViolation if the events replayed for it
        are damaged (a version missing, bytes that do not decode). The latest is read in one
        statement, its snapshot and the events after it, each event checked against the chain
        (`service.replay`), so a command never decides on a forged event."""
        try:
            found: object = (
                load_checked(self.store, self.mapper, aggregate_id, None)
                if version is None
                else self.repository.get(aggregate_id, version=version)
            )
        except AggregateNotFoundError:
            found = None
        except Exception as error:
            if is_transient(error):
                raise
            self.check_replay(aggregate_id, version)  # the cause, if the store is damaged
            raise
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
        """The aggregate as it was at a version, or at a moment: read in one go from its
        nearest snapshot, each event after it checked against the chain (`service.replay`)."""
        if at is not None:
            version = version_at(self.store, self.mapper, aggregate_id, at)
            if version == 0:
                raise NotFound(f"{aggregate_id} did not exist yet at {at.isoformat()}.")
        found = load_checked(self.store, self.mapper, aggregate_id, version)
        if not isinstance(found, kind):
            raise NotFound(f"No {kind.__name__} has the id {aggregate_id}.", field="id")
        return found

    def check_replay(
        self, aggregate_id: UUID, version: int | None = None, *, whole: bool = False
    ) -> None:
        """Raise an IntegrityViolation if an event that replaying the aggregate up to
        `version` reads (those after its snapshot, or every one if `whole`) is damaged or
        missing."""
        read = damage.chained_read(self.store.datastore.schema, self.store.events_table_name)
        last = version or LATEST
        with self.store.datastore.get_connection() as conn:
            with conn.cursor(row_factory=tuple_row) as cursor:
                snapshot = 0
                if not whole:
                    cursor.execute(read.snapshot_before, (aggregate_id, last), prepare=True)
                    snapshot = (cursor.fetchone() or (0,))[0]
                cursor.execute(read.versions(), (aggregate_id, snapshot, last - snapshot))
                rows = [damage.Row.of(row) for row in cursor.fetchall()]
            damage.check_versions(conn, read, rows, snapshot)

    def history(self, aggregate_id: UUID) -> list[RecordedEvent]:
        """Every event of one aggregate with its envelope, each checked against the chain."""
        mapper = self.mapper_with_envelopes
        notifications = self.store.select_history(aggregate_id)
        if not notifications:
            raise NotFound(f"Nothing has been recorded for {aggregate_id}.", field="id")
        self.check_replay(aggregate_id, whole=True)
        return [RecordedEvent(*mapper.envelope(n)) for n in notifications]

    def aggregate_kind(self, aggregate_id: UUID) -> str | None:
        """The kind (Initiative, Team …) of the aggregate with this id; None if nothing has it."""
        notifications = self.store.select_history(aggregate_id)[:1]
        return kind_of_topic(notifications[0].topic) if notifications else None


KINDS_BY_TOPIC = {get_topic(kind): kind.__name__ for kind in AGGREGATES}


def kind_of_topic(topic: str) -> str | None:
    """The kind of aggregate (Initiative, Team …) an event's topic belongs to."""
    module, _, event = topic.partition(":")  # module:Aggregate.Event
    return KINDS_BY_TOPIC.get(f"{module}:{event.split('.')[0]}")


def _fingerprint(command: Command) -> str:
    """A digest of the whole command: every field, nested value objects too, as the plain
    JSON-ready data the history shows (the command's type is compared beside it), so that a
    key reused with any difference is told apart."""
    text = json.dumps(plain(command), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _envelope(context: Context, primary: Governed) -> Stamp:
    """The request's ids (a correlation starts with this request when the client named none),
    and the command's root event: the first the handler recorded on the aggregate it returns."""
    request_id = context.request_id or uuid4().hex
    pending = primary.pending_events
    return Stamp(
        request_id=request_id,
        correlation_id=context.correlation_id or request_id,
        causation_id=context.causation_id,
        root=pending[0] if pending else None,
    )
