"""A work item's timeline says each event in words, and its "view as of" control takes only what
it can show: the pieces the work item page is built from, without a browser."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from portal.as_of import AsOf, BadRequest, address, holding, page_start, parse_as_of
from portal.timeline import Names, change, events, plain_words, recorded

NAMES = Names(
    teams={"34b1dd3e-0d1e-44ce-8f2b-94f435c7d883": "Nordic Expansion"},
    objectives={"61d6cc987a244ad2afa3a8d5a5289c68": "Grow abroad"},
    reviews={"b65846e2-9d47-4b39-83f3-1d7e21c6fb7d": "the G1 review"},
)


def raw(field: str, before: Any, after: Any, *, created: bool = False) -> dict[str, Any]:
    """A change as the API's history gives it: `from` and `to` as JSON."""
    return {
        "field": field,
        "from": None if created else json.dumps(before),
        "to": json.dumps(after),
    }


@pytest.mark.parametrize(
    ("event_type", "said"),
    [
        ("Initiative.GateReviewOpened", "Gate review opened"),
        ("ImprovementItem.StageAdvanced", "Stage advanced"),
        ("Initiative.Proposed", "Proposed"),
    ],
)
def test_an_event_type_is_said_in_plain_words(event_type: str, said: str) -> None:
    assert plain_words(event_type) == said


@pytest.mark.parametrize(
    ("given", "label", "before", "after"),
    [
        (raw("stage", "PROPOSED", "SCOPING"), "Stage", "Proposed", "Scoping"),
        (raw("budget", "0", "300000.0"), "Budget", "0", "300,000"),
        (raw("sponsor", None, "maria.santos"), "Sponsor", "nothing", "maria.santos"),
        (
            raw("objectives.61d6cc987a244ad2afa3a8d5a5289c68", None, "STRONG", created=True),
            "Alignment to Grow abroad",
            None,
            "Strong",
        ),
        (
            raw(
                "allocations.34b1dd3e0d1e44ce8f2b94f435c7d883/9ce5/2026-Q1",
                None,
                {
                    "team_id": "34b1dd3e-0d1e-44ce-8f2b-94f435c7d883",
                    "period": {"year": 2026, "quarter": 1},
                    "fte": "4",
                    "approval": None,
                },
                created=True,
            ),
            "Allocation",
            None,
            "4 FTE of Nordic Expansion in 2026-Q1",
        ),
        (
            raw("open_review", "b65846e2-9d47-4b39-83f3-1d7e21c6fb7d", None),
            "Open gate review",
            "the G1 review",
            "nothing",
        ),
    ],
)
def test_a_change_is_said_in_words_with_the_names_the_page_knows(
    given: dict[str, Any], label: str, before: str | None, after: str
) -> None:
    said = change(given, NAMES)

    assert (said.label, said.before, said.after) == (label, before, after)


def test_a_list_that_grows_says_what_it_gained_and_lost() -> None:
    gate = {"version": 5, "gate": "G1", "outcome": "CONDITIONAL_GO", "voters": ["ann", "bo"]}

    gates = change(raw("gates", [], [gate]), NAMES)
    conditions = change(raw("open_conditions", ["sign"], ["hire"]), NAMES)

    assert gates.added == ("G1 conditional go on the votes of ann, bo",)
    assert (conditions.added, conditions.removed) == (("hire",), ("sign",))


def test_an_event_says_what_it_changed_not_the_fields_it_created_empty() -> None:
    proposed = {
        "eventId": "e1",
        "version": 1,
        "type": "Initiative.Proposed",
        "causationId": None,
        "changes": [raw("title", None, "Go", created=True), raw("gates", None, [], created=True)],
    }
    classified = {**proposed, "eventId": "e2", "version": 2, "causationId": "e1", "changes": []}

    first, second = events([proposed, classified], NAMES, chosen=1)

    assert [c.field for c in first.changes] == ["title"]
    assert (first.place, second.place) == ("chosen", "later")
    assert second.cause == proposed


def test_what_an_event_recorded_is_escaped_however_it_was_written() -> None:
    html = recorded({"reason": "<script>alert(1)</script>", "votes": [{"gate": "G1"}]}, NAMES)

    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert html.count('<dl class="recorded">') == 2


@pytest.mark.parametrize(
    ("as_of", "version", "point"),
    [
        (None, None, AsOf()),
        ("", " ", AsOf()),
        (None, "12", AsOf(version=12)),
        ("2026-01-02T14:00", None, AsOf(moment=datetime(2026, 1, 2, 14, tzinfo=UTC))),
        ("2026-01-02 15:00+01:00", "", AsOf(moment=datetime(2026, 1, 2, 14, tzinfo=UTC))),
    ],
)
def test_view_as_of_takes_a_moment_in_utc_unless_it_says_otherwise_or_a_version(
    as_of: str | None, version: str | None, point: AsOf
) -> None:
    assert parse_as_of(as_of, version) == point


@pytest.mark.parametrize(
    ("as_of", "version", "said"),
    [
        ("2026-01-02", "3", "not both"),
        (None, "-1", "a whole number of 1 or more"),
        (None, "٣", "a whole number of 1 or more"),  # a digit, but not one of ours
        (None, "9" * 30, "a whole number of 1 or more"),
        ("soon", None, "is not a date and time"),
        ("0900-01-01", None, "not a year Polarity records"),
    ],
)
def test_view_as_of_says_what_it_cannot_take(
    as_of: str | None, version: str | None, said: str
) -> None:
    with pytest.raises(BadRequest, match=said):
        parse_as_of(as_of, version)


def test_a_past_view_opens_its_timeline_at_the_page_holding_its_version() -> None:
    assert [holding(v) for v in (1, 25, 26, 51)] == [1, 1, 26, 51]
    assert page_start(None, AsOf(version=30)) == 26
    assert page_start(None, AsOf(moment=datetime(2026, 1, 1, tzinfo=UTC))) is None  # the read says
    assert page_start("51", AsOf(version=30)) == 51
    assert address("/initiatives/x", AsOf(version=30), 26, "event-30") == (
        "/initiatives/x?version=30&from=26#event-30"
    )
