"""The cyclic garbage collector, paused while a batch is applied.

A batch allocates hundreds of thousands of short-lived objects (decoded events, rows), so the
collector runs often, and each full collection walks every row the runner holds in memory: over
a fifth of a 200,000-event catch-up went to it (benchmarks/README.md). What a batch allocates
holds no reference cycles, so reference counting frees it all the same; the collector resumes
when the last batch running in the process ends.

What the batches left alive (mostly rows the runner keeps) is then moved to the oldest
generation without being walked (`gc.freeze` and `gc.unfreeze`): otherwise the first young
collection after a batch walks all of it, to free nothing. The next full collection still
looks at it, as at any long-lived object."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_pausing = 0  # batches running with the collector paused
_was_enabled = False  # whether it ran before the first of them paused it


@contextmanager
def collector_paused() -> Iterator[None]:
    global _pausing, _was_enabled
    with _lock:
        if _pausing == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pausing += 1
    try:
        yield
    finally:
        with _lock:
            _pausing -= 1
            if _pausing == 0 and _was_enabled:
                gc.freeze()  # what the batches left alive goes to the oldest generation,
                gc.unfreeze()  # untraversed: the young ones are empty again
                gc.enable()
