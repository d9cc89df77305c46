"""The architecture stays readable: data flows schema → service → domain → events → projections."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = {"domain", "service", "projections", "schema", "portal"}
ALLOWED = {
    "domain": set(),
    "projections": {"domain"},
    "service": {"domain", "projections"},
    "schema": {"domain", "service", "projections"},
    "portal": {"schema", "service", "domain"},
}
# The web application is where the layers are put together, so it alone may mount the schema
# and the portal.
COMPOSITION_ROOT = {"service/web.py": {"schema", "portal"}}
# The model and nothing of storage: no event store, no JSON codec, no database driver.
DOMAIN_MAY_USE = ("eventsourcing.domain",)


def modules_named_in(source: str) -> set[str]:
    """Every module `source` imports from, in full (`from a.b import c` imports from `a.b`)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def imports_of(path: Path) -> set[str]:
    """The packages of ours that the module at `path` imports."""
    return {name.split(".")[0] for name in modules_named_in(path.read_text())} & OURS


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_each_layer_imports_only_the_layers_beneath_it(package: str) -> None:
    crossings = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        name = str(path.relative_to(ROOT))
        allowed = ALLOWED[package] | COMPOSITION_ROOT.get(name, set()) | {package}
        if extra := imports_of(path) - allowed:
            crossings[name] = extra
    assert crossings == {}


def outside_the_domain(source: str) -> set[str]:
    """What `source` imports besides the standard library, the domain and `DOMAIN_MAY_USE`."""
    return {
        name
        for name in modules_named_in(source)
        if name.split(".")[0] not in sys.stdlib_module_names | {"domain"}
        and not any(name == used or name.startswith(used + ".") for used in DOMAIN_MAY_USE)
    }


def test_the_domain_imports_only_the_standard_library_and_the_librarys_domain() -> None:
    offenders = {
        str(path.relative_to(ROOT)): found
        for path in sorted((ROOT / "domain").rglob("*.py"))
        if (found := outside_the_domain(path.read_text()))
    }
    assert offenders == {}


@pytest.mark.parametrize(
    "source",
    [
        "from eventsourcing.persistence import JSONTranscoder",
        "from eventsourcing import persistence",
        "import eventsourcing",
        "import orjson",
        "from psycopg.types.json import Json",
        "from pydantic import BaseModel",
    ],
)
def test_storage_and_other_libraries_count_as_outside_the_domain(source: str) -> None:
    assert outside_the_domain(source)


@pytest.mark.parametrize(
    "source",
    [
        "from eventsourcing.domain import Aggregate, event",
        "import eventsourcing.domain",
        "from dataclasses import dataclass\nimport importlib.util",
        "from domain.values import Actor",
    ],
)
def test_the_standard_library_and_the_librarys_domain_count_as_inside(source: str) -> None:
    assert outside_the_domain(source) == set()


def test_every_module_says_what_it_is_for_in_a_docstring() -> None:
    missing = [
        str(path.relative_to(ROOT))
        for package in OURS
        for path in (ROOT / package).rglob("*.py")
        if ast.get_docstring(ast.parse(path.read_text())) is None
    ]
    assert missing == []


def test_only_the_demo_sets_the_application_clock() -> None:
    """The clock is set by the demo, on an empty store; never by the API, the CLI or a view."""
    setters = sorted(
        str(path.relative_to(ROOT))
        for package in OURS
        for path in (ROOT / package).rglob("*.py")
        if "running_on" in path.read_text() and path != ROOT / "domain" / "clock.py"
    )
    assert setters == ["service/demo/__init__.py"]
