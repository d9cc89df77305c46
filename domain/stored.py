"""How domain values are written as JSON and read back: one transcoder for events and views alike.

A stored value object is restored field by field without re-validation, so a stored fact always
loads even after a rule tightens."""

from __future__ import annotations

import dataclasses
import enum
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from datetime import date
from importlib import import_module
from typing import Any

import orjson
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Transcoding,
    UUIDAsHex,
)

import domain


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class EnumAsValue(Transcoding):
    """A domain enum, stored as its value under the enum's name."""

    def __init__(self, cls: type[enum.Enum]) -> None:
        self.type = cls
        self.name = cls.__name__

    def encode(self, obj: enum.Enum) -> Any:
        return obj.value

    def decode(self, data: Any) -> enum.Enum:
        member: enum.Enum = self.type(data)
        return member


class ValueObjectAsDict(Transcoding):
    """A frozen domain dataclass, stored field by field and restored without re-validation."""

    def __init__(self, cls: type[Any]) -> None:
        self.type = cls
        self.name = cls.__name__
        self.fields = tuple(field.name for field in dataclasses.fields(cls))

    def encode(self, obj: Any) -> dict[str, Any]:
        return {name: getattr(obj, name) for name in self.fields}

    def decode(self, data: dict[str, Any]) -> Any:
        obj: Any = object.__new__(self.type)
        for name in self.fields:
            value = data.get(name)
            object.__setattr__(obj, name, tuple(value) if isinstance(value, list) else value)
        return obj


def domain_value_types() -> Iterator[type[Any]]:
    """Every enum and value dataclass the domain declares."""
    for module_info in pkgutil.iter_modules(domain.__path__, "domain."):
        module = import_module(module_info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__:
                continue
            if issubclass(cls, enum.Enum) or dataclasses.is_dataclass(cls):
                yield cls


def register_domain_transcodings(transcoder: JSONTranscoder) -> None:
    transcoder.register(DateAsISO())
    for cls in domain_value_types():
        if issubclass(cls, enum.Enum):
            transcoder.register(EnumAsValue(cls))
        else:
            transcoder.register(ValueObjectAsDict(cls))


PLAIN = frozenset({str, int, float, bool, type(None)})  # what JSON writes as it is
JSON_NATIVE = (str, int, float, dict, list, tuple)  # json writes these, and their subclasses
OPTIONS = orjson.OPT_NON_STR_KEYS  # as json.dumps does, int keys are written as strings


Wrap = Callable[[Any], dict[str, Any]]


class OrjsonTranscoder(JSONTranscoder):
    """The library's JSON transcoder, writing the same JSON with orjson, several times faster.

    orjson would write uuids, enums and dataclasses in its own way, so each value the library
    hands to a transcoding is first replaced by the transcoding's `{"_type_", "_data_"}` object,
    as the library's encoder would; orjson writes the rest (`tests/domain/test_stored.py`). One
    difference: a float that is not finite is written as null, where json writes NaN; the domain
    stores amounts as decimals."""

    def __init__(self) -> None:
        super().__init__()
        self.wrappers: dict[type, Wrap] = {}  # type -> its {"_type_", "_data_"} object

    def register(self, transcoding: Transcoding) -> None:
        super().register(transcoding)
        if not issubclass(transcoding.type, JSON_NATIVE):  # json writes those itself
            self.wrappers[transcoding.type] = self._wrapper(transcoding)

    def encode(self, obj: Any) -> bytes:
        return orjson.dumps(self.stored(obj), option=OPTIONS)

    def stored(self, value: Any) -> Any:
        """`value` with every value json cannot write replaced by its transcoding's object."""
        kind = type(value)
        if kind is dict:
            return {k: v if type(v) in PLAIN else self.stored(v) for k, v in value.items()}
        if kind is list or kind is tuple:
            return [v if type(v) in PLAIN else self.stored(v) for v in value]
        wrap = self.wrappers.get(kind)
        if wrap is not None:
            return wrap(value)
        if isinstance(value, str | int | float) or kind in PLAIN:  # json writes subclasses too
            return value
        if isinstance(value, dict):
            return self.stored(dict(value))
        if isinstance(value, list | tuple):
            return self.stored(list(value))
        return self._encode_obj(value)  # raises, naming the type, as the library does

    def _wrapper(self, transcoding: Transcoding) -> Wrap:
        name, stored = transcoding.name, self.stored
        if isinstance(transcoding, ValueObjectAsDict):  # field by field, with no dict between
            fields = transcoding.fields

            def value_object(value: Any) -> dict[str, Any]:
                data = {}
                for field in fields:
                    item = getattr(value, field)
                    data[field] = item if type(item) in PLAIN else stored(item)
                return {"_type_": name, "_data_": data}

            return value_object
        encode = transcoding.encode

        def transcoded(value: Any) -> dict[str, Any]:
            data = encode(value)
            return {"_type_": name, "_data_": data if type(data) in PLAIN else stored(data)}

        return transcoded


def transcoder() -> JSONTranscoder:
    """The library's transcodings (UUID, Decimal, datetime) and the domain's own."""
    made = OrjsonTranscoder()
    for library_transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        made.register(library_transcoding)
    register_domain_transcodings(made)
    return made
