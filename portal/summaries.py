"""What a decision decided, in a few words a person reads: one sentence from the decision
log's summary JSON (the event's own fields), by the event that recorded it. A summary this
does not know is shown by its plain fields, so nothing recorded goes unsaid."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

Summary = Mapping[str, Any]

# The decision types of the log (projections/decision_log.py), as the portal names them.
DECISION_TYPES = {
    "classification": "Classification",
    "override": "Classification against the policy",
    "gate": "Gate decision",
    "gate_review": "Gate review opened",
    "vote": "Gate vote",
    "withdrawal": "Gate review withdrawn",
    "conditions": "Conditions cleared",
    "resourcing": "Resourcing",
    "release": "Resources released",
    "review": "Review",
    "benefit": "Benefit recorded",
    "sponsor": "Sponsor",
    "alignment": "Alignment",
    "act": "PDCA act",
    "close": "Close",
    "redirect": "Redirect",
    "escalate": "Escalation",
    "standardise": "Standardise",
    "abandon": "Abandon",
    "capacity": "Team capacity",
    "retarget": "Objective retargeted",
    "retire": "Objective retired",
    "approval_request": "Approval asked",
    "approval": "Approval",
    "rejection": "Rejection",
}


def words(code: object) -> str:
    """A code as words: CONDITIONAL_GO -> conditional go."""
    return str(code).replace("_", " ").lower()


def amount(value: object) -> str:
    """A decimal as the API gives it, without trailing zeros or a lone point: 225000.0 ->
    225,000."""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    shown = f"{number:,f}"
    return shown.rstrip("0").rstrip(".") if "." in shown else shown


def allocation(given: object) -> str:
    if not isinstance(given, Mapping):
        return "time"
    return f"{amount(given.get('fte'))} FTE in {given.get('period')} ({words(given.get('path'))})"


def classified(s: Summary) -> str:
    said = f"Classified {words(s.get('decided'))}"
    if s.get("recommended") != s.get("decided"):
        said += f", against the policy's {words(s.get('recommended'))}"
        if s.get("override_reason"):
            said += f": {s['override_reason']}"
    return said


def gate_decided(s: Summary) -> str:
    decision = s.get("decision") or {}
    said = f"{decision.get('gate')}: {words(decision.get('outcome'))}"
    if conditions := decision.get("conditions"):
        said += f", on {len(conditions)} condition{'s' if len(conditions) != 1 else ''}"
    votes = s.get("votes") or []
    if votes:
        said += f" ({len(votes)} of {len(s.get('panel') or votes)} voted)"
    elif s.get("recorded_without_votes"):
        said += " (recorded without votes)"
    if s.get("override"):
        said += f"; against the votes: {s['override']}"
    return said


def voted(s: Summary) -> str:
    vote = s.get("vote") or {}
    said = f"Voted {words(vote.get('outcome'))}"
    if vote.get("should_meet_score") is not None:
        said += f", should-meet score {vote['should_meet_score']}"
    failed = [c.get("name") for c in vote.get("must_meet") or [] if not c.get("passed")]
    if failed:
        said += f"; failed: {', '.join(map(str, failed))}"
    return said


def review_opened(s: Summary) -> str:
    keepers = s.get("gatekeepers") or []
    return f"{s.get('gate')} review opened, chaired by {s.get('chair')}, panel of {len(keepers)}"


def reviewed(s: Summary) -> str:
    said = f"Status {words(s.get('status'))}"
    if s.get("period"):
        said += f" for {s['period']}"
    if s.get("summary"):
        said += f": {s['summary']}"
    if s.get("metric_value") is not None:
        said += f", metric at {amount(s['metric_value'])}"
    if blockers := s.get("blockers"):
        said += f"; blocked by {', '.join(map(str, blockers))}"
    return said


def resourced(s: Summary) -> str:
    assignment = s.get("assignment")
    if isinstance(assignment, Mapping):
        said = f"{allocation(assignment.get('allocation'))}, owner {assignment.get('owner')}"
        return said + (f", due {assignment['due']}" if assignment.get("due") else "")
    said = allocation(s.get("allocation"))
    return said + (f", budget {amount(s['budget'])}" if s.get("budget") is not None else "")


def released(s: Summary) -> str:
    assignment = s.get("assignment")
    given = assignment.get("allocation") if isinstance(assignment, Mapping) else None
    return f"Released {allocation(given or s.get('allocation'))}"


def approval_asked(s: Summary) -> str:
    action = s.get("action") or {}
    if s.get("kind") == "OVER_ALLOCATION":
        return f"Asked to over-allocate {amount(action.get('fte'))} FTE in {action.get('period')}"
    if s.get("kind") == "CLASSIFICATION_OVERRIDE":
        return f"Asked to classify {words(action.get('decided'))} against the policy"
    return f"Asked for approval: {words(s.get('kind'))}"


def plainly(s: Summary) -> str:
    """Any other summary: its plain fields, as `name: value`."""
    shown = [
        f"{words(name)}: {value}"
        for name, value in s.items()
        if isinstance(value, str | int | float) and not name.endswith("_id")
    ]
    return "; ".join(shown)


BY_EVENT: dict[str, Callable[[Summary], str]] = {
    "Initiative.Classified": classified,
    "ImprovementItem.Classified": classified,
    "Initiative.GateDecided": gate_decided,
    "GateReview.Voted": voted,
    "GateReview.Opened": review_opened,
    "GateReview.Withdrawn": lambda s: "Gate review withdrawn undecided",
    "Initiative.ConditionsCleared": lambda s: f"Cleared: {'; '.join(s.get('conditions') or [])}",
    "Initiative.Reviewed": reviewed,
    "ImprovementItem.Reviewed": reviewed,
    "Initiative.Resourced": resourced,
    "ImprovementItem.Resourced": resourced,
    "Team.AllocationGranted": lambda s: f"Granted {allocation(s.get('allocation'))}",
    "Initiative.ResourcesReleased": released,
    "ImprovementItem.ResourcesReleased": released,
    "Team.AllocationReleased": released,
    "Initiative.BenefitRecorded": lambda s: (
        f"{s.get('benefit')}: {amount(s.get('realised'))} {s.get('unit')} realised "
        f"of {amount(s.get('planned'))} planned"
    ),
    "Initiative.SponsorAssigned": lambda s: f"Sponsor: {s.get('sponsor')}",
    "Initiative.SponsorReleased": lambda s: f"Sponsor {s.get('sponsor')} released",
    "Initiative.AlignedToObjective": lambda s: f"Aligned, {words(s.get('strength'))}",
    "ImprovementItem.AlignedToObjective": lambda s: f"Aligned, {words(s.get('strength'))}",
    "Initiative.AlignmentRemoved": lambda s: "Alignment removed",
    "ImprovementItem.StageAdvanced": lambda s: f"Act: {words(s.get('decision'))}",
    "Initiative.Closed": lambda s: f"Closed: {s.get('outcome')}",
    "Initiative.Redirected": lambda s: "Redirected to an improvement item",
    "ImprovementItem.Escalated": lambda s: "Escalated to a strategic initiative",
    "ImprovementItem.Standardised": lambda s: f"Standardised as {s.get('standard_reference')}",
    "ImprovementItem.Abandoned": lambda s: f"Abandoned: {s.get('lesson_learned')}",
    "Team.CapacitySet": lambda s: f"Capacity {amount(s.get('fte'))} FTE in {s.get('period')}",
    "Objective.Retargeted": lambda s: f"Retargeted, due {s.get('due')}",
    "Objective.Retired": lambda s: "Retired",
    "ApprovalRequest.Requested": approval_asked,
    "ApprovalRequest.Approved": lambda s: "Approved",
    "ApprovalRequest.Rejected": lambda s: "Rejected",
}


def what(event_type: str, summary: object) -> str:
    """What the decision recorded by `event_type` decided, from its summary."""
    if not isinstance(summary, Mapping):
        return ""
    say = BY_EVENT.get(event_type, plainly)
    try:
        return say(summary)
    except (AttributeError, TypeError, ValueError):  # a shape this does not know
        return plainly(summary)
