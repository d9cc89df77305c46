"""What a work item's page is asked to show: the item now, or as it was at a moment or a version
(its "view as of" form), and which page of its timeline. Every value comes from the address, so
each is checked here and a bad one is said in words, never passed on to fail later."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

PAGE = 25  # events per page of the timeline
MOST_VERSION = 10**9


class BadRequest(ValueError):
    """A value of the address the page cannot use: the message says which and why."""


@dataclass(frozen=True)
class AsOf:
    """The point a past view shows: a moment, or a version (never both); neither is now."""

    moment: datetime | None = None
    version: int | None = None

    @property
    def is_past(self) -> bool:
        return self.moment is not None or self.version is not None

    def variables(self) -> dict[str, object]:
        return {"asOf": self.moment.isoformat() if self.moment else None, "version": self.version}

    def query(self) -> dict[str, str]:
        """This point as the address's query parameters."""
        if self.moment is not None:
            return {"as_of": field_value(self.moment)}
        return {"version": str(self.version)} if self.version is not None else {}


def field_value(moment: datetime) -> str:
    """A moment as a datetime-local field holds it, in UTC: 2026-01-02T14:00:00."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")


def parse_as_of(as_of: str | None, version: str | None) -> AsOf:
    """The point asked for; BadRequest says what is wrong with it."""
    moment_text, version_text = (as_of or "").strip(), (version or "").strip()
    if moment_text and version_text:
        raise BadRequest("Give a moment or a version to view the item as of, not both.")
    if version_text:
        return AsOf(version=whole_number(version_text, "version"))
    if moment_text:
        return AsOf(moment=parse_moment(moment_text))
    return AsOf()


def whole_number(text: str, what: str) -> int:
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MOST_VERSION:
        raise BadRequest(f"The {what} must be a whole number of 1 or more, not “{text[:40]}”.")
    return int(text)


def parse_moment(text: str) -> datetime:
    """A date and time as ISO 8601 (a space may stand for the T); without an offset it is UTC."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadRequest(
            f"“{text[:40]}” is not a date and time: write it as 2026-01-02T14:00 (UTC), "
            "or with an offset, as 2026-01-02T14:00+01:00."
        ) from None
    if not 1900 <= moment.year <= 2999:
        raise BadRequest(
            f"{moment.year} is not a year Polarity records: give one from 1900 to 2999."
        )
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def page_start(start: str | None, point: AsOf) -> int | None:
    """The version the timeline's page starts at: asked for, or the page holding the version a
    past view shows; None when only the read can tell (a moment: its version is not known yet)."""
    if start and start.strip():
        return whole_number(start.strip(), "first event of the page")
    if point.version is not None:
        return holding(point.version)
    return None if point.moment is not None else 1


def holding(version: int) -> int:
    """The first version of the timeline's page that holds `version`."""
    return (version - 1) // PAGE * PAGE + 1


def address(path: str, point: AsOf, start: int | None = None, anchor: str = "") -> str:
    """The page at `path` showing `point`, its timeline from `start`."""
    query = point.query() | ({"from": str(start)} if start and start > 1 else {})
    return path + (f"?{urlencode(query)}" if query else "") + (f"#{anchor}" if anchor else "")
