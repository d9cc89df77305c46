"""The application's clock: when each event happens and is recorded. Real time, unless the
service runs a block of work on another clock (only the demo does, on an empty store)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from eventsourcing.domain import datetime_now_with_tzinfo

Clock = Callable[[], datetime]

# A context variable, so that a clock set in one thread or task is never seen by another.
_current: ContextVar[Clock] = ContextVar("clock", default=datetime_now_with_tzinfo)


def now() -> datetime:
    """The time to record: real time, or that of the clock this context runs on."""
    return _current.get()()


@contextmanager
def running_on(clock: Clock) -> Iterator[None]:
    """Take the time from `clock` in this context until the block ends."""
    token = _current.set(clock)
    try:
        yield
    finally:
        _current.reset(token)
