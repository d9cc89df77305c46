"""Answers to queries over the reporting views, kept until a view they read moves.

A view changes only when its runner writes it, and every write moves the view's tracking row
(its position, and the runner's token and time) in the same transaction. So the answer to a
query that reads only views is fixed by the query, its variables, who asks, and the tracking
rows of those views. Those rows are read before the query runs and again after: an answer is
kept only when they did not move meanwhile (it is then the answer for exactly those rows, even
if the query waited for a write with consistentWith, or a batch landed while it ran: then it is
simply not kept), under a key holding them. The next identical query reads the rows first and
finds the answer only while they are unchanged: the invalidation is exact, nothing expires on a
timer, and nothing is served once a view has moved.

What may be cached is declared where the fields are:

- a query field answered from views alone carries `reads(view, ..., changes_at=...)` in its
  metadata: the views, and, when its answer also depends on the clock (a row becomes overdue),
  a statement giving the next moment it would change without an event (null: never);
- a field with a resolver below it is allowed when it answers from its parent object alone
  (metadata `FROM_PARENT`); fields without a resolver read their object's attributes.

An operation is cached only when it is a query, every field it selects is one of those, and its
answer has no error. The key holds the document's text, the operation's name, the variables, the
caller's roles and each view's tracking row; mutations, errors, and every other field (history,
time travel, the audit trail's own reads, anything that loads aggregates or reads the store) are
never cached. Each process keeps its own cache, bounded by the size of the JSON it holds
(POLARITY_RESPONSE_CACHE_MB), least recently used first out.

A query that misses while the same key is being computed by another request waits for that
answer instead of computing it again (when a view moves under load, every client misses at
once); if that answer is not kept, it computes its own.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

import orjson
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    get_operation_ast,
)
from graphql import ExecutionResult as GraphQLResult
from psycopg.sql import SQL, Composed, Identifier
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema_converter import GraphQLCoreConverter

from projections.base import SCHEMA
from schema.context import RequestContext
from service.metrics import observe_response_cache

Statement = SQL | Composed
READS = "polarity.reads"
FROM_PARENT_KEY = "polarity.from_parent"
FROM_PARENT = {FROM_PARENT_KEY: True}  # metadata of a resolver reading its parent object only
MAX_PLANS = 512  # operations whose plan (cacheable or not, and what it reads) is remembered
TRACKING = SQL(
    "SELECT projection, position, version, token, updated_at, now() AS now FROM {} "
    "WHERE projection = ANY(%s)"
).format(Identifier(SCHEMA, "tracking"))


@dataclass(frozen=True)
class Reads:
    """What a query field's answer depends on besides its arguments and the caller's roles."""

    views: tuple[str, ...]
    changes_at: Statement | None = None  # one row, `at`: when the answer changes by itself


def reads(*views: str, changes_at: Statement | None = None) -> dict[str, Reads]:
    """The metadata of a query field answered from `views` alone (see the module's doc)."""
    return {READS: Reads(views, changes_at)}


class Plan(NamedTuple):
    """What an operation reads: its views, and the statements of when its answer changes."""

    views: tuple[str, ...]
    clocks: tuple[Statement, ...]


@dataclass
class Entry:
    answer: bytes  # the operation's data as JSON
    size: int
    until: datetime | None  # the database's time at which the answer changes by itself


class ResponseCache:
    """Answers by key, at most `limit` bytes of them, least recently used first out."""

    def __init__(self, megabytes: int) -> None:
        self.limit = megabytes * 1024 * 1024
        self.size = 0
        self.entries: OrderedDict[tuple[Any, ...], Entry] = OrderedDict()
        self.plans: OrderedDict[tuple[str, str | None], Plan | None] = OrderedDict()
        # keys being computed now: the answer, once kept (None: not kept)
        self.running: dict[tuple[Any, ...], asyncio.Future[bytes | None]] = {}

    def get(self, key: tuple[Any, ...], now: datetime) -> bytes | None:
        entry = self.entries.get(key)
        if entry is None:
            return None
        if entry.until is not None and now >= entry.until:
            self._drop(key)
            return None
        self.entries.move_to_end(key)
        return entry.answer

    def put(self, key: tuple[Any, ...], answer: bytes, until: datetime | None) -> None:
        size = len(answer) + _size_of(key)
        if size > self.limit:
            return
        if key in self.entries:
            self._drop(key)
        self.entries[key] = Entry(answer, size, until)
        self.size += size
        while self.size > self.limit:
            self._drop(next(iter(self.entries)))

    def _drop(self, key: tuple[Any, ...]) -> None:
        self.size -= self.entries.pop(key).size

    def plan(
        self, schema: GraphQLSchema, document: DocumentNode, query: str, name: str | None
    ) -> Plan | None:
        """What the operation reads, if it may be cached; remembered per operation."""
        key = (query, name)
        if key in self.plans:
            self.plans.move_to_end(key)
            return self.plans[key]
        found = self.plans[key] = plan_of(schema, document, name)
        if len(self.plans) > MAX_PLANS:
            self.plans.popitem(last=False)
        return found


def _size_of(key: tuple[Any, ...]) -> int:
    query, _, variables, *_ = key
    return len(query) + len(variables) + 200  # the rest: the name, roles and tracking rows


def plan_of(schema: GraphQLSchema, document: DocumentNode, name: str | None) -> Plan | None:
    """The views a query reads, if every field it selects is declared cacheable."""
    operation = get_operation_ast(document, name)
    root = schema.query_type
    if operation is None or operation.operation is not OperationType.QUERY or root is None:
        return None
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    views: dict[str, None] = {}
    clocks: list[Statement] = []
    for field in _fields(operation.selection_set, fragments):
        if field.name.value == "__typename":
            continue
        found = _strawberry_field(root, field.name.value)
        declared = None if found is None else found.metadata.get(READS)
        if not isinstance(declared, Reads):
            return None
        if not _from_parents(root, field, fragments):
            return None
        views.update(dict.fromkeys(declared.views))
        if declared.changes_at is not None and declared.changes_at not in clocks:
            clocks.append(declared.changes_at)
    return Plan(tuple(sorted(views)), tuple(clocks)) if views else None


def _fields(
    selections: SelectionSetNode, fragments: Mapping[str, FragmentDefinitionNode]
) -> Iterator[FieldNode]:
    """The fields of a selection set, through its fragments."""
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields(selection.selection_set, fragments)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                yield from _fields(fragment.selection_set, fragments)


def _strawberry_field(parent: GraphQLObjectType, name: str) -> Any | None:
    field = parent.fields.get(name)
    if field is None:
        return None
    return (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)


def _from_parents(
    parent: GraphQLObjectType,
    field: FieldNode,
    fragments: Mapping[str, FragmentDefinitionNode],
) -> bool:
    """Whether everything selected below `field` answers from its parent object alone."""
    if field.selection_set is None:
        return True
    named = get_named_type(parent.fields[field.name.value].type)
    if not isinstance(named, GraphQLObjectType):  # an interface or a union: not declared
        return False
    for child in _fields(field.selection_set, fragments):
        if child.name.value == "__typename":
            continue
        found = _strawberry_field(named, child.name.value)
        if found is None:
            return False
        if not (found.is_basic_field or found.metadata.get(FROM_PARENT_KEY)):
            return False
        if not _from_parents(named, child, fragments):
            return False
    return True


class ResponseCaching(SchemaExtension):
    """Answers a cacheable query from the cache while the views it reads have not moved, and
    keeps a new answer that has no error (see the module's doc)."""

    def __init__(self, cache: ResponseCache) -> None:
        self.cache = cache

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        request = context.context
        document = context.graphql_document
        if (
            context.result is not None  # refused before execution (cost, text)
            or document is None
            or context.query is None
            or not isinstance(request, RequestContext)
        ):
            yield
            return
        schema = context.schema._schema
        plan = self.cache.plan(schema, document, context.query, context.operation_name)
        if plan is None:
            yield
            return
        tracked = await _tracked(request, plan)
        if tracked is None:  # a view without a tracking row: not set up yet
            yield
            return
        try:
            variables = orjson.dumps(context.variables or {}, option=orjson.OPT_SORT_KEYS)
        except TypeError:  # text JSON cannot hold as orjson writes it: not cached
            yield
            return
        rows, now = tracked
        roles = tuple(sorted(set(request.actor.roles)))
        key = (context.query, context.operation_name, variables, roles, rows)
        cached = self.cache.get(key, now)
        if cached is not None:
            observe_response_cache("hit")
        elif (running := self.cache.running.get(key)) is not None:
            observe_response_cache("joined")
            cached = await asyncio.shield(running)
        if cached is not None:
            context.result = GraphQLResult(data=orjson.loads(cached))
            yield
            return
        observe_response_cache("miss")
        computing: asyncio.Future[bytes | None] = asyncio.get_running_loop().create_future()
        self.cache.running.setdefault(key, computing)  # another may have begun while it waited
        kept = None
        try:
            until = await _changes_at(request, plan)  # before it runs: never later than its answer
            yield
            kept = await self._kept(request, plan, rows)
            if kept is not None:
                self.cache.put(key, kept, until)
        finally:
            if self.cache.running.get(key) is computing:
                del self.cache.running[key]
            computing.set_result(kept)

    async def _kept(self, request: RequestContext, plan: Plan, rows: Any) -> bytes | None:
        """The answer as JSON, if it has no error and the views did not move while it ran."""
        result = self.execution_context.result
        if not isinstance(result, GraphQLResult) or result.errors or result.data is None:
            return None
        try:
            answer = orjson.dumps(result.data)
        except TypeError:
            return None
        after = await _tracked(request, plan)
        if after is None or after[0] != rows:  # it waited for a write, or a view moved meanwhile:
            return None  # the answer may be newer than the key says
        return answer


Tracked = tuple[tuple[Any, ...], datetime]


async def _tracked(request: RequestContext, plan: Plan) -> Tracked | None:
    """The tracking rows of the views the plan reads, and the database's time."""
    async with request.pool.connection() as conn:
        found = await (await conn.execute(TRACKING, (list(plan.views),))).fetchall()
    if len(found) != len(plan.views):
        return None
    rows = tuple(
        (r["projection"], r["position"], r["version"], r["token"], r["updated_at"])
        for r in sorted(found, key=lambda r: r["projection"])
    )
    return rows, found[0]["now"]


async def _changes_at(request: RequestContext, plan: Plan) -> datetime | None:
    """The first moment, by the database's clock, at which the answer changes by itself."""
    if not plan.clocks:
        return None
    moments = []
    async with request.pool.connection() as conn:
        for clock in plan.clocks:
            row = await (await conn.execute(clock)).fetchone()
            if row is not None and row["at"] is not None:
                moments.append(row["at"])
    return min(moments, default=None)
