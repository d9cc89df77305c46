"""An object's id in either of its two forms: the API's global id (base64 of `Type:uuid`, which
says what kind of object it names) or the bare UUID the views, exports and feeds show. Every
reader of an id, the API's and the CLI's, decodes it here."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from uuid import UUID

EXAMPLE_UUID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"


class InvalidId(ValueError):
    """Text that is neither a global id nor a UUID; the message says what an id looks like."""

    def __init__(self, text: str) -> None:
        shown = text if len(text) <= 60 else text[:59] + "…"
        self.message = (
            f"{shown!r} is not an id: give the global id the API returns (like "
            f"{encode_id('Initiative', UUID(EXAMPLE_UUID))}) or the object's UUID (like "
            f"{EXAMPLE_UUID})."
        )
        super().__init__(self.message)


@dataclass(frozen=True)
class ObjectId:
    """The object an id names: its UUID, and its kind when the id says it (a global id does,
    a bare UUID does not)."""

    uuid: UUID
    kind: str | None = None

    def __str__(self) -> str:
        return str(self.uuid) if self.kind is None else encode_id(self.kind, self.uuid)


def a(kind: str) -> str:
    """The kind with its article, for messages: an Initiative, a Team."""
    return f"{'an' if kind[:1] in 'AEIOU' else 'a'} {kind}"


def encode_id(kind: str, uuid: UUID) -> str:
    """The global id of the object of `kind` (Initiative, Team …) with `uuid`."""
    return base64.b64encode(f"{kind}:{uuid}".encode()).decode("ascii")


def decode_id(text: str) -> ObjectId:
    """The object `text` names, as a global id or a bare UUID; InvalidId if it is neither."""
    try:
        return ObjectId(UUID(text))
    except ValueError:
        pass
    try:
        kind, _, node = base64.b64decode(text, validate=True).decode().partition(":")
        if kind.isidentifier():
            return ObjectId(UUID(node), kind)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise InvalidId(text)
