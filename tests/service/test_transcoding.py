"""The orjson transcoder writes exactly the JSON the library's transcoder writes, and reads
exactly the values the library's transcoder reads."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import JSONTranscoder, TranscodingNotRegisteredError

from benchmarks.filling import one_portfolio
from domain.values import Actor, Path, Period
from service.transcoding import (
    OrjsonTranscoder,
    library_transcoder,
    register_domain_transcodings,
    transcoder,
)


def read_alike(fast: JSONTranscoder, library: JSONTranscoder, data: bytes) -> None:
    """Both read `data` as the same values, of the same types (repr shows Decimal('1') vs 1)."""
    assert repr(fast.decode(data)) == repr(library.decode(data))


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
        read_alike(fast, library, library.encode(state))


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


@pytest.mark.parametrize(
    "value",
    [
        {"ratio": float("nan"), "limit": float("inf")},  # json writes NaN; orjson would null
        {"huge": 2**70, "negative": -(2**64) - 1},  # beyond 64 bits: orjson refuses them
        [1.5e300, -(2.0**64)],
    ],
    ids=["not finite", "beyond 64 bits", "large floats"],
)
def test_where_orjson_differs_from_json_it_writes_and_reads_as_the_library(value: object) -> None:
    fast, library = transcoder(), library_transcoder()

    assert fast.encode(value) == library.encode(value)
    read_alike(fast, library, library.encode(value))


@pytest.mark.parametrize(
    "data",
    [
        b'{"text": "\\ud800 a lone surrogate"}',
        b'[{"_type_": "Period", "_data_": {"year": 2027, "quarter": 1}}, {"_type_": 1}]',
        b'{"_type_": "Path", "_data_": "strategic", "more": true}',
        b'{"nested": [[{"_type_": "decimal_str", "_data_": "0.50"}]], "n": 18446744073709551615}',
        b'"just text"',
        b"12",
    ],
    ids=["lone surrogate", "typed in a list", "three keys", "nested", "a string", "a number"],
)
def test_it_reads_as_the_library_reads(data: bytes) -> None:
    read_alike(transcoder(), library_transcoder(), data)


def test_a_stored_name_without_a_transcoding_is_refused_as_the_library_refuses_it() -> None:
    data = b'{"colour": {"_type_": "Colour", "_data_": "red"}}'

    with pytest.raises(TranscodingNotRegisteredError, match="'Colour' is not deserializable"):
        transcoder().decode(data)
    with pytest.raises(TranscodingNotRegisteredError, match="'Colour' is not deserializable"):
        library_transcoder().decode(data)


def test_a_stored_value_that_breaks_a_rule_now_in_force_still_loads() -> None:
    data = b'{"_type_": "Period", "_data_": {"year": 1, "quarter": 9}}'  # no such quarter

    period = transcoder().decode(data)

    assert (period.year, period.quarter) == (1, 9)


def test_a_value_object_read_again_is_the_one_read_before_when_it_holds_nothing_mutable() -> None:
    fast = transcoder()
    actor = b'{"_type_":"Actor","_data_":{"id":"ana","roles":["gatekeeper"],"on_behalf_of":null}}'
    nested = (
        b'{"_type_":"Actor","_data_":{"id":"ana","roles":[{"_type_":"Actor","_data_":'
        b'{"id":"bo","roles":[],"on_behalf_of":null}}],"on_behalf_of":null}}'
    )

    first, again = fast.decode(b"[" + actor + b"]"), fast.decode(b"[" + actor + b"]")
    outer, outer_again = fast.decode(nested), fast.decode(nested)

    assert first[0] is again[0]  # decoded once: most events carry one of a few actors
    assert first[0] == Actor("ana", ("gatekeeper",))
    assert outer == outer_again
    assert outer is not outer_again  # it holds a value object: not shared
