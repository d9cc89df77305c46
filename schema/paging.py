"""Paging: the bound on a page, and the opaque cursors lists give out (positions in the store)."""

from __future__ import annotations

import base64

from graphql import GraphQLError

MAX_PAGE = 100


def encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"position:{position}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        kind, _, value = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if kind != "position":
            raise ValueError
        return int(value)
    except ValueError:
        raise GraphQLError(
            f"{cursor!r} is not a cursor this list gave out.",
            extensions={"code": "BAD_USER_INPUT"},
        ) from None


def check_first(first: int) -> None:
    if not 1 <= first <= MAX_PAGE:
        raise GraphQLError(
            f"first must be between 1 and {MAX_PAGE}, not {first}.",
            extensions={"code": "BAD_USER_INPUT"},
        )
