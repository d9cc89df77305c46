"""Concurrent writers: optimistic concurrency, automatic retries and idempotent commands."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from uuid import UUID

import pytest

from domain.commands import (
    AssignSponsor,
    OpenGateReview,
    RaiseImprovementItem,
    RegisterTeam,
    ReviewInitiative,
)
from domain.errors import DomainError
from domain.initiative import Initiative
from domain.values import Actor, ReviewStatus
from service.application import Polarity
from service.unit_of_work import Context, IdempotencyKeyReused, Result, VersionConflict
from tests.service.scenarios import STEWARD, strategic_with_sponsor

pytestmark = pytest.mark.database

THREADS = 6
ROUNDS = 5


def review(app: Polarity, context: Context, initiative: UUID, summary: str) -> Result:
    return app.handle(
        context,
        ReviewInitiative(
            initiative,
            period="2027-01",
            status=ReviewStatus.GREEN,
            summary=summary,
            reason="weekly",
        ),
    )


def reviews_recorded(app: Polarity, initiative: UUID) -> list[str]:
    return [e.event.summary for e in app.history(initiative) if hasattr(e.event, "summary")]


def in_parallel(work: Callable[[int], list[object]]) -> list[object]:
    with ThreadPoolExecutor(THREADS) as pool:
        return [outcome for outcomes in pool.map(work, range(THREADS)) for outcome in outcomes]


def test_a_stale_expected_version_is_a_conflict_that_gives_the_current_version(
    app: Polarity,
) -> None:
    initiative = strategic_with_sponsor(app)

    with pytest.raises(VersionConflict) as conflict:
        app.handle(
            Context(STEWARD.actor, expected_version=2), AssignSponsor(initiative, sponsor="sue")
        )

    assert conflict.value.code == "VERSION_CONFLICT"
    assert conflict.value.current_version == 3


def test_racing_writers_with_expected_versions_lose_nothing_and_every_conflict_is_reported(
    app: Polarity,
) -> None:
    targets = [strategic_with_sponsor(app), strategic_with_sponsor(app)]
    barrier = threading.Barrier(THREADS)

    def writer(n: int) -> list[object]:
        outcomes: list[object] = []
        for round_ in range(ROUNDS):
            target = targets[round_ % 2]
            version = app.get(target, Initiative).version
            barrier.wait()
            context = Context(Actor(f"writer-{n}", ("steward",)), expected_version=version)
            try:
                outcomes.append(review(app, context, target, f"{n}/{round_}"))
            except VersionConflict as conflict:
                outcomes.append((version, conflict))
            barrier.wait()
        return outcomes

    outcomes = in_parallel(writer)

    saved = [o for o in outcomes if isinstance(o, Result)]
    conflicts = [o for o in outcomes if isinstance(o, tuple)]
    assert len(saved) == ROUNDS, "exactly one writer wins each round"
    assert len(conflicts) == ROUNDS * (THREADS - 1), "every loser is told"
    assert all(conflict.current_version > seen for seen, conflict in conflicts)
    recorded = reviews_recorded(app, targets[0]) + reviews_recorded(app, targets[1])
    assert sorted(recorded) == sorted(app.history(r.id)[r.version - 1].event.summary for r in saved)


def test_racing_writers_without_expected_versions_are_retried_and_lose_nothing(
    app: Polarity,
) -> None:
    initiative = strategic_with_sponsor(app)
    barrier = threading.Barrier(THREADS)

    def writer(n: int) -> list[object]:
        outcomes: list[object] = []
        for round_ in range(ROUNDS):
            barrier.wait()
            try:
                outcomes.append(
                    review(app, Context(Actor(f"w{n}", ("steward",))), initiative, f"{n}/{round_}")
                )
            except VersionConflict as conflict:
                outcomes.append(conflict)
        return outcomes

    outcomes = in_parallel(writer)

    saved = [o for o in outcomes if isinstance(o, Result)]
    assert all(isinstance(o, Result | VersionConflict) for o in outcomes)
    assert len(reviews_recorded(app, initiative)) == len(saved)
    assert app.get(initiative, Initiative).version == 3 + len(saved)
    assert len(saved) >= ROUNDS


def test_a_repeated_idempotency_key_records_nothing_new_and_returns_the_first_result(
    app: Polarity,
) -> None:
    context = Context(STEWARD.actor, idempotency_key="raise-line-3")

    first = app.handle(context, RaiseImprovementItem(title="Fix jams", problem="p", area="Line 3"))
    again = app.handle(context, RaiseImprovementItem(title="Fix jams", problem="p", area="Line 3"))

    assert (again.id, again.version, again.position) == (first.id, first.version, first.position)
    assert again.replayed
    assert len(app.history(first.id)) == 1


def test_an_idempotency_key_reused_for_a_different_command_is_refused(app: Polarity) -> None:
    context = Context(STEWARD.actor, idempotency_key="key-1")
    app.handle(context, RaiseImprovementItem(title="One", problem="p", area="A"))

    with pytest.raises(IdempotencyKeyReused) as refused:
        app.handle(context, RaiseImprovementItem(title="Another", problem="p", area="A"))

    assert refused.value.code == "IDEMPOTENCY_KEY_REUSED"


def test_idempotency_keys_belong_to_their_actor(app: Polarity) -> None:
    mine = app.handle(
        Context(Actor("ann", ("steward",)), idempotency_key="k"),
        RegisterTeam(name="A", org_unit="U"),
    )
    theirs = app.handle(
        Context(Actor("ben", ("steward",)), idempotency_key="k"),
        RegisterTeam(name="A", org_unit="U"),
    )

    assert mine.id != theirs.id


def test_the_same_command_sent_concurrently_with_one_key_is_recorded_once(app: Polarity) -> None:
    context = Context(Actor("retrying-client", ("steward",)), idempotency_key="once")
    barrier = threading.Barrier(THREADS)

    def sender(_: int) -> list[object]:
        barrier.wait()
        return [app.handle(context, RegisterTeam(name="Night shift", org_unit="Plant"))]

    results = in_parallel(sender)

    assert len({r.id for r in results if isinstance(r, Result)}) == 1
    assert sum(not r.replayed for r in results if isinstance(r, Result)) == 1


def test_one_key_sent_concurrently_with_an_expected_version_gives_every_sender_the_first_result(
    app: Polarity,
) -> None:
    initiative = strategic_with_sponsor(app)
    barrier = threading.Barrier(THREADS)

    def sender(context: Context, summary: str) -> object:
        barrier.wait()
        try:
            return review(app, context, initiative, summary)
        except VersionConflict as conflict:
            return conflict

    for round in range(ROUNDS):
        version = app.get(initiative, Initiative).version
        context = Context(
            Actor("client", ("steward",)), expected_version=version, idempotency_key=f"r{round}"
        )
        with ThreadPoolExecutor(THREADS) as pool:
            outcomes = list(pool.map(sender, [context] * THREADS, [f"round {round}"] * THREADS))

        assert {(o.id, o.version) for o in outcomes if isinstance(o, Result)} == {
            (initiative, version + 1)
        }
        assert [o for o in outcomes if not isinstance(o, Result)] == []
    assert reviews_recorded(app, initiative) == [f"round {n}" for n in range(ROUNDS)]


def test_reviews_opened_at_once_for_one_gate_leave_exactly_one_open(app: Polarity) -> None:
    """Two panels never review one gate: of reviews opened at the same moment, one opens and
    the others are refused, whichever thread wins."""
    initiative = strategic_with_sponsor(app)
    start = threading.Barrier(THREADS)

    def open_one(n: int) -> list[object]:
        start.wait()
        try:
            opened = OpenGateReview(initiative, ("gina", f"gus{n}"), chair="gina")
            return [app.handle(STEWARD, opened).id]
        except DomainError as refused:
            return [refused.code]

    outcomes = in_parallel(open_one)

    opened = [o for o in outcomes if isinstance(o, UUID)]
    assert len(opened) == 1
    assert set(outcomes) - set(opened) <= {"REVIEW_ALREADY_OPEN"}
    assert app.get(initiative, Initiative).open_review == opened[0]
