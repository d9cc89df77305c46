"""Verifying the audit trail: the hash chain recomputed from the events as stored, every signed
checkpoint checked against it, and every break found, with its position and what kind it is."""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from psycopg import Connection
from psycopg.rows import tuple_row

from service.chain import GENESIS, ChainTable, link
from service.checkpoints import Checkpoint
from service.persistence import PolarityRecorder

BATCH = 2000
MOST_SUSPECTS = 1000  # altered events compared with each other to find reorderings


class Kind(enum.StrEnum):
    ALTERED = "altered"  # the event at this position is not the one chained there
    MISSING = "missing"  # an event was chained here and is gone
    INSERTED = "inserted"  # an event is here that was never chained
    REORDERED = "reordered"  # the event here was chained at another position
    TRUNCATED = "truncated"  # a checkpoint signed this position; the chain now ends before it
    REWRITTEN = "rewritten"  # the chain's link here is not the one a checkpoint signed
    SIGNATURE = "signature"  # a checkpoint whose signature fails: forged, or another key's


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
    head_hash: bytes = GENESIS  # the link at `through` (or before it, when nothing was new)
    checkpoints: int = 0  # how many checkpoints were checked

    @property
    def intact(self) -> bool:
        return not self.breaks

    @property
    def events_per_second(self) -> float:
        return self.verified / self.seconds if self.seconds > 0 else 0.0


Progress = Callable[[int], None]  # told the position reached, now and then


def verify(
    recorder: PolarityRecorder,
    start: int = 1,
    progress: Progress | None = None,
    *,
    key: Ed25519PublicKey | None = None,
    kept: Sequence[Checkpoint] = (),
    trusted: tuple[int | None, bytes] | None = None,
    every_checkpoint: bool = True,
) -> Verification:
    """Recompute the chain from position `start` on one consistent snapshot of the store,
    trusting the link before it (the stored one, or `trusted`: a position and hash verified
    earlier). With the service's public `key`, also check every stored checkpoint and the
    `kept` ones against the chain (or only the last stored one, unless `every_checkpoint`)."""
    began = time.perf_counter()
    with recorder.datastore.get_connection() as conn, conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        walk = _Walk(*(trusted or _link_before(conn, recorder.chain, start)))
        for n, (position, event, chained) in enumerate(_merged(conn, recorder.chain, start)):
            walk.step(position, event, chained)
            if progress and n % BATCH == 0:
                progress(position)
        checked: list[Checkpoint] = []
        if key is not None:
            table = recorder.chain.checkpoints
            select = table.select_all if every_checkpoint else table.select_last
            stored = conn.execute(select).fetchall()
            checked = [Checkpoint.from_row(row) for row in stored] + list(kept)
        found = [check(conn, recorder.chain, checkpoint, key) for checkpoint in checked if key]
    breaks = {*walk.breaks, *_reorderings(walk.suspects), *(b for b in found if b is not None)}
    return Verification(
        walk.verified,
        walk.through,
        sorted(breaks),
        time.perf_counter() - began,
        head_hash=walk.last_hash,
        checkpoints=len(checked),
    )


def check(
    conn: Connection[Any], chain: ChainTable, checkpoint: Checkpoint, key: Ed25519PublicKey
) -> Break | None:
    """The checkpoint's signature, and the chain's link at its position against the signed one.
    The links before it are proved by recomputing the chain (`verify`)."""
    if not checkpoint.signed_by(key):
        return Break(checkpoint.position, Kind.SIGNATURE)
    row = conn.execute(chain.select_link_at, (checkpoint.position,)).fetchone()
    if row is not None:
        same = bytes(row["hash"]) == checkpoint.hash
        return None if same else Break(checkpoint.position, Kind.REWRITTEN)
    head = conn.execute(chain.select_head).fetchone()
    if head is None or head["position"] < checkpoint.position:
        return Break(checkpoint.position, Kind.TRUNCATED)
    return Break(checkpoint.position, Kind.MISSING)


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
