"""What an operation costs before it runs: every field counts one, and a list multiplies what is
selected inside it by its size (its `first`, or UNBOUNDED_LIST for a list without one). An
operation over MAX_COST is refused, whatever its depth or aliases."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
    is_list_type,
)
from strawberry.extensions import SchemaExtension

MAX_COST = 10_000
UNBOUNDED_LIST = 20  # the size assumed of a list that takes no `first`
PAGED_ITEMS = frozenset({"edges", "nodes"})  # a connection's items: counted by its `first`


class QueryCost(SchemaExtension):
    """Refuses an operation that would cost more than MAX_COST, before it runs."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if context.result is None and document is not None:
            operation = get_operation_ast(document, context.operation_name)
            schema = context.schema._schema
            root = schema.get_root_type(operation.operation) if operation else None
            if operation is not None and root is not None:
                fragments = {
                    d.name.value: d
                    for d in document.definitions
                    if isinstance(d, FragmentDefinitionNode)
                }
                walk = Costing(schema, fragments, context.variables or {})
                cost = walk.selections(root, operation.selection_set)
                if cost > MAX_COST:
                    context.result = ExecutionResult(data=None, errors=[too_costly(cost)])
        yield


def too_costly(cost: int) -> GraphQLError:
    return GraphQLError(
        f"This operation would cost {cost:,}, more than the {MAX_COST:,} allowed: ask for "
        "smaller pages (first), fewer fields or fewer aliases.",
        extensions={"code": "MAX_COST_EXCEEDED", "cost": cost, "maxCost": MAX_COST},
    )


class Costing:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def selections(self, parent: GraphQLNamedType, selection_set: SelectionSetNode) -> int:
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(parent, selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selections(inner or parent, selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    inner = self.schema.get_type(fragment.type_condition.name.value)
                    total += self.selections(inner or parent, fragment.selection_set)
        return total

    def field(self, parent: GraphQLNamedType, node: FieldNode) -> int:
        fields: dict[str, GraphQLField] = getattr(parent, "fields", {})
        definition = fields.get(node.name.value)
        if definition is None or node.selection_set is None or node.name.value.startswith("__"):
            return 1  # a leaf, or introspection (bounded by the schema's own size)
        inner = self.selections(get_named_type(definition.type), node.selection_set)
        return 1 + self.size(definition, node) * inner

    def size(self, definition: GraphQLField, node: FieldNode) -> int:
        if "first" in definition.args:
            return max(1, self.first(definition, node))
        if node.name.value in PAGED_ITEMS or not is_list_type(get_nullable_type(definition.type)):
            return 1
        return UNBOUNDED_LIST

    def first(self, definition: GraphQLField, node: FieldNode) -> int:
        given = next((a.value for a in node.arguments or () if a.name.value == "first"), None)
        if isinstance(given, IntValueNode):
            return int(given.value)
        if isinstance(given, VariableNode):
            value = self.variables.get(given.name.value)
            return value if isinstance(value, int) else 1
        default = definition.args["first"].default_value
        return default if isinstance(default, int) else UNBOUNDED_LIST
