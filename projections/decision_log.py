"""Decision log: every decision, with who took it, when and why; the auditors' view."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable
from datetime import datetime
from operator import attrgetter
from typing import Any
from uuid import UUID

import orjson
import psycopg
from psycopg.sql import SQL, Composable, Composed
from psycopg.types.json import Jsonb

from domain.approval import ApprovalRequest
from domain.gate_review import GateReview
from domain.improvement import ImprovementItem as Item
from domain.improvement import PdcaStage
from domain.initiative import Initiative
from domain.objective import Objective
from domain.team import Team
from domain.values import Period
from projections.base import Projection, Recorded, handles
from projections.rows import State

KINDS = {
    "Initiative": "initiative",
    "ImprovementItem": "improvement_item",
    "Team": "team",
    "Objective": "objective",
    "ApprovalRequest": "approval_request",
    "GateReview": "initiative",  # a review's decisions are listed under the initiative reviewed
}
ENVELOPE = {"originator_id", "originator_version", "timestamp", "originator_topic", "actor"}
ENVELOPE |= {"reason", "corrects"}

LOG = """CREATE TABLE IF NOT EXISTS {decision_log} (
    position bigint PRIMARY KEY,
    aggregate_id uuid NOT NULL,
    aggregate_kind text NOT NULL,
    version integer NOT NULL,
    decision_type text NOT NULL,
    event_type text NOT NULL,
    actor_id text NOT NULL,
    actor_roles text[] NOT NULL,
    on_behalf_of text,
    reason text,
    recorded_at timestamptz NOT NULL,
    corrects integer,
    overridden boolean NOT NULL DEFAULT false,
    request_id text,
    summary jsonb NOT NULL,
    subject_title text
)"""
# Added with the subjects' titles; rows written before hold none until the view is rebuilt.
LOG_SUBJECT_TITLE = "ALTER TABLE {decision_log} ADD COLUMN IF NOT EXISTS subject_title text"
SUBJECTS = """CREATE TABLE IF NOT EXISTS {decision_log_subjects} (
    id uuid PRIMARY KEY,
    title text NOT NULL
)"""
REVIEWS = """CREATE TABLE IF NOT EXISTS {decision_log_reviews} (
    review_id uuid PRIMARY KEY,
    initiative_id uuid NOT NULL
)"""
INDEXES = (
    "CREATE INDEX IF NOT EXISTS {decision_log_actor} ON {decision_log} (actor_id, position)",
    "CREATE INDEX IF NOT EXISTS {decision_log_type} ON {decision_log} (decision_type, position)",
    "CREATE INDEX IF NOT EXISTS {decision_log_subject} ON {decision_log} (aggregate_id, position)",
    "CREATE INDEX IF NOT EXISTS {decision_log_recorded_at} ON {decision_log} (recorded_at)",
)


def as_json(value: Any) -> Any:
    """What the JSON encoder writes for a domain value it does not know: enums by value, value
    objects as objects, the rest as text (exact decimals, dates). Found once per type."""
    kind = type(value)
    convert = CONVERTERS.get(kind)
    if convert is None:
        convert = CONVERTERS[kind] = converter(kind)
    return convert(value)


def converter(kind: type) -> Callable[[Any], Any]:
    """How `as_json` writes a value of this type."""
    if issubclass(kind, enum.Enum):
        return attrgetter("value")
    if issubclass(kind, Period):
        return str  # 2027-Q1
    if dataclasses.is_dataclass(kind):
        names = tuple(f.name for f in dataclasses.fields(kind))
        return lambda value: {name: getattr(value, name) for name in names}
    return str


CONVERTERS: dict[type, Callable[[Any], Any]] = {}
SUMMARY_OPTIONS = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME


def summary_json(details: dict[str, Any]) -> bytes:
    """The summary's JSON. orjson writes strings, numbers, uuids, enums and tuples itself and
    asks `as_json` for the rest, so most of a summary is written without a Python call."""
    return orjson.dumps(details, default=as_json, option=SUMMARY_OPTIONS)


def log(
    state: State,
    recorded: Recorded,
    decision_type: str,
    subject: UUID | None = None,
    **more: Any,
) -> None:
    """One row for the decision `recorded` holds, about `subject` (else the event's aggregate);
    `more` joins the event's own details in the summary."""
    event, actor = recorded.event, recorded.event.actor
    subject = subject or recorded.aggregate_id
    named = state.rows("decision_log_subjects").get(subject)
    details = {name: v for name, v in vars(event).items() if name not in ENVELOPE}
    event_type = type(event).__qualname__
    state.log("decision_log").insert(
        position=recorded.position,
        aggregate_id=subject,
        aggregate_kind=KINDS[event_type.split(".")[0]],
        version=recorded.version,
        decision_type=decision_type,
        event_type=event_type,
        actor_id=actor.id,
        actor_roles=list(actor.roles),
        on_behalf_of=actor.on_behalf_of,
        reason=event.reason,
        recorded_at=recorded.recorded_at,
        corrects=getattr(event, "corrects", None),
        overridden=more.pop("overridden", False),
        request_id=recorded.request_id,
        summary=Jsonb({**details, **more}, dumps=summary_json),  # encoded as it is written
        subject_title=named["title"] if named else None,
    )


def note_title(state: State, subject: UUID, title: str | None) -> None:
    """Note `subject`'s title for the rows about it (titles are fixed when a subject is made)."""
    if title is not None:
        state.rows("decision_log_subjects").insert(id=subject, title=title)


class DecisionLog(Projection):
    name = "decision_log"
    version = 2  # 2: each row carries its subject's title
    cost = 1.9
    tables = ("decision_log", "decision_log_reviews", "decision_log_subjects")
    ddl = (LOG, LOG_SUBJECT_TITLE, REVIEWS, SUBJECTS, *INDEXES)
    logs = ("decision_log",)
    docs = {
        "decision_log": (
            "One row per decision event, in the order recorded: who decided, when, why, and "
            "what. Creating a work item, team or objective is not a decision and is not listed.",
            {
                "position": "Global position of the decision's event: the log's order and its "
                "pagination cursor.",
                "aggregate_id": "The subject: the initiative (for a gate review's opening and "
                "votes too), improvement item, team, objective or approval request decided on "
                "(uuid).",
                "aggregate_kind": "'initiative', 'improvement_item', 'team', 'objective' or "
                "'approval_request'.",
                "version": "The subject's version that recorded the decision; for a gate "
                "review's opening and votes, the review's version (its id is the summary's "
                "'review_id').",
                "decision_type": "What kind of decision: 'classification' (as the policy "
                "recommends), 'override' (a classification against the recommendation), 'gate' "
                "(KILL included), 'conditions' (conditions cleared), 'resourcing', 'release', "
                "'review', 'benefit', 'sponsor', 'alignment', 'act' (the PDCA decision on "
                "entering ACT), 'close', 'redirect', 'escalate', 'standardise', 'abandon', "
                "'capacity', 'retarget', 'retire'; for a decision that needs a second person, "
                "'approval_request' (asked, the action in the summary), then 'approval' (the "
                "approver's act; the action's own row follows, by the approver) or 'rejection'; "
                "for a gate review, 'gate_review' (opened, its panel and chair in the summary) "
                "and 'vote' (one per gatekeeper, by the voter: outcome and criteria in the "
                "summary), before the chair's 'gate' row, or 'withdrawal' (closed undecided).",
                "event_type": "The event recorded, like 'Initiative.GateDecided'.",
                "actor_id": "Who recorded the decision.",
                "actor_roles": "The roles the actor held when deciding.",
                "on_behalf_of": "On whose behalf the actor acted; null if their own.",
                "reason": "Why, in the actor's words.",
                "recorded_at": "When the decision was recorded (UTC).",
                "corrects": "The subject's version whose decision this one corrects; else null.",
                "overridden": "True for a classification that overrides the policy's "
                "recommendation (decision_type 'override'), and for a gate decision whose chair "
                "overrode the votes (its summary's 'override' says why).",
                "request_id": "The API request the decision came from, if any.",
                "summary": "The decision's details as plain JSON: the event's fields (gate, "
                "outcome, allocation, classification …); decimals as exact strings. "
                "Classifications add 'recommended', 'decided' and 'override_reason'; gate "
                "decisions carry 'votes' (each gatekeeper's outcome, criteria, score, reason), "
                "'override', 'panel' (the review's gatekeepers) and 'recorded_without_votes' "
                "(true for decisions stored before gate reviews).",
                "subject_title": "The subject's title: an initiative's, improvement item's or "
                "objective's, a team's name; for an approval request, the title of the work "
                "item or team it asks about. Titles never change once given. Null for a row "
                "written before titles were kept, until the view is rebuilt.",
            },
        ),
        "decision_log_reviews": (
            "Which initiative each gate review reviews, so its votes are listed under it.",
            {"review_id": "The gate review (uuid).", "initiative_id": "The initiative (uuid)."},
        ),
        "decision_log_subjects": (
            "The title of every subject the log may name, as it was given when the subject was "
            "made, so each decision's row carries it.",
            {
                "id": "The subject: an initiative, improvement item, objective, team or approval "
                "request (uuid).",
                "title": "Its title (a team's name; for an approval request, the title of what it "
                "asks about).",
            },
        ),
    }

    @handles(Initiative.Proposed, Item.Raised, Objective.Defined)
    def work_or_objective_made(self, recorded: Recorded, state: State) -> None:
        note_title(state, recorded.aggregate_id, recorded.event.title)

    @handles(Team.Registered)
    def team_registered(self, recorded: Recorded, state: State) -> None:
        note_title(state, recorded.aggregate_id, recorded.event.name)

    @handles(GateReview.Opened)
    def gate_review_opened(self, recorded: Recorded, state: State) -> None:
        event = recorded.event
        assert isinstance(event, GateReview.Opened)
        state.rows("decision_log_reviews").insert(
            review_id=recorded.aggregate_id, initiative_id=event.initiative_id
        )
        log(state, recorded, "gate_review", event.initiative_id, review_id=recorded.aggregate_id)

    @handles(GateReview.Withdrawn)
    def gate_review_withdrawn(self, recorded: Recorded, state: State) -> None:
        reviewed = state.rows("decision_log_reviews")[recorded.aggregate_id]["initiative_id"]
        log(state, recorded, "withdrawal", reviewed, review_id=recorded.aggregate_id)

    @handles(GateReview.Voted)
    def voted(self, recorded: Recorded, state: State) -> None:
        """One row per vote, by the gatekeeper who cast it."""
        reviewed = state.rows("decision_log_reviews")[recorded.aggregate_id]["initiative_id"]
        log(state, recorded, "vote", reviewed, review_id=recorded.aggregate_id)

    @handles(Initiative.Classified, Item.Classified)
    def classified(self, recorded: Recorded, state: State) -> None:
        classification = recorded.event.classification
        overridden = classification.overridden
        log(
            state,
            recorded,
            "override" if overridden else "classification",
            overridden=overridden,
            recommended=classification.recommended.value,
            decided=classification.decided.value,
            override_reason=classification.override_reason,
        )

    @handles(Initiative.GateDecided)
    def gate_decided(self, recorded: Recorded, state: State) -> None:
        """Each decision's summary carries its votes; one stored before gate reviews existed is
        marked as recorded without votes, and a chair's override of the votes as overridden."""
        event = recorded.event
        assert isinstance(event, Initiative.GateDecided)
        log(
            state,
            recorded,
            "gate",
            overridden=event.override is not None,
            recorded_without_votes=not event.votes,
        )

    @handles(Initiative.ConditionsCleared)
    def conditions_cleared(self, recorded: Recorded, state: State) -> None:
        log(state, recorded, "conditions")

    @handles(Initiative.Resourced, Item.Resourced, Team.AllocationGranted)
    def resourced(self, recorded: Recorded, state: State) -> None:
        log(state, recorded, "resourcing")

    @handles(Initiative.ResourcesReleased, Item.ResourcesReleased, Team.AllocationReleased)
    def released(self, recorded: Recorded, state: State) -> None:
        log(state, recorded, "release")

    @handles(Initiative.Reviewed, Item.Reviewed)
    def reviewed(self, recorded: Recorded, state: State) -> None:
        log(state, recorded, "review")

    @handles(Initiative.BenefitRecorded)
    def benefit_recorded(self, recorded: Recorded, state: State) -> None:
        log(state, recorded, "benefit")

    @handles(Initiative.SponsorAssigned, Initiative.SponsorReleased)
    def sponsor(self, recorded: Recorded, state: State) -> None:
        log(state, recorded, "sponsor")

    @handles(Initiative.AlignedToObjective, Initiative.AlignmentRemoved, Item.AlignedToObjective)
    def alignment(self, recorded: Recorded, state: State) -> None:
        log(state, recorded, "alignment")

    @handles(Item.StageAdvanced)
    def advanced(self, recorded: Recorded, state: State) -> None:
        if (
            recorded.event.to_stage is PdcaStage.ACT
        ):  # the other PDCA steps record work, not decisions
            log(state, recorded, "act")

    @handles(Initiative.Closed)
    def closed(self, recorded: Recorded, state: State) -> None:
        log(state, recorded, "close")

    @handles(Initiative.Redirected)
    def redirected(self, recorded: Recorded, state: State) -> None:
        log(state, recorded, "redirect")

    @handles(Item.Escalated)
    def escalated(self, recorded: Recorded, state: State) -> None:
        log(state, recorded, "escalate")

    @handles(Item.Standardised)
    def standardised(self, recorded: Recorded, state: State) -> None:
        log(state, recorded, "standardise")

    @handles(Item.Abandoned)
    def abandoned(self, recorded: Recorded, state: State) -> None:
        log(state, recorded, "abandon")

    @handles(Team.CapacitySet)
    def capacity_set(self, recorded: Recorded, state: State) -> None:
        log(state, recorded, "capacity")

    @handles(Objective.Retargeted)
    def retargeted(self, recorded: Recorded, state: State) -> None:
        log(state, recorded, "retarget")

    @handles(Objective.Retired)
    def retired(self, recorded: Recorded, state: State) -> None:
        log(state, recorded, "retire")

    @handles(ApprovalRequest.Requested)
    def approval_requested(self, recorded: Recorded, state: State) -> None:
        """Listed under the request, with the title of the work item or team it asks about."""
        asked_about = state.rows("decision_log_subjects").get(recorded.event.subject_id)
        note_title(state, recorded.aggregate_id, asked_about["title"] if asked_about else None)
        log(state, recorded, "approval_request")

    @handles(ApprovalRequest.Approved)
    def approved(self, recorded: Recorded, state: State) -> None:
        log(state, recorded, "approval")

    @handles(ApprovalRequest.Rejected)
    def rejected(self, recorded: Recorded, state: State) -> None:
        log(state, recorded, "rejection")


# Read query -------------------------------------------------------------------------------

COLUMNS = SQL(
    "position, aggregate_id, aggregate_kind, version, decision_type, event_type, actor_id, "
    "actor_roles, on_behalf_of, reason, recorded_at, corrects, overridden, request_id, summary, "
    "subject_title"
)


def where(conditions: list[tuple[str, Any]]) -> tuple[Composable, list[Any]]:
    """Only the filters given, so each query can use its index."""
    given = [(clause, value) for clause, value in conditions if value is not None]
    if not given:
        return SQL("true"), []
    return SQL(" AND ").join(SQL(clause) for clause, _ in given), [value for _, value in given]


def matching(
    *,
    actor: str | None = None,
    decision_type: str | None = None,
    subject: UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[tuple[str, Any]]:
    """The conditions on a row of the log (or of its v1 view, whose columns bear the same
    names) for the filters given: `since` inclusive, `until` exclusive; None takes all."""
    return [
        ("actor_id = %s", actor),
        ("decision_type = %s", decision_type),
        ("aggregate_id = %s", subject),
        ("recorded_at >= %s", since),
        ("recorded_at < %s", until),
    ]


async def decision_log(
    conn: psycopg.AsyncConnection[dict[str, Any]],
    *,
    actor: str | None = None,
    decision_type: str | None = None,
    subject: UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    after: int | None = None,
    before: int | None = None,
    first: int = 50,
    newest_first: bool = False,
    backward: bool = False,
    count: bool = True,
) -> dict[str, Any]:
    """A page of decisions matching the filters (`since` inclusive, `until` exclusive), in
    position order (or newest first): the `first` after the position `after`, or going
    `backward` the `first` just before the position `before` (before the end if None). With
    the total that match the filters, whatever the page (unless `count` is false: then None),
    and whether there are more beyond it (`more`: after the page going forward, before it
    going back)."""
    filters = matching(
        actor=actor, decision_type=decision_type, subject=subject, since=since, until=until
    )
    condition, params = where(filters)
    total = None
    if count:
        counted = await conn.execute(
            SQL("SELECT count(*) AS total FROM reporting.decision_log WHERE {}").format(condition),
            params,
        )
        total = (await counted.fetchone() or {}).get("total", 0)
    descending = newest_first != backward
    cursor_clause = "position < %s" if descending else "position > %s"
    anchor = before if backward else after
    page_where, page_params = where([*filters, (cursor_clause, anchor)])
    query: Composed = SQL(
        "SELECT {} FROM reporting.decision_log WHERE {} ORDER BY position {} LIMIT %s"
    ).format(COLUMNS, page_where, SQL("DESC" if descending else "ASC"))
    rows = await (await conn.execute(query, [*page_params, first + 1])).fetchall()
    page = rows[:first][::-1] if backward else rows[:first]
    more = len(rows) > first
    return {"rows": page, "total": total, "more": more, "has_next_page": more and not backward}
