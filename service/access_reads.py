"""What a request read, for the access log: a GraphQL operation's name, the views (root fields)
it asked for and the ids it named; an export's view; the feed's positions."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    ValueNode,
    VariableNode,
    parse,
)

log = logging.getLogger("polarity.access_log")

MOST_IDS = 100  # a list page names at most 100 objects; more than that is not one read
MOST_DEPTH = 20
LITERAL, VARIABLE = "literal", "variable"


@dataclass(frozen=True)
class Reads:
    operation: str | None
    views: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()


def of_request(path: str, query_string: str, body: bytes | None, next_after: str | None) -> Reads:
    """What the request at `path` read, from its query string, GraphQL body or feed header."""
    if path == "/graphql":
        return of_graphql(body or b"")
    for exports in ("/exports/", "/downloads/"):  # the API's, and the portal's of the same
        if path.startswith(exports):
            return Reads("export", views=(path.removeprefix(exports).removesuffix(".csv"),))
    if path == "/decisions.csv":  # the portal's decision log; the row's path keeps its filters
        return Reads("export", views=("decision_log",))
    if path == "/feeds/events":
        after = parse_qs(query_string).get("after", ["0"])[0]
        read = after.isdigit() and next_after is not None and next_after != after
        positions = (f"positions {int(after) + 1}..{next_after}",) if read else ()
        return Reads("feed", views=("events",), ids=positions)
    return Reads(None, views=(path,))


def of_graphql(body: bytes) -> Reads:
    """The operation's name (or its kind when it has none), its root fields and the ids in its
    arguments and variables; a body that is not a GraphQL request reads nothing."""
    try:
        return _of_graphql(body)
    except Exception:  # the row is written all the same, without what it read
        log.exception("could not tell what a GraphQL request read")
        return Reads(None)


def _of_graphql(body: bytes) -> Reads:
    try:
        request = json.loads(body)
        query, name = request["query"], request.get("operationName")
        found = shape(query, name if isinstance(name, str) else None)
    except (ValueError, TypeError, KeyError, AttributeError):
        return Reads(None)
    variables = request.get("variables") or {}
    if found is None or not isinstance(variables, dict):
        return Reads(None)
    ids = dict.fromkeys(found.literal_ids)
    for variable in found.id_variables:
        ids.update(dict.fromkeys(strings(variables.get(variable))))
    ids.update(dict.fromkeys(ids_in_values(variables)))
    return Reads(found.operation, views=found.views, ids=tuple(ids)[:MOST_IDS])


@dataclass(frozen=True)
class Shape:
    """What an operation's text says it reads, whatever its variables."""

    operation: str
    views: tuple[str, ...]
    literal_ids: tuple[str, ...]
    id_variables: tuple[str, ...]  # the variables given to arguments named like an id


@lru_cache(maxsize=512)  # clients send the same few operations over and over
def shape(query: str, operation_name: str | None) -> Shape | None:
    try:
        document = parse(query, max_tokens=20_000)
    except (GraphQLError, RecursionError):
        return None
    operation = chosen(document, operation_name)
    if operation is None:
        return None
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    roots = dict.fromkeys(f.name.value for f in fields(operation.selection_set, fragments))
    named = list(dict.fromkeys(ids_in_arguments(operation.selection_set, fragments)))
    return Shape(
        operation=operation.name.value if operation.name else operation.operation.value,
        views=tuple(roots),
        literal_ids=tuple(value for kind, value in named if kind == LITERAL),
        id_variables=tuple(value for kind, value in named if kind == VARIABLE),
    )


def chosen(document: DocumentNode, name: object) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if isinstance(name, str):
        return next((o for o in operations if o.name and o.name.value == name), None)
    return operations[0] if len(operations) == 1 else None


def fields(
    selections: SelectionSetNode | None,
    fragments: Mapping[str, FragmentDefinitionNode],
    depth: int = 0,
) -> Iterator[FieldNode]:
    """The fields selected at this level, through inline fragments and fragment spreads."""
    if selections is None or depth > MOST_DEPTH:
        return
    for selection in selections.selections or ():
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from fields(selection.selection_set, fragments, depth + 1)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value in fragments:
            yield from fields(fragments[selection.name.value].selection_set, fragments, depth + 1)


def ids_in_arguments(
    selections: SelectionSetNode | None,
    fragments: Mapping[str, FragmentDefinitionNode],
    depth: int = 0,
) -> Iterator[tuple[str, str]]:
    """Every argument named like an id, at any depth of the selection: (LITERAL, its value) or
    (VARIABLE, the name of the variable that gives it)."""
    if depth > MOST_DEPTH:
        return
    for field in fields(selections, fragments):
        for argument in field.arguments or ():
            yield from ids_in_value(argument.name.value, argument.value)
        yield from ids_in_arguments(field.selection_set, fragments, depth + 1)


def ids_in_value(name: str, value: ValueNode) -> Iterator[tuple[str, str]]:
    if isinstance(value, VariableNode) and names_an_id(name):
        yield VARIABLE, value.name.value
    elif isinstance(value, StringValueNode) and names_an_id(name):
        yield LITERAL, value.value
    elif isinstance(value, ListValueNode):
        for item in value.values or ():
            yield from ids_in_value(name, item)
    elif isinstance(value, ObjectValueNode):
        for field in value.fields or ():
            yield from ids_in_value(field.name.value, field.value)


def ids_in_values(value: Any, name: str = "", depth: int = 0) -> Iterator[str]:
    """Strings under keys named like an id, anywhere in the variables."""
    if depth > MOST_DEPTH:
        return
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from ids_in_values(inner, str(key), depth + 1)
    elif isinstance(value, list):
        for inner in value:
            yield from ids_in_values(inner, name, depth + 1)
    elif isinstance(value, str) and names_an_id(name):
        yield value


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        yield from (item for item in value if isinstance(item, str))


def names_an_id(name: str) -> bool:
    return name in ("id", "ids") or name.endswith(("Id", "Ids"))
