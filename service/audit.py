"""Verifying the audit trail: the hash chain recomputed from the events as stored, and every
break in it found, with its position and what kind of break it is."""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from psycopg import Connection
from psycopg.rows import tuple_row

from service.chain import GENESIS, ChainTable, link
from service.persistence import PolarityRecorder

BATCH = 2000
MOST_SUSPECTS = 1000  # altered events compared with each other to find reorderings


class Kind(enum.StrEnum):
    ALTERED = "altered"  # the event at this position is not the one chained there
    MISSING = "missing"  # an event was chained here and is gone
    INSERTED = "inserted"  # an event is here that was never chained
    REORDERED = "reordered"  # the event here was chained at another position


@dataclass(frozen=True, order=True)
class Break:
    position: int
    kind: Kind


@dataclass(frozen=True)
class Verification:
    """What `verify` found: how many events it recomputed, up to which position, the breaks."""

    verified: int
    through: int | None
    breaks: list[Break]
    seconds: float

    @property
    def intact(self) -> bool:
        return not self.breaks

    @property
    def events_per_second(self) -> float:
        return self.verified / self.seconds if self.seconds > 0 else 0.0


Progress = Callable[[int], None]  # told the position reached, now and then


def verify(
    recorder: PolarityRecorder, start: int = 1, progress: Progress | None = None
) -> Verification:
    """Recompute the chain from position `start` (trusting the link before it) on one
    consistent snapshot of the store."""
    began = time.perf_counter()
    with recorder.datastore.get_connection() as conn, conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        walk = _Walk(*_link_before(conn, recorder.chain, start))
        for n, (position, event, chained) in enumerate(_merged(conn, recorder.chain, start)):
            walk.step(position, event, chained)
            if progress and n % BATCH == 0:
                progress(position)
    breaks = sorted(walk.breaks + _reorderings(walk.suspects))
    return Verification(walk.verified, walk.through, breaks, time.perf_counter() - began)


def head(recorder: PolarityRecorder) -> int:
    """The highest position stored, 0 if none: how far a verification will go."""
    return recorder.max_notification_id() or 0


# Walking the events and the links side by side ------------------------------------------------

Event = tuple[Any, int, str, bytes]  # aggregate id, version, topic, state
Link = tuple[int | None, bytes]  # previous position, hash


@dataclass(frozen=True)
class _Suspect:
    position: int
    event: Event
    previous_hash: bytes
    chained_hash: bytes

    def fits_at(self, other: _Suspect) -> bool:
        return link(other.previous_hash, other.position, *self.event) == other.chained_hash


@dataclass
class _Walk:
    last_position: int | None
    last_hash: bytes
    verified: int = 0
    through: int | None = None
    breaks: list[Break] = field(default_factory=list)
    suspects: list[_Suspect] = field(default_factory=list)

    def step(self, position: int, event: Event | None, chained: Link | None) -> None:
        self.through = position
        if event is not None:
            self.verified += 1
        if chained is None:
            self.breaks.append(Break(position, Kind.INSERTED))
            return
        previous_position, chained_hash = chained
        if previous_position != self.last_position:
            self.breaks.append(self._broken_link(position, previous_position))
        elif event is None:
            self.breaks.append(Break(position, Kind.MISSING))
        elif link(self.last_hash, position, *event) != chained_hash:
            self.suspects.append(_Suspect(position, event, self.last_hash, chained_hash))
        self.last_position, self.last_hash = position, chained_hash

    def _broken_link(self, position: int, previous_position: int | None) -> Break:
        """A link that does not name the link before it: links after that one were deleted
        (the last of them at `previous_position`), or this link was forged."""
        after_last = self.last_position is None or (previous_position or 0) > self.last_position
        if previous_position is not None and after_last:
            return Break(previous_position, Kind.MISSING)
        return Break(position, Kind.INSERTED)


def _reorderings(suspects: list[_Suspect]) -> list[Break]:
    """Each altered event is reordered if it fits the link at another altered position."""
    compared = suspects[:MOST_SUSPECTS]
    moved = {s.position for s in compared if any(s.fits_at(o) for o in compared if o is not s)}
    return [
        Break(s.position, Kind.REORDERED if s.position in moved else Kind.ALTERED) for s in suspects
    ]


def _link_before(conn: Connection[Any], chain: ChainTable, start: int) -> tuple[int | None, bytes]:
    row = conn.execute(chain.select_link_before, (start,)).fetchone()
    return (row["position"], bytes(row["hash"])) if row else (None, GENESIS)


def _merged(
    conn: Connection[Any], chain: ChainTable, start: int
) -> Iterator[tuple[int, Event | None, Link | None]]:
    """Events and links in position order, paired by position; either may be absent."""
    with (
        conn.cursor(name="audit_events", row_factory=tuple_row) as events,
        conn.cursor(name="audit_links", row_factory=tuple_row) as links,
    ):
        events.itersize = links.itersize = BATCH
        events.execute(chain.select_events, (start,))
        links.execute(chain.select_links, (start,))
        event_rows, link_rows = iter(events), iter(links)
        event, chained = next(event_rows, None), next(link_rows, None)
        while event is not None and chained is not None:
            if event[0] == chained[0]:
                yield event[0], event[1:], chained[1:]
                event, chained = next(event_rows, None), next(link_rows, None)
            elif event[0] < chained[0]:
                yield event[0], event[1:], None
                event = next(event_rows, None)
            else:
                yield chained[0], None, chained[1:]
                chained = next(link_rows, None)
        if event is not None:  # the links ended first
            yield event[0], event[1:], None
            for row in event_rows:
                yield row[0], row[1:], None
        if chained is not None:  # the events ended first
            yield chained[0], None, chained[1:]
            for row in link_rows:
                yield row[0], None, row[1:]
