"""The audit trail: envelopes, history, time travel, snapshots and events stored long ago."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from eventsourcing.application import project_aggregate
from eventsourcing.persistence import StoredEvent

from domain.commands import (
    ClassifyInitiative,
    DecideGateReview,
    OpenGateReview,
    ReviewInitiative,
    VoteAtGate,
)
from domain.gates import Gate, Outcome, Stage
from domain.initiative import Initiative
from domain.values import Actor, ReviewStatus
from service.application import Polarity
from service.unit_of_work import Context, NotFound
from tests.service.scenarios import (
    STEWARD,
    STRATEGIC,
    decide_gate,
    gatekeeper,
    go,
    proposed,
    strategic_with_sponsor,
)

pytestmark = pytest.mark.database


def test_every_event_carries_the_full_envelope(app: Polarity) -> None:
    context = Context(
        Actor("gina", ("gatekeeper",), on_behalf_of="board"),
        request_id="req-42",
        correlation_id="corr-7",
        causation_id="cause-3",
    )
    initiative = strategic_with_sponsor(app)

    review = app.handle(STEWARD, OpenGateReview(initiative, ("gina", "gus"), chair="gina")).id
    for keeper in ("gina", "gus"):
        app.handle(gatekeeper(keeper), VoteAtGate(review, Outcome.GO, "fits"))

    result = app.handle(context, DecideGateReview(review, Outcome.GO, "clear strategic fit"))

    decided = app.history(initiative)[-1]
    envelope = decided.envelope
    assert (envelope.aggregate_id, envelope.version) == (initiative, result.version)
    assert envelope.position == result.position
    assert envelope.event_type == "Initiative.GateDecided"
    assert envelope.schema_version == 3  # GateDecided v3 carries its votes and panel
    assert (envelope.request_id, envelope.correlation_id, envelope.causation_id) == (
        "req-42",
        "corr-7",
        "cause-3",
    )
    assert decided.actor == Actor("gina", ("gatekeeper",), "board")
    assert decided.reason == "clear strategic fit"
    assert envelope.recorded_at <= datetime.now(UTC)
    assert len({e.envelope.event_id for e in app.history(initiative)}) == result.version


def test_history_lists_every_event_in_order_with_rising_positions(app: Polarity) -> None:
    initiative = strategic_with_sponsor(app)

    history = app.history(initiative)

    assert [e.envelope.event_type for e in history] == [
        "Initiative.Proposed",
        "Initiative.Classified",
        "Initiative.SponsorAssigned",
    ]
    positions = [e.envelope.position for e in history]
    assert positions == sorted(positions)


def test_history_of_an_unknown_id_is_not_found(app: Polarity) -> None:
    with pytest.raises(NotFound):
        app.history(uuid4())


def test_an_aggregate_reads_as_it_was_at_a_version(app: Polarity) -> None:
    initiative = strategic_with_sponsor(app)
    decide_gate(app, initiative, go(Gate.G1), reason="fit")

    before_gate = app.get_as_of(initiative, Initiative, version=3)

    assert before_gate.stage is Stage.PROPOSED
    assert before_gate.sponsor == "sam"
    assert app.get(initiative, Initiative).stage is Stage.SCOPING


def test_an_aggregate_reads_as_it_was_at_a_moment(app: Polarity) -> None:
    initiative = strategic_with_sponsor(app)
    moment = datetime.now(UTC)
    decide_gate(app, initiative, go(Gate.G1), reason="fit")

    then = app.get_as_of(initiative, Initiative, at=moment)

    assert (then.version, then.stage) == (3, Stage.PROPOSED)
    with pytest.raises(NotFound):
        app.get_as_of(initiative, Initiative, at=datetime(2000, 1, 1, tzinfo=UTC))


def test_every_moment_of_a_long_history_reads_the_version_recorded_by_then(app: Polarity) -> None:
    initiative = strategic_with_sponsor(app)
    for week in range(1, 20):
        app.handle(
            STEWARD,
            ReviewInitiative(
                initiative,
                period=f"2027-W{week:02d}",
                status=ReviewStatus.GREEN,
                summary=f"week {week}",
                reason="weekly",
            ),
        )
    moments = [e.event.timestamp for e in app.history(initiative)]

    for version, moment in enumerate(moments, start=1):
        assert app.get_as_of(initiative, Initiative, at=moment).version == version
        if version > 1:
            earlier = moment - timedelta(microseconds=1)
            assert app.get_as_of(initiative, Initiative, at=earlier).version == version - 1
    assert app.get_as_of(initiative, Initiative, at=datetime.now(UTC)).version == len(moments)


def test_a_long_history_loads_from_a_snapshot_and_equals_a_full_replay(app: Polarity) -> None:
    initiative = strategic_with_sponsor(app)
    for month in range(1, 13):
        app.handle(
            STEWARD,
            ReviewInitiative(
                initiative,
                period=f"2027-{month:02d}",
                status=ReviewStatus.GREEN,
                summary="on track",
                reason="monthly review",
            ),
        )

    assert app.snapshots is not None
    snapshots = list(app.snapshots.get(initiative))
    assert snapshots, "a snapshot was taken"
    loaded = app.get(initiative, Initiative)
    replayed = project_aggregate(None, app.events.get(initiative))
    assert loaded.version == 15
    assert vars(loaded) == vars(replayed)


def test_an_event_stored_in_an_older_schema_version_is_read_through_its_upcaster(
    app: Polarity,
) -> None:
    initiative = strategic_with_sponsor(app)
    state = (
        b'{"timestamp":{"_type_":"datetime_iso","_data_":"2027-02-01T09:00:00+00:00"},'
        b'"actor":{"_type_":"Actor","_data_":{"id":"sam","roles":[],"on_behalf_of":null}},'
        b'"reason":"monthly review","period":"2027-01",'
        b'"status":{"_type_":"ReviewStatus","_data_":"AMBER"},"summary":"slipping",'
        b'"countermeasure":null,"corrects":null}'
    )
    app.recorder.insert_events(
        [StoredEvent(initiative, 4, "domain.initiative:Initiative.Reviewed", state)]
    )

    reviewed = app.history(initiative)[-1]

    assert reviewed.envelope.schema_version == 2
    assert reviewed.event.status is ReviewStatus.AMBER
    assert reviewed.event.indicators == ()
    assert reviewed.event.risks == ()
    assert app.get(initiative, Initiative).last_review is ReviewStatus.AMBER


def test_nothing_is_ever_updated_or_deleted_in_the_event_store(app: Polarity) -> None:
    initiative = proposed(app)
    first = app.history(initiative)[0]
    app.handle(STEWARD, ClassifyInitiative(initiative, criteria=STRATEGIC, reason="why"))
    app.handle(
        STEWARD, ClassifyInitiative(initiative, criteria=STRATEGIC, reason="restated", corrects=2)
    )

    history = app.history(initiative)

    assert history[0] == first
    assert [e.event.corrects for e in history[1:]] == [None, 2]
