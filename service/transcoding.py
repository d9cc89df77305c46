"""How domain values are written as JSON and read back: one transcoder for events and views alike.

Storage, not the domain: the domain declares its enums and value objects, and this finds them.

A stored value object is restored field by field without re-validation, so a stored fact always
loads even after a rule tightens."""

from __future__ import annotations

import dataclasses
import enum
import inspect
import math
import pkgutil
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from importlib import import_module
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Transcoding,
    TranscodingNotRegisteredError,
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


class Members(dict[Any, enum.Enum]):
    """An enum's members by value: a lookup, not a call; a value that is none of them gets what
    the enum itself does with it (its error)."""

    def __init__(self, cls: type[enum.Enum]) -> None:
        super().__init__((member.value, member) for member in cls)
        self.type = cls

    def __missing__(self, value: Any) -> enum.Enum:
        return self.type(value)


class EnumAsValue(Transcoding):
    """A domain enum, stored as its value under the enum's name."""

    def __init__(self, cls: type[enum.Enum]) -> None:
        self.type = cls
        self.name = cls.__name__
        self.members = Members(cls)

    def encode(self, obj: enum.Enum) -> Any:
        return obj.value

    def decode(self, data: Any) -> enum.Enum:
        return self.members[data]


class ValueObjectAsDict(Transcoding):
    """A frozen domain dataclass, stored field by field and restored without re-validation."""

    def __init__(self, cls: type[Any]) -> None:
        self.type = cls
        self.name = cls.__name__
        self.fields = tuple(field.name for field in dataclasses.fields(cls))
        if "__slots__" in vars(cls):
            raise TypeError(f"{cls.__name__} has slots: a stored value object keeps a __dict__")

    def encode(self, obj: Any) -> dict[str, Any]:
        return {name: getattr(obj, name) for name in self.fields}

    def decode(self, data: dict[str, Any]) -> Any:
        obj: Any = object.__new__(self.type)
        fields = vars(obj)  # where a frozen dataclass keeps its fields: set here, unchecked
        for name in self.fields:
            value = data.get(name)
            fields[name] = tuple(value) if type(value) is list else value  # JSON gives lists
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


PLAIN = frozenset({str, int, bool, type(None)})  # what orjson writes as json does
JSON_NATIVE = (str, int, float, dict, list, tuple)  # json writes these, and their subclasses
OPTIONS = orjson.OPT_NON_STR_KEYS  # as json.dumps does, int keys are written as strings
# orjson reads an integer beyond 64 bits as a float: a float this large may have been one.
FLOAT_MAY_BE_INT = float(2**63)


Wrap = Callable[[Any], dict[str, Any]]


class NotForOrjson(Exception):
    """A value orjson would write or read differently from json: the library's transcoder does."""


class OrjsonTranscoder(JSONTranscoder):
    """The library's JSON transcoder, reading and writing the same JSON with orjson, faster.

    Writing: orjson would write uuids, enums and dataclasses in its own way, so each value the
    library hands to a transcoding is first replaced by the transcoding's `{"_type_", "_data_"}`
    object, as the library's encoder would; orjson writes the rest.

    Reading: orjson parses, then one walk replaces each `{"_type_", "_data_"}` object by what
    its transcoding decodes from its data, the data's own such objects first, as the library's
    decoder does object by object.

    Where orjson would differ from json (a float that is not finite, an integer beyond 64 bits,
    a lone surrogate) the library's own encoder or decoder does the whole value, so the bytes
    written and the values read are always the library's (`tests/service/test_transcoding.py`)."""

    def __init__(self) -> None:
        super().__init__()
        self.wrappers: dict[type, Wrap] = {}  # type -> its {"_type_", "_data_"} object
        self.restored = _restorer(self.names)

    def register(self, transcoding: Transcoding) -> None:
        super().register(transcoding)
        if not issubclass(transcoding.type, JSON_NATIVE):  # json writes those itself
            self.wrappers[transcoding.type] = self._wrapper(transcoding)

    def encode(self, obj: Any) -> bytes:
        try:
            return orjson.dumps(self.stored(obj), option=OPTIONS)
        except (NotForOrjson, orjson.JSONEncodeError):  # NaN, or an integer beyond 64 bits
            return super().encode(obj)

    def decode(self, data: bytes) -> Any:
        try:
            parsed = orjson.loads(data)
        except orjson.JSONDecodeError:  # NaN, Infinity, a lone surrogate: json reads them
            return super().decode(data)
        if type(parsed) is dict or type(parsed) is list:
            try:
                return self.restored(parsed)
            except NotForOrjson:
                return super().decode(data)
        return parsed

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
        if kind is float:
            if not math.isfinite(value):  # json writes NaN and Infinity, orjson null
                raise NotForOrjson(value)
            return value
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


