"""What watches the application work (metrics, logs, traces), without the application knowing
which: `Polarity.handle` runs each command inside its observer's `handling`, and tells it the
topics of the events each save stored."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager, ExitStack, nullcontext
from dataclasses import dataclass
from typing import Protocol

from domain.commands import Command


class Observer(Protocol):
    """`handling` encloses each command and sees the error it ends with, if any; `recorded`
    is told the topics of the events each save stored."""

    def handling(self, command: Command) -> AbstractContextManager[object]: ...

    def recorded(self, topics: Sequence[str]) -> None: ...


@dataclass(frozen=True)
class Observers:
    """Several observers as one; none by default."""

    each: tuple[Observer, ...] = ()

    def handling(self, command: Command) -> AbstractContextManager[object]:
        if not self.each:
            return nullcontext()
        with ExitStack() as stack:  # those entered are left again if one fails to enter
            for observer in self.each:
                stack.enter_context(observer.handling(command))
            return stack.pop_all()

    def recorded(self, topics: Sequence[str]) -> None:
        for observer in self.each:
            observer.recorded(topics)


UNOBSERVED = Observers()
