"""How domain values are written as JSON and read back: one transcoder for events and views alike.

A stored value object is restored field by field without re-validation, so a stored fact always
loads even after a rule tightens."""

from __future__ import annotations

import dataclasses
import enum
import inspect
import pkgutil
from collections.abc import Iterator
from datetime import date
from importlib import import_module
from typing import Any

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


def transcoder() -> JSONTranscoder:
    """The library's transcodings (UUID, Decimal, datetime) and the domain's own."""
    made = JSONTranscoder()
    for library_transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        made.register(library_transcoding)
    register_domain_transcodings(made)
    return made
