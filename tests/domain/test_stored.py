"""The orjson transcoder writes exactly the JSON the library's transcoder writes."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import JSONTranscoder, TranscodingNotRegisteredError

from benchmarks.filling import one_portfolio
from domain.stored import OrjsonTranscoder, register_domain_transcodings, transcoder
from domain.values import Path, Period


def library_transcoder() -> JSONTranscoder:
    """The same transcodings on the library's own JSONTranscoder."""
    made = JSONTranscoder()
    for transcoding in transcoder().types.values():
        made.register(transcoding)
    return made


class Label(str):
    """A subclass of str: json writes it as a plain string."""


def test_it_writes_the_same_bytes_as_the_library_for_every_stored_value_of_a_portfolio() -> None:
    fast, library = transcoder(), library_transcoder()
    portfolio = one_portfolio()
    states = [Snapshot.take(a).state for a in portfolio.aggregates.values()]
    states += [dict(vars(event)) for event in portfolio.pending]

    assert isinstance(fast, OrjsonTranscoder)
    assert len(states) > 100
    for state in states:
        assert fast.encode(state) == library.encode(state)
        assert fast.decode(fast.encode(state)) == library.decode(library.encode(state))


def test_it_writes_the_same_bytes_for_what_json_itself_handles() -> None:
    fast, library = transcoder(), library_transcoder()
    value = {
        "text": 'tabs\t, quotes " and ünïcode ✓ \x01',
        "label": Label("a str subclass"),
        "numbers": [0, -7, 2**40, 1.5, True, None],
        "nested": {"tuple": (1, ("a", Path.STRATEGIC)), "empty": {}, "list": []},
        "by_version": {2: "Classified", 10: "Reviewed"},
        "when": datetime(2027, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
        "day": date(2027, 1, 2),
        "money": Decimal("1500000.50"),
        "id": uuid4(),
        "period": Period(2027, 1),
    }

    assert fast.encode(value) == library.encode(value)


def test_a_type_without_a_transcoding_is_refused_as_the_library_refuses_it() -> None:
    class Colour(enum.Enum):  # not a domain type: nothing registered for it
        RED = "red"

    fast = OrjsonTranscoder()
    register_domain_transcodings(fast)

    with pytest.raises(TranscodingNotRegisteredError, match="Colour"):
        fast.encode({"colour": Colour.RED})


def test_it_reads_what_it_writes() -> None:
    fast = transcoder()
    state = {"id": uuid4(), "path": Path.OPERATIONAL, "fte": Decimal("0.5"), "periods": ()}

    assert fast.decode(fast.encode(state)) == {**state, "periods": []}
