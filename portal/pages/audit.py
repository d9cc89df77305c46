"""Audit (/audit, auditors and admins): whether the audit trail is whole (the service's own
verification of its hash chain), the checkpoints it signed, and the access log of who read what."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template

from portal.as_of import BadRequest, field_value, parse_moment, whole_number
from portal.layout import Link, page
from portal.links import WORK_TYPES, work_url
from portal.reading import Reader, ReadRefused
from service.ids import InvalidId, decode_id

QUERY = """query Audit($filter: AccessLogFilter, $first: Int!, $after: String) {
  auditIntegrity {
    state verifiedThrough head checkedAt breaks { position kind }
    lastCheckpoint { position time keyId } }
  auditCheckpoints { position hash time keyId signature }
  accessLog(filter: $filter, first: $first, after: $after, newestFirst: true) {
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { node { position at actor roles onBehalfOf requestId method path operation views ids
      status errors } } }
}"""
ENTRIES = 25  # access-log entries a page
CHECKPOINTS = 10  # checkpoints a page, newest first
MOST_ACTOR = 200  # characters: the API's bound on a name
KIND_OF_TYPE = {type_name: kind for kind, type_name in WORK_TYPES.items()}
VERDICTS = {
    "INTACT": "Intact: every event verified so far matches the hash chain.",
    "BROKEN": "Broken: the hash chain does not hold. See the breaks below.",
    "UNVERIFIED": "Not verified yet: the service has not checked the chain since it started.",
}


@dataclass(frozen=True)
class Filters:
    """The access log's filters and page, as the address gives them, checked."""

    actor: str = ""
    since: datetime | None = None
    until: datetime | None = None
    after: str = ""

    @classmethod
    def of(
        cls, actor: str | None, since: str | None, until: str | None, after: str | None
    ) -> Filters:
        actor = (actor or "").strip()
        if len(actor) > MOST_ACTOR:
            raise BadRequest(f"A name has at most {MOST_ACTOR} characters.")
        start = parse_moment(since.strip()) if since and since.strip() else None
        end = parse_moment(until.strip()) if until and until.strip() else None
        if start and end and start >= end:
            raise BadRequest("The start of the time range must come before its end.")
        return cls(actor, start, end, (after or "").strip())

    def variables(self) -> dict[str, Any]:
        given = {
            "actor": self.actor or None,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }
        return {"filter": given, "first": ENTRIES, "after": self.after or None}

    def query(self, after: str | None = None) -> dict[str, str]:
        """These filters, and a page of the log, as the address's query parameters."""
        given = {
            "actor": self.actor,
            "since": _field(self.since),
            "until": _field(self.until),
            "after": after or "",
        }
        return {name: value for name, value in given.items() if value}

    def address(self, after: str | None = None, checkpoints: int = 1) -> str:
        query = self.query(after) | ({"checkpoints": str(checkpoints)} if checkpoints > 1 else {})
        return "/audit" + (f"?{urlencode(query)}" if query else "")

    @property
    def given(self) -> bool:
        return bool(self.actor or self.since or self.until)


def _field(moment: datetime | None) -> str:
    return field_value(moment) if moment else ""


@get("/audit", name="audit")
async def audit(
    reader: NamedDependency[Reader],
    actor: FromQuery[str | None] = None,
    since: FromQuery[str | None] = None,
    until: FromQuery[str | None] = None,
    after: FromQuery[str | None] = None,
    checkpoints: FromQuery[str | None] = None,
) -> Template:
    problem = None
    try:
        filters = Filters.of(actor, since, until, after)
        shelf = whole_number(checkpoints.strip(), "page of checkpoints") if checkpoints else 1
    except BadRequest as bad:
        filters, shelf, problem = Filters(), 1, str(bad)
    try:
        data = await reader.read(QUERY, **filters.variables())
    except ReadRefused as refused:
        if refused.code != "BAD_USER_INPUT":
            raise  # FORBIDDEN: the page says which roles may read it
        filters, problem = Filters(), refused.message
        data = await reader.read(QUERY, **filters.variables())
    newest = list(reversed(data["auditCheckpoints"]))
    pages = max((len(newest) - 1) // CHECKPOINTS + 1, 1)
    shelf = min(shelf, pages)
    return page(
        "audit.html",
        reader,
        title="Audit",
        crumbs=[Link("Audit")],
        status=400 if problem else 200,
        problem=problem,
        integrity=data["auditIntegrity"],
        verdict=VERDICTS.get(data["auditIntegrity"]["state"], data["auditIntegrity"]["state"]),
        checkpoints=newest[(shelf - 1) * CHECKPOINTS : shelf * CHECKPOINTS],
        checkpoint_count=len(newest),
        checkpoint_pages=[
            Link(label, filters.address(filters.after, number))
            for label, number in (
                ("Newer checkpoints", shelf - 1),
                ("Older checkpoints", shelf + 1),
            )
            if 1 <= number <= pages
        ],
        log=data["accessLog"],
        filters=filters,
        log_pages=log_pages(filters, data["accessLog"]["pageInfo"]),
        read_link=read_link,
    )


def log_pages(filters: Filters, info: dict[str, Any]) -> list[Link]:
    links = []
    if info["hasPreviousPage"]:
        links.append(Link("Newest entries", filters.address()))
    if info["hasNextPage"]:
        links.append(Link("Older entries", filters.address(info["endCursor"])))
    return links


def read_link(gid: str) -> Link:
    """An id an access-log entry names, said short (`Initiative 9ce575eb`, or `id 9ce575eb` for
    a bare UUID), with the page of the work item it names if its global id says it is one."""
    try:
        named = decode_id(gid)
    except InvalidId:
        return Link(gid[:40])
    uuid = str(named.uuid)
    kind = KIND_OF_TYPE.get(named.kind or "")
    label = f"{named.kind or 'id'} {uuid[:8]}"
    return Link(label, work_url(kind, uuid) if kind else None)
