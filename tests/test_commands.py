"""Commands as data: every command has its roles, one handler and one mutation that builds it,
and every mutation builds a command."""

from __future__ import annotations

import asyncio
import typing
from collections.abc import Callable
from typing import Any

import pytest

from domain import commands
from domain.commands import ADMIN, ROLES, Command
from schema import mutations
from schema.mutations import Mutation
from service.handlers import HANDLERS


def all_commands() -> set[type[Command]]:
    """The commands one can issue: the leaves of domain.commands' classes (Change, Classify and
    the like only give their fields to several)."""
    found: set[type[Command]] = set()
    for kind in vars(commands).values():
        if isinstance(kind, type) and issubclass(kind, Command) and not kind.__subclasses__():
            found.add(kind)
    return found


def commands_of_mutations() -> dict[str, type[Command]]:
    """What each mutation hands to the executor, found by running its resolver against an
    executor that only records the command's type (read from the builder's annotation)."""
    built: dict[str, Any] = {}

    async def recording(info: Any, terms: Any, command: Callable[[], Command], payload: Any) -> Any:
        kind = typing.get_type_hints(command)["return"]
        built[current] = kind

    original = vars(mutations)["execute"]
    setattr(mutations, "execute", recording)  # noqa: B010 (a fake executor, for this walk only)
    try:
        for field in mutation_fields():
            resolver = field.base_resolver
            assert resolver is not None
            current = field.python_name
            input_type = typing.get_type_hints(resolver.wrapped_func)["input"]
            asyncio.run(resolver.wrapped_func(None, None, input_type.__new__(input_type)))
    finally:
        setattr(mutations, "execute", original)  # noqa: B010
    return {_camel(name): kind for name, kind in built.items() if issubclass(kind, Command)}


def mutation_fields() -> list[Any]:
    return list(Mutation.__strawberry_definition__.fields)  # type: ignore[attr-defined]


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)


@pytest.mark.parametrize("kind", sorted(all_commands(), key=str))
def test_every_command_has_roles_and_one_handler(kind: type[Command]) -> None:
    assert kind in HANDLERS
    assert ADMIN in kind.roles
    assert kind.roles <= ROLES
    assert "auditor" not in kind.roles  # auditors only read
    assert kind.roles - {ADMIN}, "a command only admins may issue is a command nobody uses"


def test_every_command_is_built_by_exactly_one_mutation_and_every_mutation_builds_one() -> None:
    built = commands_of_mutations()

    assert len(built) == len(mutation_fields())
    assert sorted(kind.__name__ for kind in built.values()) == sorted(
        k.__name__ for k in all_commands()
    )


def test_the_handler_table_holds_only_commands() -> None:
    assert set(HANDLERS) == all_commands()
