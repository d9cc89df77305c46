"""Classification: hard triggers, the score from scope and horizon, and visible overrides."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.classification import (
    DEFAULT_POLICY,
    Classification,
    ClassificationPolicy,
    Criteria,
    Scope,
)
from domain.errors import InvalidInput, RuleViolation
from domain.initiative import Initiative
from domain.values import Path
from tests.domain.builders import (
    OPERATIONAL_CRITERIA,
    STRATEGIC_CRITERIA,
    bob,
    criteria,
    events_of,
    proposed_initiative,
    raised_item,
    replayed,
)


def test_work_that_changes_the_system_is_strategic_whatever_its_score() -> None:
    recommendation = DEFAULT_POLICY.recommend(criteria(changes_system=True))

    assert recommendation.path is Path.STRATEGIC
    assert recommendation.triggers == ("changes the system",)
    assert recommendation.score == 0


def test_a_new_market_region_or_business_model_is_strategic() -> None:
    recommendation = DEFAULT_POLICY.recommend(criteria(new_market_or_model=True))

    assert recommendation.path is Path.STRATEGIC
    assert recommendation.triggers == ("new market, region or business model",)


def test_capital_over_the_threshold_is_strategic() -> None:
    over = DEFAULT_POLICY.capital_threshold + 1

    recommendation = DEFAULT_POLICY.recommend(criteria(capital_required=over))

    assert recommendation.path is Path.STRATEGIC
    assert recommendation.triggers == (f"capital over {DEFAULT_POLICY.capital_threshold}",)


def test_capital_exactly_at_the_threshold_is_no_trigger() -> None:
    at = DEFAULT_POLICY.capital_threshold

    recommendation = DEFAULT_POLICY.recommend(criteria(capital_required=at))

    assert recommendation.triggers == ()
    assert recommendation.path is Path.OPERATIONAL


def test_every_trigger_that_fires_is_listed() -> None:
    assert len(DEFAULT_POLICY.triggers(STRATEGIC_CRITERIA)) == 3


@pytest.mark.parametrize(
    ("scope", "months", "reversible", "score"),
    [
        (Scope.TEAM, 2, True, 0),
        (Scope.FUNCTION, 6, True, 2),
        (Scope.CROSS_FUNCTIONAL, 13, True, 4),
        (Scope.ENTERPRISE, 36, True, 6),
        (Scope.TEAM, 3, False, 1),
    ],
)
def test_the_score_adds_scope_horizon_and_irreversibility(
    scope: Scope, months: int, reversible: bool, score: int
) -> None:
    facts = criteria(scope=scope, horizon_months=months, reversible=reversible)

    assert DEFAULT_POLICY.score(facts) == score


def test_without_a_trigger_a_score_at_the_threshold_recommends_strategic() -> None:
    facts = criteria(scope=Scope.CROSS_FUNCTIONAL, horizon_months=18)

    assert DEFAULT_POLICY.recommend(facts).path is Path.STRATEGIC


def test_without_a_trigger_a_score_below_the_threshold_recommends_operational() -> None:
    facts = criteria(scope=Scope.FUNCTION, horizon_months=18)

    assert DEFAULT_POLICY.recommend(facts).path is Path.OPERATIONAL


def test_irreversibility_can_tip_the_score_into_strategic() -> None:
    facts = criteria(scope=Scope.FUNCTION, horizon_months=18, reversible=False)

    assert DEFAULT_POLICY.recommend(facts).path is Path.STRATEGIC


def test_a_policy_with_other_thresholds_decides_by_them_and_records_its_version() -> None:
    policy = ClassificationPolicy(
        version="2027.1", capital_threshold=Decimal(100_000), strategic_score=2
    )

    by_capital = Classification.decide(policy, criteria(capital_required=Decimal(150_000)))
    by_score = Classification.decide(policy, criteria(scope=Scope.FUNCTION, horizon_months=6))

    assert by_capital.decided is Path.STRATEGIC
    assert by_score.decided is Path.STRATEGIC
    assert by_score.policy_version == "2027.1"
    assert DEFAULT_POLICY.recommend(criteria(capital_required=Decimal(150_000))).triggers == ()


def test_following_the_recommendation_is_no_override() -> None:
    classification = Classification.decide(DEFAULT_POLICY, STRATEGIC_CRITERIA)

    assert classification.recommended is Path.STRATEGIC
    assert classification.decided is Path.STRATEGIC
    assert not classification.overridden
    assert classification.override_reason is None


def test_deciding_against_the_recommendation_needs_an_override_reason() -> None:
    with pytest.raises(RuleViolation) as refused:
        Classification.decide(DEFAULT_POLICY, OPERATIONAL_CRITERIA, decided=Path.STRATEGIC)

    assert refused.value.code == "OVERRIDE_REASON_REQUIRED"
    assert refused.value.field == "overrideReason"


def test_a_blank_override_reason_is_no_reason() -> None:
    with pytest.raises(RuleViolation) as refused:
        Classification.decide(
            DEFAULT_POLICY, OPERATIONAL_CRITERIA, decided=Path.STRATEGIC, override_reason="  "
        )

    assert refused.value.code == "OVERRIDE_REASON_REQUIRED"


def test_an_override_with_a_reason_is_recorded_as_an_override() -> None:
    classification = Classification.decide(
        DEFAULT_POLICY,
        OPERATIONAL_CRITERIA,
        decided=Path.STRATEGIC,
        override_reason=" the board wants it run as a programme ",
    )

    assert classification.overridden
    assert classification.recommended is Path.OPERATIONAL
    assert classification.decided is Path.STRATEGIC
    assert classification.override_reason == "the board wants it run as a programme"


def test_an_override_reason_is_dropped_when_the_decision_follows_the_policy() -> None:
    classification = Classification.decide(
        DEFAULT_POLICY, STRATEGIC_CRITERIA, decided=Path.STRATEGIC, override_reason="because"
    )

    assert not classification.overridden
    assert classification.override_reason is None


def test_an_override_stays_visible_on_the_initiative_its_event_and_its_replay() -> None:
    initiative = proposed_initiative()
    override = Classification.decide(
        DEFAULT_POLICY, STRATEGIC_CRITERIA, decided=Path.OPERATIONAL, override_reason="pilot"
    )

    initiative.classify(override, by=bob, reason="start small")

    events = events_of(initiative)
    classified = events[-1]
    assert isinstance(classified, Initiative.Classified)
    assert classified.classification.overridden
    assert classified.classification.override_reason == "pilot"
    assert classified.actor == bob
    assert classified.reason == "start small"
    assert replayed(events, Initiative).classification == override


def test_an_improvement_item_keeps_its_classification_override_too() -> None:
    item = raised_item()
    override = Classification.decide(
        DEFAULT_POLICY, OPERATIONAL_CRITERIA, decided=Path.STRATEGIC, override_reason="safety"
    )

    item.classify(override, by=bob, reason="a safety risk needs a sponsor")

    assert item.classification is not None
    assert item.classification.overridden


@pytest.mark.parametrize("months", [0, 241])
def test_a_horizon_outside_1_to_240_months_is_refused(months: int) -> None:
    with pytest.raises(InvalidInput) as refused:
        criteria(horizon_months=months)

    assert refused.value.field == "criteria.horizonMonths"


def test_negative_capital_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        Criteria(Scope.TEAM, 2, False, False, Decimal(-1), True)

    assert refused.value.field == "criteria.capitalRequired"
