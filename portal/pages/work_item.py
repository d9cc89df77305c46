"""A work item's page (/initiatives/{id}, /improvements/{id}): its state, now or as it was at a
moment or version, and its timeline of every event with who acted, why and what it changed."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_301_MOVED_PERMANENTLY

from domain import clock
from portal.as_of import PAGE, AsOf, BadRequest, holding, page_start, parse_as_of
from portal.formatting import plural
from portal.layout import Link, page
from portal.links import WORK_TYPES, global_id, work_url
from portal.reading import Reader, ReadRefused
from portal.work_view import WorkView
from schema.paging import encode_cursor
from service.ids import InvalidId, decode_id

TIMELINE = """fragment Timeline on RecordedEventConnection {
  totalCount
  edges { node { eventId version position type schemaVersion recordedAt reason
    correlationId causationId requestId data actor { id roles onBehalfOf }
    changes { field from to } } } }"""
CLASSIFICATION = """fragment Classification on Classification {
  recommended decided overridden overrideReason score triggers policyVersion
  criteria { scope horizonMonths changesSystem newMarketOrModel capitalRequired reversible } }"""
INITIATIVE = (
    """query Initiative($id: ID!, $asOf: DateTime, $version: Int, $first: Int!, $after: String,
    $reviews: Int!) {
  item: initiative(id: $id, asOf: $asOf, version: $version) {
    id version title problem orgUnit expectedBenefits horizonMonths proposer stage heldFrom
    nextGate sponsor budget openConditions lastReview benefitsReviewed outcome escalatedFrom
    redirectedTo createdAt modifiedAt
    classification { ...Classification }
    alignments { objectiveId strength objective { title } }
    allocations { period fte approvedBy team { id name } }
    gateDecisions { version gate outcome stageBefore voters override recordedWithoutVotes } }
  history(id: $id, first: $first, after: $after) { ...Timeline }
  gateReviews(initiativeId: $id, first: $reviews) {
    id gate status gatekeepers chair quorum corrects openedBy openedAt outcome override
    closedBy closedAt closeReason
    votes { gatekeeper outcome shouldMeetScore conditions reason votedAt
      mustMeet { name passed } } }
}"""
    + TIMELINE
    + CLASSIFICATION
)
IMPROVEMENT = (
    """query Improvement($id: ID!, $asOf: DateTime, $version: Int, $first: Int!, $after: String) {
  item: improvementItem(id: $id, asOf: $asOf, version: $version) {
    id version title problem area metric raisedBy stage owner due hours actDecision lastReview
    escalatedTo redirectedFrom createdAt modifiedAt
    classification { ...Classification }
    result { expected actual unit }
    alignments { objectiveId strength objective { title } }
    allocation { period fte approvedBy team { id name } } }
  history(id: $id, first: $first, after: $after) { ...Timeline }
}"""
    + TIMELINE
    + CLASSIFICATION
)
HISTORY = (
    """query Timeline($id: ID!, $first: Int!, $after: String) {
  history(id: $id, first: $first, after: $after) { ...Timeline } }"""
    + TIMELINE
)
# By the kind of work item, as the API names it (WorkKind).
QUERIES = {"INITIATIVE": INITIATIVE, "IMPROVEMENT_ITEM": IMPROVEMENT}
TEMPLATES = {"INITIATIVE": "initiative.html", "IMPROVEMENT_ITEM": "improvement_item.html"}
# The newest gate reviews shown, and one more to know there are more: with every vote's criteria,
# more would cost the read over the API's limit (schema/cost.py). Their evidence is in the
# timeline, in what each GateDecided event recorded of the votes.
REVIEWS = 6
NOUNS = {"INITIATIVE": "initiative", "IMPROVEMENT_ITEM": "improvement item"}
KIND_OF_TYPE = {type_name: kind for kind, type_name in WORK_TYPES.items()}
TYPE_NOUNS = {"Team": "a team", "Objective": "an objective", "GateReview": "a gate review"}


@dataclass(frozen=True)
class Asked:
    """One request for a work item's page: the item, and the raw values of its address."""

    kind: str
    uuid: str  # as the address gives it, until located
    as_of: str | None = None
    version: str | None = None
    start: str | None = None

    @property
    def path(self) -> str:
        return work_url(self.kind, self.uuid)

    @property
    def noun(self) -> str:
        return NOUNS[self.kind]


Start = Annotated[str | None, QueryParameter(query="from")]


@get("/initiatives/{id:path}", name="initiative")
async def initiative(
    reader: NamedDependency[Reader],
    id: Path,
    as_of: FromQuery[str | None] = None,
    version: FromQuery[str | None] = None,
    start: Start = None,
) -> Template | Redirect:
    return await work_item(reader, Asked("INITIATIVE", str(id)[1:], as_of, version, start))


@get("/improvements/{id:path}", name="improvement")
async def improvement(
    reader: NamedDependency[Reader],
    id: Path,
    as_of: FromQuery[str | None] = None,
    version: FromQuery[str | None] = None,
    start: Start = None,
) -> Template | Redirect:
    return await work_item(reader, Asked("IMPROVEMENT_ITEM", str(id)[1:], as_of, version, start))


async def work_item(reader: Reader, asked: Asked) -> Template | Redirect:
    """The page of the item the address names, at its one address."""
    try:
        kind, uuid = locate(asked.kind, asked.uuid)
    except LookupError as unknown:
        return not_found(reader, asked, str(unknown))
    if (kind, uuid) != (asked.kind, asked.uuid):
        return moved(replace(asked, kind=kind, uuid=uuid))
    return await show(reader, asked)


