"""The committed SDL is the contract: the code's schema may not drift from it unnoticed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from graphql import (
    GraphQLEnumType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLType,
    get_named_type,
)

from schema.build import build_schema
from service.settings import Settings

COMMITTED = Path(__file__).resolve().parents[2] / "schema" / "schema.graphql"


def test_the_schema_in_code_matches_the_committed_sdl() -> None:
    in_code = build_schema(Settings()).as_str().strip()

    assert in_code == COMMITTED.read_text().strip(), (
        "The GraphQL schema changed. If that is intended, run "
        "`.venv/bin/python -m schema > schema/schema.graphql` and commit the result."
    )


def test_every_mutation_takes_one_input_and_returns_a_payload_with_user_errors() -> None:
    schema = build_schema(Settings())._schema
    mutation = schema.mutation_type
    assert mutation is not None
    for name, field in mutation.fields.items():
        assert list(field.args) == ["input"], name
        payload = schema.get_type(str(field.type).rstrip("!"))
        assert payload is not None
        assert "userErrors" in payload.fields, name  # type: ignore[attr-defined]
        assert {"version", "position"} <= set(payload.fields), name  # type: ignore[attr-defined]


def graphql_schema() -> GraphQLSchema:
    return build_schema(Settings())._schema


def our_types(schema: GraphQLSchema) -> list[GraphQLNamedType]:
    return [t for name, t in sorted(schema.type_map.items()) if not name.startswith("__")]


def uuid_beside(id_name: str) -> str:
    """The UUID field beside an id field: id -> uuid, teamId -> teamUuid, objectiveIds ->
    objectiveUuids, escalatedTo -> escalatedToUuid."""
    for suffix, twin in (("Ids", "Uuids"), ("Id", "Uuid")):
        if id_name.endswith(suffix):
            return id_name.removesuffix(suffix) + twin
    return "uuid" if id_name == "id" else id_name + "Uuid"


def test_every_id_an_object_gives_has_its_uuid_beside_it() -> None:
    missing = []
    for type_ in our_types(graphql_schema()):
        if not isinstance(type_, GraphQLObjectType):
            continue
        for name, field in type_.fields.items():
            if get_named_type(field.type).name != "ID":
                continue
            twin = type_.fields.get(uuid_beside(name))
            if twin is None or get_named_type(twin.type).name != "UUID":
                missing.append(f"{type_.name}.{name}")

    assert missing == []


# Names that carry a value of a fixed set wherever they appear; text fields of the same name
# that are free text say why.
FIXED = {"kind", "path", "stage", "stages", "decisionType", "status", "level", "role", "roles",
         "actorRoles", "approverRoles", "gate", "nextGate", "outcome", "cadence", "subject",
         "subjectKind", "strength", "state", "lastReviewStatus", "lastReview", "scope"}  # fmt: skip
FREE_TEXT = {
    "Initiative.outcome": "what closing an initiative achieved, in the closer's words",
    "InitiativeCloseInput.outcome": "the same, as given",
    "AccessLogEntry.path": "the HTTP request's path, not a work item's",
}


def named(schema: GraphQLSchema) -> Iterator[tuple[str, str, GraphQLType]]:
    """(where, name, type) of every field, input field and argument of our types."""
    for type_ in our_types(schema):
        for name, field in getattr(type_, "fields", {}).items():
            yield f"{type_.name}.{name}", name, field.type
            for argument, value in getattr(field, "args", {}).items():
                yield f"{type_.name}.{name}({argument})", argument, value.type


def test_every_field_and_argument_of_a_fixed_set_of_values_is_an_enum() -> None:
    text = [
        where
        for where, name, of in named(graphql_schema())
        if name in FIXED and get_named_type(of).name == "String" and where not in FREE_TEXT
    ]

    assert text == []


def test_every_enum_value_is_upper_case() -> None:
    lower = [
        f"{type_.name}.{value}"
        for type_ in our_types(graphql_schema())
        if isinstance(type_, GraphQLEnumType)
        for value in type_.values
        if not re.fullmatch(r"[A-Z][A-Z0-9_]*", value)
    ]

    assert lower == []
