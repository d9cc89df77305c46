"""Executing an operation with plain fields filled directly.

A page of 50 rows holds hundreds of fields that only read an attribute of their row's object
(strawberry's "basic" fields: no resolver, no permission, no field extension). graphql-core
gives each of them the full treatment: a resolve-info object, strawberry's default resolver,
two awaitable checks and the generic value completion. Here such a field whose type is a
scalar or an enum (or a list of them) is read with `getattr` and coerced by its type at once.

Every other field, and any plain field whose value does not coerce cleanly (a null in a
non-null field, a value its scalar refuses), goes through graphql-core's own path, so errors,
nulls, resolvers, permissions and middleware behave exactly as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple, cast

from graphql import (
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    is_leaf_type,
)
from graphql.execution.collect_fields import GroupedFieldSet
from graphql.pyutils import Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import CustomGraphQLEnumType, GraphQLCoreConverter


class _Refused(Exception):
    """A plain field's value that needs graphql-core's own path (to report its error)."""


class PlainLeaf(NamedTuple):
    """How to fill one plain field: the attribute, and how to coerce what it holds."""

    attribute: str
    read: Callable[[Any, str], Any]  # strawberry's default resolver (getattr)
    complete: Callable[[Any], Any]


def _leaf(leaf: GraphQLLeafType, nullable: bool) -> Callable[[Any], Any]:
    coerce = leaf.coerce_output_value
    if isinstance(leaf, CustomGraphQLEnumType):  # strawberry's looks each member up in turn
        coerce = _enum_names(leaf)

    def complete(value: Any) -> Any:
        if value is None:
            if nullable:
                return None
            raise _Refused
        coerced = coerce(value)
        if coerced is None or coerced is Undefined:
            raise _Refused
        return coerced

    return complete


def _enum_names(enum: CustomGraphQLEnumType) -> Callable[[Any], Any]:
    """An enum's coercion by a dict from member to name, strawberry's for anything else."""
    members: list[Any] = list(enum.wrapped_cls)
    names = {
        member: name
        for name, value in enum.values.items()
        for member in members
        if member.value == value.value
    }
    coerce = enum.coerce_output_value

    def coerce_member(value: Any) -> Any:
        try:
            return names[value]
        except (KeyError, TypeError):
            return coerce(value)

    return coerce_member


def _completion(type_: GraphQLOutputType) -> Callable[[Any], Any] | None:
    """How to complete a value of `type_` when it is a leaf or a list of leaves; else None."""
    nullable = not isinstance(type_, GraphQLNonNull)
    inner = type_ if nullable else type_.of_type  # type: ignore[union-attr]
    if is_leaf_type(inner):
        return _leaf(inner, nullable)
    if not isinstance(inner, GraphQLList):
        return None
    item = _completion(inner.of_type)
    if item is None:
        return None

    def complete_list(value: Any) -> Any:
        if value is None:
            if nullable:
                return None
            raise _Refused
        if not isinstance(value, list | tuple):
            raise _Refused
        return [item(element) for element in value]

    return complete_list


def plain_leaf(parent: GraphQLObjectType, name: str) -> PlainLeaf | None:
    """`parent.name` as a plain leaf field, if it is one."""
    field = parent.fields.get(name)
    if field is None or not getattr(field.resolve, "_is_default", False):
        return None
    definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if definition is None or not definition.is_basic_field:
        return None
    complete = _completion(field.type)
    if complete is None:
        return None
    return PlainLeaf(definition.python_name, definition.default_resolver, complete)


_PLAIN: dict[tuple[GraphQLObjectType, str], PlainLeaf | None] = {}


def _plain(parent: GraphQLObjectType, name: str) -> PlainLeaf | None:
    key = (parent, name)
    try:
        return _PLAIN[key]
    except KeyError:
        found = _PLAIN[key] = plain_leaf(parent, name)
        return found


class PlainFieldExecutor(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, filling plain leaf fields directly (see the module's doc)."""

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        manager = self.middleware_manager
        if manager is not None and manager.middlewares:  # resolvers are wrapped: none is plain
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        others: GroupedFieldSet = {}
        plain: dict[str, Any] = {}
        for response_name, details in grouped_field_set.items():
            found = _plain(parent_type, details[0].node.name.value)
            if found is not None:
                try:
                    plain[response_name] = found.complete(found.read(source_value, found.attribute))
                    continue
                except Exception:  # reported as graphql-core reports it, on its own path
                    pass
            others[response_name] = details
        if not others:
            return plain
        if not plain:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        done = super().execute_fields(parent_type, source_value, path, others, position_context)
        if self.is_awaitable(done):

            async def merged() -> dict[str, Any]:
                return _in_order(grouped_field_set, plain, await done)

            return merged()
        return _in_order(grouped_field_set, plain, cast("dict[str, Any]", done))


def _in_order(
    fields: GroupedFieldSet, plain: dict[str, Any], others: dict[str, Any]
) -> dict[str, Any]:
    """Both sets of answers, in the order the operation asked for the fields."""
    ordered = {}
    for name in fields:
        if name in plain:
            ordered[name] = plain[name]
        elif name in others:  # a field the type does not have is left out, as graphql-core does
            ordered[name] = others[name]
    return ordered
