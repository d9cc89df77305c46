"""Decision log (/decisions): every decision with who took it, when and why, filtered by actor,
decision type, work item and dates, paged by the API's cursors. The same filters select what
/decisions.csv downloads (portal/pages/downloads.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.response import Template

from portal.layout import Link, page
from portal.links import work_url
from portal.listing import PAGE_SIZE, Address, Checked, pager
from portal.reading import Reader, ReadRefused
from portal.summaries import DECISION_TYPES, what
from schema.enums import DecisionType
from service import exports

QUERY = """query Decisions($filter: DecisionFilter, $first: Int!, $after: String, $last: Int,
    $before: String, $newest: Boolean!) {
  decisionLog(filter: $filter, first: $first, after: $after, last: $last, before: $before,
      newestFirst: $newest) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { node { position subjectId subjectKind decisionType eventType actorId actorRoles
      onBehalfOf reason recordedAt overridden summary workItem { uuid kind title } } } }
}"""
ORDERS = {"newest": "newest first", "oldest": "oldest first"}
EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 30)  # within what the API takes
SUBJECT_KINDS = {"TEAM": "a team", "OBJECTIVE": "an objective", "APPROVAL_REQUEST": "a request"}


@dataclass(frozen=True)
class Filters:
    """The log's filters as checked (each as it goes back into addresses), what was wrong with
    the rest, and the cursor to page from."""

    given: dict[str, str]
    problems: list[str]
    after: str | None = None
    before: str | None = None

    @property
    def newest_first(self) -> bool:
        return self.given.get("order", "newest") == "newest"

    @property
    def since(self) -> datetime | None:
        return start_of(self.given.get("from"))

    @property
    def until(self) -> datetime | None:
        """The end of the `to` day: the log's `until` is exclusive."""
        last = self.given.get("to")
        return None if last is None else start_of(last, days=1)

    def keywords(self) -> dict[str, Any]:
        """The filters as projections.decision_log.matching takes them (for the CSV)."""
        subject = self.given.get("subject")
        return {
            "actor": self.given.get("actor"),
            "decision_type": self.given.get("type"),
            "subject": UUID(subject) if subject else None,
            "since": self.since,
            "until": self.until,
        }

    def api_filter(self) -> dict[str, Any]:
        """The filters as the API takes them: its name of the decision type (the address and
        the CSV use the log's own), the subject by its UUID."""
        decided = self.given.get("type")
        wanted = {
            "actor": self.given.get("actor"),
            "decisionType": DecisionType(decided).name if decided else None,
            "subjectId": self.given.get("subject"),
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }
        return {name: value for name, value in wanted.items() if value is not None}

    def variables(self) -> dict[str, Any]:
        paging: dict[str, Any] = {"first": PAGE_SIZE, "after": self.after}
        if self.before:
            paging = {"first": PAGE_SIZE, "last": PAGE_SIZE, "before": self.before}
        return {"filter": self.api_filter(), "newest": self.newest_first, **paging}

    @property
    def narrowed(self) -> bool:
        return bool(self.api_filter())


def start_of(day: str | None, days: int = 0) -> datetime | None:
    if day is None:
        return None
    return datetime.combine(date.fromisoformat(day) + timedelta(days=days), time(), UTC)


def checked(params: Mapping[str, str]) -> Filters:
    check = Checked()
    given = {
        "actor": check.name("Actor", params.get("actor")),
        "type": check.one_of("Decision type", params.get("type"), DECISION_TYPES),
        "subject": check.uuid("Work item", params.get("subject")),
        "from": day(check, "From", params.get("from")),
        "to": day(check, "To", params.get("to")),
        "order": check.one_of("Order", params.get("order"), ORDERS),
    }
    if given["from"] and given["to"] and given["from"] > given["to"]:
        check.problems.append("From is after To: showing decisions from any date.")
        given["from"] = given["to"] = None
    after, before = check.cursors(params.get("after"), params.get("before"))
    kept = {name: value for name, value in given.items() if value}
    return Filters(kept, check.problems, after, before)


def day(check: Checked, label: str, given: str | None) -> str | None:
    """A date as a date input sends it (2026-03-01)."""
    if not given:
        return None
    try:
        chosen = date.fromisoformat(given.strip())
    except ValueError:
        check.problems.append(f"{label} {given[:40]!r} is not a date like 2026-03-01.")
        return None
    if not EARLIEST <= chosen <= LATEST:
        check.problems.append(f"{label} must fall between {EARLIEST} and {LATEST}.")
        return None
    return chosen.isoformat()


@get("/decisions", name="decisions")
async def decisions(reader: NamedDependency[Reader], request: Request[Any, Any, Any]) -> Template:
    """The query parameters are read as one mapping: the page and its CSV check them alike."""
    filters = checked(request.query_params)
    try:
        data = await reader.read(QUERY, **filters.variables())
    except ReadRefused as refused:
        if refused.code != "BAD_USER_INPUT" or not (filters.after or filters.before):
            raise
        said = f"{refused.message} Showing the first page instead."
        filters = Filters(filters.given, [*filters.problems, said])
        data = await reader.read(QUERY, **filters.variables())
    log = data["decisionLog"]
    address = Address("/decisions", filters.given)
    rows = [row(edge["node"]) for edge in log["edges"]]
    return page(
        "decisions.html",
        reader,
        title="Decision log",
        crumbs=[Link("Decision log")],
        filters=filters,
        types=DECISION_TYPES,
        orders=ORDERS,
        total=log["totalCount"],
        rows=rows,
        subject=subject_title(filters, rows),
        pages=pager(address, log["pageInfo"], bool(filters.after or filters.before)),
        csv=Address("/decisions.csv", filters.given).to(order=None),
        exports=exports.refusal(reader.actor, exports.EXPORTERS, "CSV exports") is None,
    )


@dataclass(frozen=True)
class Row:
    decision: dict[str, Any]
    what: str
    type: str
    work: Link | None  # the work item it concerns, linked
    subject: str | None  # what else it is about, when not a work item


def row(decision: dict[str, Any]) -> Row:
    work = decision["workItem"]
    return Row(
        decision=decision,
        what=what(decision["eventType"], decision["summary"]),
        type=DECISION_TYPES.get(DecisionType[decision["decisionType"]].value, "a decision"),
        work=Link(work["title"], work_url(work["kind"], work["uuid"])) if work else None,
        subject=SUBJECT_KINDS.get(decision["subjectKind"]),
    )


def subject_title(filters: Filters, rows: list[Row]) -> str | None:
    """The work item the log is filtered to, by its title if a row names it."""
    subject = filters.given.get("subject")
    if subject is None:
        return None
    named = (r.work for r in rows if r.work and r.work.href and r.work.href.endswith(subject))
    found = next(named, None)
    return found.label if found else subject


# What the page reads when opened without parameters (make bench reads the same over the API).
VARIABLES = checked({}).variables()
