"""Paging: the bound on a page, and the opaque cursors lists give out (positions in the store)."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from graphql import GraphQLError
from strawberry.types import Info
from strawberry.types.nodes import SelectedField, Selection

MAX_PAGE = 100
MAX_CURSOR = 200  # characters: every cursor given out is far shorter
_POSITION = re.compile(r"[0-9]{1,18}")  # a store position fits PostgreSQL's bigint
LAST = (
    "Page backward: the `last` items just before the cursor `before` (or at the end of the "
    "list), in the list's order; `first` is then ignored."
)


class Window(NamedTuple):
    """Which page of a list: the `first` after `after`, or the `last` before `before`."""

    first: int
    after: str | None = None
    last: int | None = None
    before: str | None = None

    @property
    def backward(self) -> bool:
        return self.last is not None


def encode_cursor(value: object, kind: str = "position") -> str:
    return base64.urlsafe_b64encode(f"{kind}:{value}".encode()).decode()


def decode_cursor(cursor: str, kind: str = "position") -> str:
    """The value inside a cursor of this kind; anything else is refused."""
    try:
        if len(cursor) > MAX_CURSOR:
            raise ValueError
        found, _, value = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if found != kind:
            raise ValueError
    except ValueError:
        raise not_a_cursor(cursor) from None
    return value


def decode_position(cursor: str) -> int:
    """The store position inside a cursor that a list of objects gave out."""
    return position_of(decode_cursor(cursor), cursor)


def position_of(text: str, cursor: str) -> int:
    if not _POSITION.fullmatch(text):
        raise not_a_cursor(cursor)
    return int(text)


def not_a_cursor(cursor: str) -> GraphQLError:
    shown = cursor if len(cursor) <= 40 else cursor[:40] + "…"
    return GraphQLError(
        f"{shown!r} is not a cursor this list gave out.", extensions={"code": "BAD_USER_INPUT"}
    )


def check_first(first: int) -> None:
    if not 1 <= first <= MAX_PAGE:
        raise GraphQLError(
            f"first must be between 1 and {MAX_PAGE}, not {first}.",
            extensions={"code": "BAD_USER_INPUT"},
        )


def page_size(window: Window) -> int:
    """How many items the page holds: `last` when paging back, else `first`. Paging both ways
    at once, or `before` without `last`, is refused."""
    if window.last is None:
        if window.before is not None:
            raise bad_input("before pages backward: give last (how many) with it.")
        check_first(window.first)
        return window.first
    if window.after is not None:
        raise bad_input("Page forward with first and after, or back with last and before.")
    if not 1 <= window.last <= MAX_PAGE:
        raise bad_input(f"last must be between 1 and {MAX_PAGE}, not {window.last}.")
    return window.last


def bad_input(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT"})


def asks_for(info: Info[Any, Any], *path: str) -> bool:
    """Whether the operation asks for the field at `path` (GraphQL names) below what the
    resolver returns, directly or in fragments: a list counts its rows only when asked for
    totalCount, a history page works out changes only when asked for them."""
    return any(_selects(field.selections, path) for field in info.selected_fields)


def _selects(selections: Iterable[Selection], path: Sequence[str]) -> bool:
    name, *rest = path
    for selection in selections:
        if not isinstance(selection, SelectedField):  # a fragment
            if _selects(selection.selections, path):
                return True
        elif selection.name == name and (not rest or _selects(selection.selections, rest)):
            return True
    return False
