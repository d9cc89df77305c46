"""The service's own watch on its audit trail: the events stored since it last looked verified
against the hash chain, the verified head signed at intervals, and the state that `/ready` and
`auditIntegrity` report.

One `Integrity` per process. Several processes (workers, the CLI) may sign at once: signing
takes a transaction-scoped advisory lock and re-reads the last checkpoint under it, so an
interval gets one checkpoint however many processes watch."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg

from service.audit import Break, head, verify
from service.chain import GENESIS
from service.checkpoints import Checkpoint, Signer
from service.persistence import PolarityRecorder

log = logging.getLogger("polarity.integrity")

SIGNING_LOCK = int.from_bytes(b"pcheckpt")  # the advisory lock's key while a checkpoint is signed


@dataclass(frozen=True)
class IntegrityState:
    """How far the chain is verified, where its head is, the last checkpoint, any break."""

    verified_through: int | None  # None: not verified yet
    head: int
    last_checkpoint: Checkpoint | None
    breaks: tuple[Break, ...]
    checked_at: datetime | None

    @property
    def state(self) -> str:
        if self.breaks:
            return "broken"
        return "unverified" if self.checked_at is None else "intact"

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "verifiedThrough": self.verified_through,
            "head": self.head,
            "lastCheckpoint": self.last_checkpoint.to_json() if self.last_checkpoint else None,
            "breaks": [{"position": b.position, "kind": str(b.kind)} for b in self.breaks],
            "checkedAt": self.checked_at.isoformat() if self.checked_at else None,
        }


class Integrity:
    """Verifies the chain incrementally: each call to `advance` reads only the events stored
    since the one before, chained from the hash it verified last (not the stored one)."""

    def __init__(self, recorder: PolarityRecorder, signer: Callable[[], Signer]) -> None:
        self._recorder = recorder
        self._signer = signer  # called when first needed: development may make a key
        self._lock = threading.Lock()
        self._through: int | None = None
        self._hash = GENESIS
        self._breaks: set[Break] = set()
        self._last: Checkpoint | None = None
        self._checked_at: datetime | None = None
        self._head = 0

    def state(self) -> IntegrityState:
        """What the last `advance` found; reads nothing."""
        with self._lock:
            return self._state()

    def advance(self) -> IntegrityState:
        """Verify the events stored since the last call, and the last checkpoint."""
        with self._lock:
            start = (self._through or 0) + 1
            trusted = (self._through, self._hash) if self._through is not None else None
            found = verify(
                self._recorder,
                start,
                key=self._signer().public,
                trusted=trusted,
                every_checkpoint=False,
            )
            if found.through is not None:
                self._through, self._hash = found.through, found.head_hash
            self._breaks.update(found.breaks)
            self._checked_at = datetime.now(UTC)
            with self._recorder.datastore.get_connection() as conn:
                self._last = _last_checkpoint(conn, self._recorder)
            self._head = max(head(self._recorder), self._through or 0)
            return self._state()

    def checkpoint(self, every: float | None = None) -> Checkpoint | None:
        """Verify what is new, then sign the verified head and store it; with `every`, only if
        the head moved since the last checkpoint and that is at least `every` seconds old.
        Nothing is signed over a broken chain, nor over an empty one."""
        state = self.advance()
        if state.breaks or not state.verified_through:
            return None
        with self._recorder.datastore.get_connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (SIGNING_LOCK,))
            last = _last_checkpoint(conn, self._recorder)
            if every is not None and last is not None:
                age = (datetime.now(UTC) - last.signed_at).total_seconds()
                if last.position >= state.verified_through or age < every:
                    return None
            with self._lock:
                if self._breaks:  # found since, by another thread
                    return None
                signed = self._signer().sign(self._through or 0, self._hash)
            table = self._recorder.chain.checkpoints
            conn.execute(table.insert, table.values(signed))
        with self._lock:
            self._last = signed
        log.info("signed checkpoint at position %s (key %s)", signed.position, signed.key_id)
        return signed

    def run(self, stop: threading.Event, every: float, checkpoint_every: float) -> None:
        """Verify every `every` seconds and sign every `checkpoint_every`, until `stop`."""
        while not stop.is_set():
            try:
                self.checkpoint(every=checkpoint_every)
            except psycopg.Error as error:  # an outage: try again next time
                log.warning("could not verify the audit trail: %s", error)
            stop.wait(every)

    def start(
        self, stop: threading.Event, every: float, checkpoint_every: float
    ) -> threading.Thread:
        thread = threading.Thread(
            target=self.run, args=(stop, every, checkpoint_every), name="integrity", daemon=True
        )
        thread.start()
        return thread

    def _state(self) -> IntegrityState:
        return IntegrityState(
            verified_through=self._through,
            head=self._head,
            last_checkpoint=self._last,
            breaks=tuple(sorted(self._breaks)),
            checked_at=self._checked_at,
        )


def _last_checkpoint(
    conn: psycopg.Connection[Any], recorder: PolarityRecorder
) -> Checkpoint | None:
    row = conn.execute(recorder.chain.checkpoints.select_last).fetchone()
    return Checkpoint.from_row(row) if row else None
