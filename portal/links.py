"""Addresses of the portal's pages, and the two forms of an object's id: the API's global id
(base64 of `Type:uuid`) and the plain uuid the portal puts in its addresses."""

from __future__ import annotations

from uuid import UUID

from service.ids import decode_id, encode_id

# The kind of work item, as the API names it (WorkKind), and the path of its page.
WORK_PATHS = {"INITIATIVE": "/initiatives", "IMPROVEMENT_ITEM": "/improvements"}
# The GraphQL type of each kind, whose global id the API takes.
WORK_TYPES = {"INITIATIVE": "Initiative", "IMPROVEMENT_ITEM": "ImprovementItem"}


def work_url(kind: str, uuid: str) -> str:
    """The page of one initiative or improvement item: /initiatives/{uuid}, /improvements/{uuid}."""
    return f"{WORK_PATHS[kind]}/{uuid}"


def plain_id(global_id: str) -> str:
    """The uuid inside one of the API's global ids."""
    return str(decode_id(global_id).uuid)


def global_id(type_name: str, uuid: str) -> str:
    """The API's global id of the object of `type_name` (Initiative, Team...) with `uuid`."""
    return encode_id(type_name, UUID(uuid))
