"""What every Polarity aggregate shares: events that record who acted and why, and corrections."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate

from domain import clock
from domain.errors import RuleViolation, require_text
from domain.limits import check_recordable
from domain.values import Actor


class Governed(Aggregate):
    """An aggregate whose every event names its actor and, for decisions, the reason.

    Version 2 keeps which versions recorded which kind of decision as one bitset per kind
    (`with_version`), not one entry per decision: a snapshot of a long-lived aggregate holds a
    few digits per kind where it held an entry for each of its thousands of reviews."""

    class_version = 2

    class Event(Aggregate.Event):
        actor: Actor
        reason: str | None

        @staticmethod
        def create_timestamp() -> datetime:
            """When the event happens: the application's clock (`domain.clock`)."""
            return clock.now()

        def __post_init__(self) -> None:
            super().__post_init__()
            check_recordable(self)  # made only when decided: a stored event loads unchecked

    class Created(Event, Aggregate.Created):
        pass

    def __init__(self, **_: Any) -> None:
        self.decisions: dict[str, str] = {}  # kind of decision -> its versions (a bitset)

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """Version 1 kept the kind of each decision under its version."""
        by_kind: dict[str, str] = {}
        for version, kind in state["decisions"].items():
            by_kind[kind] = with_version(by_kind.get(kind), int(version))
        state["decisions"] = by_kind

    def _remember_decision(self, kind: str) -> None:
        """Call from an event body: note which kind of decision this version recorded."""
        self.decisions[kind] = with_version(self.decisions.get(kind), self.version + 1)

    def _check_reclassification(self, classified: bool, corrects: int | None) -> None:
        """A second classification is a correction: it names the classification it corrects."""
        if classified and corrects is None:
            raise RuleViolation(
                "This work is already classified; a new classification names the one it corrects.",
                code="CORRECTION_REQUIRED",
                field="corrects",
            )
        self._check_correction(corrects, "Classified")

    def _check_correction(self, corrects: int | None, kind: str) -> None:
        """A correction is a new event that names an earlier decision of the same kind."""
        if corrects is not None and not holds_version(self.decisions.get(kind), corrects):
            raise RuleViolation(
                f"Version {corrects} of this {type(self).__name__} is not a {kind} decision, "
                "so it cannot be corrected as one.",
                code="CORRECTION_TARGET_INVALID",
                field="corrects",
            )


def with_version(versions: str | None, version: int) -> str:
    """A set of versions kept as a bitset (bit v: version v) in hexadecimal digits, a quarter
    of a character per version, with `version` added."""
    return format(int(versions or "0", 16) | 1 << version, "x")


def holds_version(versions: str | None, version: int) -> bool:
    return version >= 0 and bool(int(versions or "0", 16) >> version & 1)


def decision_reason(reason: str | None) -> str:
    """Decisions are refused without a reason."""
    return require_text(reason, "reason", "A reason for this decision")


def optional_reason(reason: str | None) -> str | None:
    return (reason or "").strip() or None
