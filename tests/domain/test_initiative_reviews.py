"""Monthly reviews of an initiative: status, indicators, risks, and a countermeasure when RED."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.errors import InvalidInput, RuleViolation
from domain.initiative import Initiative
from domain.values import Countermeasure, Indicator, ReviewStatus
from tests.domain.builders import bob, countermeasure, events_of, in_executing


def test_a_red_review_carries_a_countermeasure() -> None:
    initiative = in_executing()

    with pytest.raises(RuleViolation) as refused:
        initiative.review(
            period="2027-03", status=ReviewStatus.RED, summary="late", by=bob, reason="monthly"
        )

    assert refused.value.code == "COUNTERMEASURE_REQUIRED"
    assert refused.value.field == "countermeasure"


def test_a_red_review_with_a_countermeasure_is_recorded() -> None:
    initiative = in_executing()
    events_of(initiative)

    initiative.review(
        period="2027-03",
        status=ReviewStatus.RED,
        summary="supplier is eight weeks late",
        indicators=(Indicator("sites live", Decimal(2), Decimal(5)),),
        risks=("customs", " ", "staffing"),
        countermeasure=countermeasure(),
        by=bob,
        reason="monthly review",
    )

    (reviewed,) = events_of(initiative)
    assert isinstance(reviewed, Initiative.Reviewed)
    assert reviewed.status is ReviewStatus.RED
    assert reviewed.countermeasure == countermeasure()
    assert reviewed.indicators == (Indicator("sites live", Decimal(2), Decimal(5)),)
    assert reviewed.risks == ("customs", "staffing")
    assert (reviewed.actor, reviewed.reason) == (bob, "monthly review")
    assert initiative.last_review is ReviewStatus.RED


@pytest.mark.parametrize("status", [ReviewStatus.GREEN, ReviewStatus.AMBER])
def test_green_and_amber_reviews_need_no_countermeasure(status: ReviewStatus) -> None:
    initiative = in_executing()

    initiative.review(period="2027-03", status=status, summary="on plan", by=bob, reason="monthly")

    assert initiative.last_review is status


def test_a_review_needs_a_summary_and_a_reason() -> None:
    initiative = in_executing()

    with pytest.raises(InvalidInput) as no_summary:
        initiative.review(
            period="2027-03", status=ReviewStatus.GREEN, summary=" ", by=bob, reason="monthly"
        )
    with pytest.raises(InvalidInput) as no_reason:
        initiative.review(
            period="2027-03", status=ReviewStatus.GREEN, summary="fine", by=bob, reason=""
        )

    assert no_summary.value.field == "summary"
    assert no_reason.value.code == "REASON_REQUIRED"


def test_a_countermeasure_names_its_root_cause_action_and_owner() -> None:
    with pytest.raises(InvalidInput) as refused:
        Countermeasure(" ", "second supplier", "sam", countermeasure().due)

    assert refused.value.field == "countermeasure.rootCause"
