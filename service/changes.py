"""What each event changed, worked out by replaying it: a derived view for auditors, not stored."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from domain.governed import Governed
from service.persistence import plain

# Bookkeeping the aggregates keep for their rules (which kind of decision each version made),
# not state a person changes; the library's own attributes start with an underscore.
INTERNAL = frozenset({"decisions"})
_ABSENT = object()


@dataclass(frozen=True)
class Change:
    """One field an event changed, its values JSON-encoded; `before` is None when the field did
    not exist yet (the event created the aggregate), `after` when the event removed it."""

    field: str
    before: str | None
    after: str | None


def state_of(aggregate: Governed | None) -> dict[str, Any]:
    """The aggregate's public fields (nothing before it exists). Containers are copied, so that
    the next event's changes to them show; what they hold are frozen values."""
    if aggregate is None:
        return {}
    return {
        name: copy.copy(value) if isinstance(value, dict | list) else value
        for name, value in vars(aggregate).items()
        if not name.startswith("_") and name not in INTERNAL
    }


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[Change, ...]:
    """The fields whose values differ, in the order the aggregate holds them. A mapping held
    before and after (a team's capacity by period) is compared entry by entry,
    `capacity.2027-Q1`, so that one entry's change does not print all of it twice."""
    changes: list[Change] = []
    for name in _names(before, after):
        old, new = before.get(name, _ABSENT), after.get(name, _ABSENT)
        if old is new or old == new:  # compared as they are, and only the changes made plain
            continue
        if isinstance(old, dict) and isinstance(new, dict):
            changes += (
                _change(f"{name}.{plain(key)}", old.get(key, _ABSENT), new.get(key, _ABSENT))
                for key in _names(old, new)
                if old.get(key, _ABSENT) != new.get(key, _ABSENT)
            )
        else:
            changes.append(_change(name, old, new))
    return tuple(changes)


def _names(before: Mapping[Any, Any], after: Mapping[Any, Any]) -> list[Any]:
    return [*after, *(name for name in before if name not in after)]


def _change(name: str, old: Any, new: Any) -> Change:
    return Change(name, _encoded(old), _encoded(new))


def replayed_changes(start: Governed | None, events: Iterable[Any]) -> list[tuple[Change, ...]]:
    """What each of `events` changed, applied in turn to `start`: the aggregate as it was just
    before the first of them (None when the first creates it). One replay for all of them;
    `start` is changed in place."""
    aggregate, before = start, state_of(start)
    changes = []
    for event in events:
        aggregate = event.mutate(aggregate)
        after = state_of(aggregate)
        changes.append(diff(before, after))
        before = after
    return changes


def _encoded(value: Any) -> str | None:
    return None if value is _ABSENT else json.dumps(plain(value), ensure_ascii=False)