def _restorer(names: dict[str, Transcoding]) -> Callable[[Any], Any]:
    """The walk that turns parsed JSON into values: each `{"_type_", "_data_"}` object decoded by
    the transcoding `names` gives, its data first; lists and dicts are changed in place.

    Most such objects hold a string (a uuid, a datetime, an enum's value, a decimal): those are
    decoded where they are met, without a call of the walk for each; an empty list is left as
    it is. A stored event holds a dozen of them, and the walk is most of decoding one."""
    decoders = Decoders(names)
    shared = SharedValues(names)

    def transcoded(value: dict[str, Any]) -> Any:
        data = value["_data_"]
        kind = type(data)
        if kind is dict:
            name = value["_type_"]
            if shared.kinds[name]:  # a value object: the same data, the same value
                key = (name, orjson.dumps(data))
                found = shared.get(key)
                if found is None:
                    found = shared.keep(key, decoders[name](restored(data)))
                return found
            return decoders[name](restored(data))
        if kind is list:
            data = restored(data)
        elif kind is float and not -FLOAT_MAY_BE_INT < data < FLOAT_MAY_BE_INT:
            raise NotForOrjson(data)
        return decoders[value["_type_"]](data)

    def restored(value: Any) -> Any:
        if type(value) is dict:
            if len(value) == 2 and "_type_" in value and "_data_" in value:
                return transcoded(value)
            items: Iterable[tuple[Any, Any]] = value.items()
        else:
            items = enumerate(value)
        for key, item in items:  # setting a key or index that is there: safe while iterating
            kind = type(item)
            if kind is dict:
                if len(item) == 2 and "_type_" in item and "_data_" in item:
                    data = item["_data_"]
                    if type(data) is str:
                        value[key] = decoders[item["_type_"]](data)
                    else:
                        value[key] = transcoded(item)
                else:
                    value[key] = restored(item)
            elif kind is list:
                if item:
                    value[key] = restored(item)
            elif kind is float and not -FLOAT_MAY_BE_INT < item < FLOAT_MAY_BE_INT:
                raise NotForOrjson(item)
        return value

    return restored


# Immutable values a shared value object may hold (and tuples of them): sharing it is safe.
IMMUTABLE = frozenset({str, int, float, bool, type(None), Decimal, datetime, date, UUID})
SHARED_VALUES = 4096  # value objects kept for reuse (actors, mostly): forgotten all at once


class SharedValues(dict[tuple[str, bytes], Any]):
    """Value objects decoded once and reused for the same stored data: most events carry one
    of a few actors, and decoding a value object is a walk of its fields and a call. Only a
    value holding nothing mutable is kept (`_immutable`), so a reader may share it."""

    def __init__(self, names: dict[str, Transcoding]) -> None:
        super().__init__()
        self.kinds = ValueObjectNames(names)

    def keep(self, key: tuple[str, bytes], value: Any) -> Any:
        if _immutable(value):
            if len(self) >= SHARED_VALUES:
                self.clear()
            self[key] = value
        return value


class ValueObjectNames(dict[str, bool]):
    """Whether each stored name is a value object's, found once."""

    def __init__(self, names: dict[str, Transcoding]) -> None:
        super().__init__()
        self.names = names

    def __missing__(self, name: str) -> bool:
        found = self[name] = isinstance(self.names.get(name), ValueObjectAsDict)
        return found


def _immutable(value: Any) -> bool:
    """Whether a decoded value object holds only immutable values, or tuples of them."""
    for item in vars(value).values():
        kind = type(item)
        if kind is tuple:
            if not all(type(element) in IMMUTABLE for element in item):
                return False
        elif kind not in IMMUTABLE and not isinstance(item, enum.Enum):
            return False
    return True


class Decoders(dict[str, Callable[[Any], Any]]):
    """Each stored name's decode function, found once."""

    def __init__(self, names: dict[str, Transcoding]) -> None:
        super().__init__()
        self.names = names

    def __missing__(self, name: str) -> Callable[[Any], Any]:
        transcoding = self.names.get(name)
        if transcoding is None:
            raise unregistered(name)
        decode = DIRECT.get(type(transcoding), transcoding.decode)
        if isinstance(transcoding, EnumAsValue):
            decode = transcoding.members.__getitem__  # no frame of Python per member
        self[name] = decode
        return decode


# The library's own transcodings, decoded by the call their decode method makes: one frame less.
DIRECT: dict[type[Transcoding], Callable[[Any], Any]] = {
    DatetimeAsISO: datetime.fromisoformat,
    UUIDAsHex: UUID,
    DecimalAsStr: Decimal,
}


def unregistered(name: Any) -> TranscodingNotRegisteredError:
    """The error, in the library's words, for a stored name no transcoding has."""
    return TranscodingNotRegisteredError(
        f"Data serialized with name '{name}' is not deserializable. "
        "Please register a custom transcoding for this type."
    )


def transcoder() -> OrjsonTranscoder:
    """The library's transcodings (UUID, Decimal, datetime) and the domain's own."""
    made = OrjsonTranscoder()
    register_all(made)
    return made


def library_transcoder() -> JSONTranscoder:
    """The same transcodings on the library's own JSONTranscoder: what `OrjsonTranscoder` is
    held to (tests) and measured against (benchmarks)."""
    made = JSONTranscoder()
    register_all(made)
    return made


def register_all(made: JSONTranscoder) -> None:
    for library_transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        made.register(library_transcoding)
    register_domain_transcodings(made)
