"""A work item's timeline as people read it: each event of the API's `history` in plain words,
who acted (with roles and on whose behalf), why, and what it changed, said in a line each."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from markupsafe import Markup, escape

CODE = re.compile(r"[A-Z][A-Z0-9_]*")
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
MONEY = frozenset({"budget", "capital_required"})
# Fields whose values are the domain's codes (GO, CONDITIONAL_GO, EXECUTING...), said as words;
# other capitals (a unit, EUR) are said as recorded.
CODED = frozenset({
    "stage", "held_from", "stage_before", "last_review", "act_decision", "decision", "outcome",
    "status", "strength", "scope", "recommended", "decided", "path", "level", "to",
})  # fmt: skip
WORD = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
EMPTY: tuple[Any, ...] = (None, [], {}, "")
# Keys whose values the text names some other way, or never needs.
UNSAID = frozenset({"work_item_id", "held_from_before"})


def plain_words(event_type: str) -> str:
    """`Initiative.GateReviewOpened` -> `Gate review opened`."""
    name = event_type.rpartition(".")[2]
    return WORD.sub(" ", name).capitalize()


def words(key: str) -> str:
    """`open_conditions` -> `Open conditions`."""
    return key.replace("_", " ").capitalize()


@dataclass(frozen=True)
class Names:
    """What the page knows to call the ids a change names: teams and objectives, by uuid."""

    teams: Mapping[str, str] = field(default_factory=dict)
    objectives: Mapping[str, str] = field(default_factory=dict)
    reviews: Mapping[str, str] = field(default_factory=dict)

    def team(self, uuid: str) -> str:
        return self.teams.get(uuid, f"team {uuid[:8]}")

    def review(self, uuid: str | None) -> str | None:
        return None if uuid is None else self.reviews.get(uuid, f"gate review {uuid[:8]}")

    def objective(self, uuid: str) -> str:
        key = uuid.replace("-", "")
        return self.objectives.get(key, f"objective {key[:8]}")


def describe(value: Any, names: Names, key: str = "") -> str:
    """A recorded value of the field `key` in one line: codes as words, periods as 2026-Q1,
    allocations and gate decisions as a sentence, anything else as `key: value` pairs."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        if key in MONEY and NUMBER.fullmatch(value):
            return f"{Decimal(value):,.0f}"
        return words(value) if key in CODED and CODE.fullmatch(value) else value
    if isinstance(value, list):
        return "; ".join(describe(v, names, key) for v in value) if value else "none"
    if isinstance(value, dict):
        return _describe_mapping(value, names)
    return str(value)


def _describe_mapping(value: dict[str, Any], names: Names) -> str:
    if {"year", "quarter"} == set(value):
        return f"{value['year']}-Q{value['quarter']}"
    if {"team_id", "period", "fte"} <= set(value):
        text = f"{value['fte']} FTE of {names.team(value['team_id'])} in "
        text += describe(value["period"], names)
        approval = value.get("approval") or {}
        return text + (f", approved by {approval['approved_by']}" if approval else "")
    if {"gate", "outcome"} <= set(value) and "voters" in value:
        text = f"{value['gate']} {describe(value['outcome'], names, 'outcome').lower()}"
        voters = value["voters"]
        return text + (f" on the votes of {', '.join(voters)}" if voters else " without votes")
    if {"recommended", "decided"} <= set(value):
        text = f"{describe(value['decided'], names, 'decided')} (the policy recommended "
        return (
            text
            + f"{describe(value['recommended'], names, 'recommended')}, score {value.get('score')})"
        )
    shown = [(k, v) for k, v in value.items() if k not in UNSAID and v not in EMPTY]
    return "; ".join(f"{words(k).lower()}: {describe(v, names, k)}" for k, v in shown) or "nothing"


def recorded(value: Any, names: Names) -> Markup:
    """Everything an event recorded, as nested HTML: a mapping as a <dl>, a list of mappings as
    an <ol>, anything else in words. Built here rather than by a recursive template macro: an
    event of a gate decision holds every vote, and a page lists many events."""
    return Markup(_html(value, names, ""))


def _html(value: Any, names: Names, key: str) -> str:
    if isinstance(value, dict):
        entries = "".join(
            f"<div><dt>{escape(words(k))}</dt><dd>{_html(v, names, k)}</dd></div>"
            for k, v in value.items()
        )
        return f'<dl class="recorded">{entries}</dl>'
    if isinstance(value, list) and value and isinstance(value[0], dict):
        items = "".join(f"<li>{_html(v, names, key)}</li>" for v in value)
        return f'<ol class="recorded">{items}</ol>'
    return str(escape(describe(value, names, key)))


@dataclass(frozen=True)
class Change:
    """One field an event changed, in words: `Stage: Proposed → Scoping`."""

    field: str  # the API's name of it, as `allocations.<key>`
    label: str
    before: str | None  # None: the field did not exist before
    after: str | None  # None: the event removed it
    added: tuple[str, ...] = ()  # of a list: entries it gained
    removed: tuple[str, ...] = ()  # and lost

    @property
    def is_list(self) -> bool:
        return bool(self.added or self.removed)


def change(raw: Mapping[str, Any], names: Names) -> Change:
    name, _, key = raw["field"].partition(".")
    label = words(name)
    coded = "strength" if name == "objectives" else name
    if key and name == "allocations":
        label = "Allocation"
    elif key and name == "objectives":
        label = f"Alignment to {names.objective(key)}"
    elif key:
        label = f"{label}, {key}"
    before = None if raw["from"] is None else json.loads(raw["from"])
    after = None if raw["to"] is None else json.loads(raw["to"])
    if name == "open_review":
        label, before, after = "Open gate review", names.review(before), names.review(after)
    if isinstance(before, list) and isinstance(after, list):
        return Change(
            field=raw["field"],
            label=label,
            before=describe(before, names, coded),
            after=describe(after, names, coded),
            added=tuple(describe(v, names, coded) for v in after if v not in before),
            removed=tuple(describe(v, names, coded) for v in before if v not in after),
        )
    return Change(
        field=raw["field"],
        label=label,
        before=None if raw["from"] is None else describe(before, names, coded),
        after=None if raw["to"] is None else describe(after, names, coded),
    )


@dataclass(frozen=True)
class Event:
    """One event of the timeline, with where it stands against the point a past view shows."""

    node: Mapping[str, Any]  # the API's RecordedEvent
    what: str
    changes: tuple[Change, ...]
    cause: Mapping[str, Any] | None  # the event on this page that caused it, if there is one
    place: str  # "", "chosen" (the past view shows the item as this left it) or "later"

    @property
    def version(self) -> int:
        return int(self.node["version"])


def events(
    nodes: Sequence[Mapping[str, Any]], names: Names, chosen: int | None = None
) -> list[Event]:
    """The page's events in order; `chosen` is the version a past view shows, if any."""
    by_id = {node["eventId"]: node for node in nodes}
    return [
        Event(
            node=node,
            what=plain_words(node["type"]),
            changes=tuple(
                change(raw, names)
                for raw in node["changes"]
                if not (raw["from"] is None and json.loads(raw["to"]) in EMPTY)
            ),
            cause=by_id.get(node["causationId"] or ""),
            place=_place(node["version"], chosen),
        )
        for node in nodes
    ]


def _place(version: int, chosen: int | None) -> str:
    if chosen is None or version < chosen:
        return ""
    return "chosen" if version == chosen else "later"
