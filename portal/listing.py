"""What the portal's long lists share: addresses that keep a list's filters and order in their
query parameters, links to the previous and next pages from the API's own cursors, and the
checks that turn a bad parameter into a sentence instead of an error."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

PAGE_SIZE = 25
MOST_CHARACTERS = 200  # of a name the reader types: as the API's own limit on names
_CURSOR = re.compile(r"[A-Za-z0-9_=-]{1,200}")  # base64 of a cursor, or a store position


@dataclass(frozen=True)
class Address:
    """A list's page with its parameters; `to` gives the same list with some changed."""

    path: str
    params: Mapping[str, str]

    def to(self, **changes: str | None) -> str:
        """This list's address with `changes` (None removes a parameter)."""
        merged = {**self.params, **changes}
        given = {name: value for name, value in merged.items() if value}
        return f"{self.path}?{urlencode(given)}" if given else self.path


@dataclass(frozen=True)
class Pager:
    """Links to the pages around this one: None where there is none."""

    first: str | None
    previous: str | None
    next: str | None


def pager(address: Address, info: Mapping[str, Any], paged: bool) -> Pager:
    """The links a connection's pageInfo allows; `paged` says whether a cursor was followed
    (only then is there a first page to go back to)."""
    previous = info["hasPreviousPage"] and info["startCursor"]
    following = info["hasNextPage"] and info["endCursor"]
    return Pager(
        first=address.to() if paged else None,
        previous=address.to(before=info["startCursor"]) if previous else None,
        next=address.to(after=info["endCursor"]) if following else None,
    )


@dataclass
class Checked:
    """The parameters of a list as checked so far, and what was wrong with the others."""

    problems: list[str] = field(default_factory=list)

    def name(self, label: str, given: str | None) -> str | None:
        """A name the reader chose or typed (an org unit, a person): trimmed, not too long."""
        value = (given or "").strip()
        if len(value) > MOST_CHARACTERS:
            self.problems.append(f"{label} is longer than {MOST_CHARACTERS} characters.")
            return None
        return value or None

    def one_of(self, label: str, given: str | None, allowed: Mapping[str, Any]) -> str | None:
        """One of the `allowed` keys, or None if none was given or it is not one of them."""
        if not given:
            return None
        if given not in allowed:
            self.problems.append(f"{label} cannot be {given[:40]!r}; choose one from the list.")
            return None
        return given

    def uuid(self, label: str, given: str | None) -> str | None:
        if not given:
            return None
        try:
            return str(UUID(given))
        except ValueError:
            self.problems.append(f"{label} {given[:40]!r} is not the id of one.")
            return None

    def cursors(self, after: str | None, before: str | None) -> tuple[str | None, str | None]:
        """A cursor to page from: at most one of the two, each as the API gives them out."""
        if after and before:
            self.problems.append("A page follows one cursor: showing the first page.")
            return None, None
        for given in (after, before):
            if given and not _CURSOR.fullmatch(given):
                self.problems.append("That page link is broken: showing the first page.")
                return None, None
        return after or None, before or None