def locate(kind: str, given: str) -> tuple[str, str]:
    """The kind and uuid of the item an address names, by its uuid or by the API's global id
    (which may name the other kind); LookupError says why it names none."""
    try:
        named = decode_id(given)
    except InvalidId:
        raise LookupError(f"“{given[:60]}” is not the id of any {NOUNS[kind]}.") from None
    if named.kind is None:
        return kind, str(named.uuid)
    if named.kind not in KIND_OF_TYPE:
        raise LookupError(not_work(named.kind))
    return KIND_OF_TYPE[named.kind], str(named.uuid)


def not_work(type_name: str) -> str:
    return f"This id names {TYPE_NOUNS.get(type_name, 'something else')}, not a work item."


def moved(asked: Asked) -> Redirect:
    """To the item's one address (its kind's path, its uuid), with the rest of what was asked."""
    given = {"as_of": asked.as_of, "version": asked.version, "from": asked.start}
    query = urlencode({name: value for name, value in given.items() if value is not None})
    return Redirect(
        asked.path + (f"?{query}" if query else ""), status_code=HTTP_301_MOVED_PERMANENTLY
    )


def not_found(reader: Reader, asked: Asked, why: str) -> Template:
    title = f"No such {asked.noun}"
    return page(
        "refused.html",
        reader,
        title=title,
        crumbs=[Link("Portfolio", "/portfolio"), Link(title)],
        status=404,
        code="NOT_FOUND",
        message=why,
    )


async def show(reader: Reader, asked: Asked) -> Template | Redirect:
    """The item at the point asked for; a point or page it cannot show is said, and the page
    shows the item now (or the timeline's first page) instead."""
    problem: str | None = None
    try:
        point = parse_as_of(asked.as_of, asked.version)
        start = page_start(asked.start, point)
    except BadRequest as bad:
        point, start, problem = AsOf(), 1, str(bad)
    for _ in range(3):  # each correction below is made at most once
        try:
            data = await read(reader, asked, point, start or 1)
        except ReadRefused as refused:  # a moment the API takes for no date and time
            if refused.code != "BAD_USER_INPUT" or not point.is_past:
                raise
            point, problem = AsOf(), refused.message
            continue
        history = data["history"]
        if history["totalCount"] == 0:
            return not_found(reader, asked, f"No {asked.noun} has the id {asked.uuid}.")
        named = named_type(history)
        if data["item"] is None and named and named != WORK_TYPES[asked.kind]:
            if named not in KIND_OF_TYPE:
                return not_found(reader, asked, not_work(named))
            return moved(replace(asked, kind=KIND_OF_TYPE[named]))
        fix = correction(asked, point, start or 1, data)
        if fix is None:
            break
        problem, point, start = fix
    if data["item"] is None:
        return not_found(reader, asked, f"No {asked.noun} has the id {asked.uuid}.")
    return await shown(reader, asked, point, start, data, problem)


def named_type(history: dict[str, Any]) -> str | None:
    """The GraphQL type of the object whose events these are."""
    edges = history["edges"]
    return str(edges[0]["node"]["type"]).partition(".")[0] if edges else None


def correction(
    asked: Asked, point: AsOf, start: int, data: dict[str, Any]
) -> tuple[str, AsOf, int] | None:
    """What the read says cannot be shown, and what to show instead; None if all can be."""
    total = data["history"]["totalCount"]
    if point.version is not None and point.version > total:
        has = plural(total, "version")
        return f"There is no version {point.version}: this {asked.noun} has {has}.", AsOf(), 1
    if start > total:
        said = f"The timeline has {plural(total, 'event')}: none from {start} on."
        return said, point, page_start(None, point) or 1
    if data["item"] is None and point.moment is not None:
        at = point.moment.strftime("%d %b %Y %H:%M %Z")
        return (
            f"This {asked.noun} did not exist yet at {at}: its first event came later.",
            AsOf(),
            1,
        )
    return None


async def shown(
    reader: Reader,
    asked: Asked,
    point: AsOf,
    start: int | None,
    data: dict[str, Any],
    problem: str | None,
) -> Template:
    notice = None
    if point.moment is not None and point.moment > clock.now():
        notice = "That moment has not come yet: this is the item as it is now."
        point = AsOf()
    item, history = data["item"], data["history"]
    chosen = item["version"] if point.is_past else None
    if start is None:  # a moment: show the page of the event it falls after
        start = holding(chosen or 1)
        if start > 1:
            history = (await reader.read(HISTORY, **paging(asked, start)))["history"]
    reviews = data.get("gateReviews", [])
    view = WorkView(asked.kind, asked.path, item, history, reviews[:REVIEWS], point, chosen, start,
                    more_reviews=len(reviews) > REVIEWS)  # fmt: skip
    title = item["title"] + (f" (as of version {chosen})" if chosen else "")
    return page(
        TEMPLATES[asked.kind],
        reader,
        title=title,
        crumbs=[Link("Portfolio", "/portfolio"), Link(item["title"])],
        status=400 if problem else 200,
        view=view,
        item=item,
        noun=asked.noun,
        problem=problem,
        notice=notice,
    )


async def read(reader: Reader, asked: Asked, point: AsOf, start: int) -> dict[str, Any]:
    variables = paging(asked, start) | point.variables()
    if asked.kind == "INITIATIVE":
        variables["reviews"] = REVIEWS + 1
    return await reader.read(QUERIES[asked.kind], **variables)


def paging(asked: Asked, start: int) -> dict[str, Any]:
    """The item's id and the timeline's page from version `start`."""
    after = encode_cursor(start - 1, "version") if start > 1 else None
    return {"id": global_id(WORK_TYPES[asked.kind], asked.uuid), "first": PAGE, "after": after}
