"""Ids over GraphQL. Every id argument and input field takes either form service.ids decodes:
a global id, which says the kind of object it names, or a bare UUID, whose kind is looked up in
the event store, so that an id of the wrong kind is treated alike in either form. Text that is
neither is refused with BAD_USER_INPUT, saying what an id looks like."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any
from uuid import UUID

import strawberry
from graphql import GraphQLError
from psycopg.sql import SQL, Identifier
from strawberry.types.base import StrawberryObjectDefinition, StrawberryOptional

from schema.context import RequestContext
from schema.errors import BAD_USER_INPUT
from schema.response_cache import FROM_PARENT
from service.application import kind_of_topic
from service.ids import InvalidId, ObjectId, a, decode_id, encode_id

# The type of every id argument and input field: GraphQL's ID, read with read_id.
AnyId = strawberry.ID

FIRST_EVENTS = (
    "SELECT originator_id, topic FROM {} WHERE originator_id = ANY(%s) AND originator_version = 1"
)


def read_id(text: str, field: str = "id") -> ObjectId:
    """The object `text` names; BAD_USER_INPUT if it is no id."""
    try:
        return decode_id(text)
    except InvalidId as error:
        raise GraphQLError(
            f"{field}: {error.message}", extensions={"code": BAD_USER_INPUT}
        ) from None


async def kinds_of(context: RequestContext, uuids: Collection[UUID]) -> dict[UUID, str]:
    """The kind of each object with one of these UUIDs (Initiative, GateReview …), read from
    its first event; an id nothing has is left out."""
    if not uuids:
        return {}
    store = context.app.store
    events = Identifier(store.datastore.schema or "public", store.events_table_name)
    async with context.pool.connection() as conn:
        cursor = await conn.execute(SQL(FIRST_EVENTS).format(events), (list(uuids),))
        rows = await cursor.fetchall()
    found = {row["originator_id"]: kind_of_topic(row["topic"]) for row in rows}
    return {uuid: kind for uuid, kind in found.items() if kind is not None}


async def known(context: RequestContext, text: str, field: str = "id") -> ObjectId:
    """The object `text` names with its kind: the one a global id says, or the one a bare UUID
    has in the store (none if nothing has it)."""
    found = read_id(text, field)
    if found.kind is not None:
        return found
    kinds = await kinds_of(context, [found.uuid])
    return ObjectId(found.uuid, kinds.get(found.uuid))


async def filter_uuid(
    context: RequestContext, text: str | None, *kinds: str, field: str
) -> UUID | None:
    """The UUID a filter's id names, refused (BAD_USER_INPUT) if it is of none of `kinds`."""
    if text is None:
        return None
    found = await known(context, text, field)
    if found.kind is not None and found.kind not in kinds:
        raise GraphQLError(
            f"{field} is the id of {a(found.kind)}, not of {' or '.join(map(a, kinds))}.",
            extensions={"code": BAD_USER_INPUT},
        )
    return found.uuid


async def name_kinds(context: RequestContext, input: object) -> None:
    """Rewrite each bare UUID in the id fields of a mutation's input (nested inputs too) as the
    global id of the object it names, so that the command's checks of kind see either form
    alike. A UUID nothing has is left as it is: the command says it was not found."""
    bare = list(_bare_ids(input))
    kinds = await kinds_of(context, {found.uuid for _, _, found in bare})
    for holder, name, found in bare:
        if found.uuid in kinds:
            setattr(holder, name, encode_id(kinds[found.uuid], found.uuid))


def _bare_ids(value: object) -> Iterator[tuple[object, str, ObjectId]]:
    """(input, field name, id) for each bare UUID in an id field of `value` and its inputs."""
    if not (fields := _input_fields(type(value))):
        return
    for name, is_id in fields:
        current: Any = getattr(value, name, None)
        if is_id and isinstance(current, str):
            try:
                found = decode_id(current)
            except InvalidId:
                continue  # refused when the command reads it
            if found.kind is None:
                yield value, name, found
        else:
            for item in current if isinstance(current, list) else [current]:
                yield from _bare_ids(item)


_FIELDS: dict[type, tuple[tuple[str, bool], ...]] = {}


def _input_fields(kind: type) -> tuple[tuple[str, bool], ...]:
    """An input type's fields, each with whether it is an id field; none for any other type.
    Found once per type: resolving a field's type is most of the cost of looking."""
    if (known := _FIELDS.get(kind)) is not None:
        return known
    definition = getattr(kind, "__strawberry_definition__", None)
    fields: tuple[tuple[str, bool], ...] = ()
    if isinstance(definition, StrawberryObjectDefinition) and definition.is_input:
        fields = tuple((field.python_name, _is_id(field.type)) for field in definition.fields)
    _FIELDS[kind] = fields
    return fields


def _is_id(type_: object) -> bool:
    if isinstance(type_, StrawberryOptional):
        type_ = type_.of_type
    return type_ is AnyId


def uuid_name(id_name: str) -> str:
    """The name of the UUID field beside an id field: id -> uuid, team_id -> team_uuid,
    objective_ids -> objective_uuids, redirected_to -> redirected_to_uuid."""
    if id_name == "id":
        return "uuid"
    for suffix in ("_id", "_ids"):
        if id_name.endswith(suffix):
            return id_name.removesuffix(suffix) + suffix.replace("id", "uuid")
    return id_name + "_uuid"


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def uuid_beside(id_name: str) -> Any:
    """A field with the UUID inside the global id in field `id_name` of the same object."""

    def resolve(root: Any) -> UUID:
        return UUID(getattr(root, id_name).node_id)

    return strawberry.field(
        resolver=resolve, description=f"The UUID `{_camel(id_name)}` names.", metadata=FROM_PARENT
    )


def optional_uuid_beside(id_name: str) -> Any:
    """As uuid_beside, for an id that may be null."""

    def resolve(root: Any) -> UUID | None:
        found = getattr(root, id_name)
        return None if found is None else UUID(found.node_id)

    return strawberry.field(
        resolver=resolve, description=f"The UUID `{_camel(id_name)}` names.", metadata=FROM_PARENT
    )


def uuids_beside(id_name: str) -> Any:
    """As uuid_beside, for a list of ids."""

    def resolve(root: Any) -> list[UUID]:
        return [UUID(found.node_id) for found in getattr(root, id_name)]

    return strawberry.field(
        resolver=resolve, description=f"The UUIDs `{_camel(id_name)}` name.", metadata=FROM_PARENT
    )


async def id_forms(context: RequestContext, text: str) -> list[str]:
    """`text` and, if it is an id, every other form of it: its UUID and its global id, so that a
    search of what requests named finds them in either form."""
    try:
        found = await known(context, text)
    except GraphQLError:
        return [text]  # not an id: searched for as it is
    forms = [text, str(found.uuid)]
    if found.kind is not None:
        forms.append(encode_id(found.kind, found.uuid))
    return list(dict.fromkeys(forms))
