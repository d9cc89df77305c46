"""An improvement item outside its PDCA steps: raising, resourcing, reviews, escalation, closure."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest

from domain.errors import InvalidInput, RuleViolation
from domain.improvement import ActDecision, ImprovementItem, PdcaStage
from domain.values import Path, ReviewStatus, Strength
from tests.domain.builders import (
    Q1,
    alice,
    bob,
    events_of,
    in_act,
    in_do,
    in_plan,
    operational,
    owned,
    raised_and_classified_operational,
    raised_and_classified_strategic,
    raised_item,
)


def test_raising_an_item_records_who_raised_it_and_what_it_affects() -> None:
    item = raised_item()

    (raised,) = events_of(item)
    assert isinstance(raised, ImprovementItem.Raised)
    assert (raised.title, raised.area, raised.metric) == (
        "Cut changeover time on line 3",
        "Line 3",
        "changeover minutes",
    )
    assert raised.actor == alice
    assert item.raised_by == "alice"
    assert item.stage is PdcaStage.RAISED
    assert item.path is Path.OPERATIONAL


def test_an_item_raised_for_a_redirected_initiative_points_back_at_it() -> None:
    initiative_id = uuid4()

    item = ImprovementItem.raise_item(
        title="Fix invoice rework",
        problem="One in five invoices is reworked",
        area="Billing",
        metric="rework rate",
        by=bob,
        reason="redirected from the strategic path",
        redirected_from=initiative_id,
    )

    assert item.redirected_from == initiative_id


def test_an_item_needs_a_problem() -> None:
    with pytest.raises(InvalidInput) as refused:
        ImprovementItem.raise_item(title="t", problem=" ", area="Line 3", metric="", by=alice)

    assert refused.value.field == "problem"


# Classification and escalation ---------------------------------------------------------------


def test_an_item_is_classified_before_work_on_it_starts() -> None:
    item = in_do()

    with pytest.raises(RuleViolation) as refused:
        item.classify(operational(), by=bob, reason="again")

    assert refused.value.code == "ALREADY_STARTED"


def test_an_item_classified_strategic_is_escalated_to_an_initiative() -> None:
    item = raised_and_classified_strategic()
    team = uuid4()
    owned(item, team=team)
    initiative_id = uuid4()
    events_of(item)

    item.escalate(initiative_id, by=bob, reason="a new plant is needed")

    released, escalated = events_of(item)
    assert isinstance(released, ImprovementItem.ResourcesReleased)
    assert isinstance(escalated, ImprovementItem.Escalated)
    assert escalated.initiative_id == initiative_id
    assert (escalated.actor, escalated.reason) == (bob, "a new plant is needed")
    assert item.stage is PdcaStage.ESCALATED
    assert item.escalated_to == initiative_id
    assert item.allocations == {}


@pytest.mark.parametrize("given", [raised_item, raised_and_classified_operational])
def test_only_an_item_classified_strategic_is_escalated(
    given: Callable[[], ImprovementItem],
) -> None:
    with pytest.raises(RuleViolation) as refused:
        given().escalate(uuid4(), by=bob, reason="big")

    assert refused.value.code == "NOT_CLASSIFIED_STRATEGIC"


# Resources ------------------------------------------------------------------------------------


def test_resourcing_records_owner_due_date_hours_and_team_time() -> None:
    item = in_plan()
    team = uuid4()
    events_of(item)

    owned(item, team=team)

    (resourced,) = events_of(item)
    assert isinstance(resourced, ImprovementItem.Resourced)
    assignment = resourced.assignment
    assert (assignment.owner, assignment.due, assignment.hours) == (
        "olga",
        date(2027, 2, 28),
        Decimal(40),
    )
    assert assignment.allocation is not None
    assert (assignment.allocation.team_id, assignment.allocation.period) == (team, Q1)
    assert assignment.allocation.path is Path.OPERATIONAL
    assert resourced.reason == "olga knows the line"
    assert list(item.allocations.values()) == [assignment.allocation]


def test_an_item_is_resourced_once_until_released() -> None:
    item = in_plan()
    owned(item)

    with pytest.raises(RuleViolation) as refused:
        owned(item)

    assert refused.value.code == "ALREADY_RESOURCED"


def test_drawing_on_a_team_needs_a_period_and_fte() -> None:
    item = in_plan()

    with pytest.raises(InvalidInput) as refused:
        item.resource(owner="olga", due=date(2027, 2, 28), by=bob, reason="r", team_id=uuid4())

    assert refused.value.field == "period"


@pytest.mark.parametrize(
    ("owner", "hours", "field"),
    [(" ", None, "owner"), ("olga", Decimal(0), "hours")],
)
def test_an_assignment_needs_an_owner_and_positive_hours(
    owner: str, hours: Decimal | None, field: str
) -> None:
    item = in_plan()

    with pytest.raises(InvalidInput) as refused:
        item.resource(owner=owner, due=date(2027, 2, 28), by=bob, reason="r", hours=hours)

    assert refused.value.field == field


def test_only_held_resources_are_released() -> None:
    with pytest.raises(RuleViolation) as refused:
        in_plan().release_resources(by=bob, reason="r")

    assert refused.value.code == "NOT_RESOURCED"


def test_standardising_releases_the_items_resources() -> None:
    item = in_act(ActDecision.STANDARDISE)

    item.standardise("SOP-114", by=alice)

    assert item.assignment is None


# Reviews and alignment -------------------------------------------------------------------------


def test_a_huddle_review_records_status_metric_and_blockers() -> None:
    item = in_do()
    events_of(item)

    item.review(
        status=ReviewStatus.AMBER,
        metric_value=Decimal(31),
        blockers=("die cart broken", " "),
        by=bob,
        reason="weekly huddle",
    )

    (reviewed,) = events_of(item)
    assert isinstance(reviewed, ImprovementItem.Reviewed)
    assert (reviewed.status, reviewed.metric_value) == (ReviewStatus.AMBER, Decimal(31))
    assert reviewed.blockers == ("die cart broken",)
    assert (reviewed.actor, reviewed.reason) == (bob, "weekly huddle")


def test_an_item_aligns_to_an_objective_once_at_each_strength() -> None:
    item = raised_item()
    objective = uuid4()
    item.align(objective, Strength.WEAK, by=bob)

    with pytest.raises(RuleViolation) as refused:
        item.align(objective, Strength.WEAK, by=bob)

    assert item.objectives == {objective.hex: Strength.WEAK}
    assert refused.value.code == "NO_CHANGE"


# Abandoning and finished items -----------------------------------------------------------------


def test_abandoning_records_the_lesson_and_releases_resources() -> None:
    item = in_do()
    events_of(item)

    item.abandon("the die cart is the real problem", by=bob, reason="no gain")

    released, abandoned = events_of(item)
    assert isinstance(released, ImprovementItem.ResourcesReleased)
    assert isinstance(abandoned, ImprovementItem.Abandoned)
    assert abandoned.lesson_learned == "the die cart is the real problem"
    assert (abandoned.actor, abandoned.reason) == (bob, "no gain")
    assert item.stage is PdcaStage.ABANDONED


def test_abandoning_needs_a_lesson_and_a_reason() -> None:
    item = in_do()

    with pytest.raises(InvalidInput) as no_lesson:
        item.abandon(" ", by=bob, reason="no gain")
    with pytest.raises(InvalidInput) as no_reason:
        item.abandon("lesson", by=bob, reason=" ")

    assert no_lesson.value.field == "lessonLearned"
    assert no_reason.value.code == "REASON_REQUIRED"


def abandoned() -> ImprovementItem:
    item = in_do()
    item.abandon("lesson", by=bob, reason="no gain")
    return item


def escalated() -> ImprovementItem:
    item = raised_and_classified_strategic()
    item.escalate(uuid4(), by=bob, reason="big")
    return item


def standardised() -> ImprovementItem:
    item = in_act(ActDecision.STANDARDISE)
    item.standardise("SOP-114", by=alice)
    return item


ItemCommand = Callable[[ImprovementItem], object]

ITEM_COMMANDS: dict[str, ItemCommand] = {
    "classify": lambda i: i.classify(operational(), by=bob, reason="again"),
    "resource": lambda i: owned(i),
    "release": lambda i: i.release_resources(by=bob, reason="r"),
    "advance": lambda i: i.advance(PdcaStage.PLAN, by=alice),
    "review": lambda i: i.review(status=ReviewStatus.GREEN, by=bob, reason="huddle"),
    "align": lambda i: i.align(uuid4(), Strength.WEAK, by=bob),
    "standardise": lambda i: i.standardise("SOP-1", by=alice),
    "abandon": lambda i: i.abandon("lesson", by=bob, reason="r"),
    "escalate": lambda i: i.escalate(uuid4(), by=bob, reason="r"),
}


@pytest.mark.parametrize("given", [abandoned, escalated, standardised])
@pytest.mark.parametrize("command", ITEM_COMMANDS.values(), ids=ITEM_COMMANDS.keys())
def test_nothing_more_is_recorded_on_a_finished_item(
    given: Callable[[], ImprovementItem], command: ItemCommand
) -> None:
    item = given()
    events_of(item)

    with pytest.raises(RuleViolation) as refused:
        command(item)

    assert refused.value.code == "ITEM_CLOSED"
    assert events_of(item) == []
