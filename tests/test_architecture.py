"""The architecture stays readable: data flows schema → service → domain → events → projections."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = {"domain", "service", "projections", "schema"}
ALLOWED = {
    "domain": set(),
    "projections": {"domain"},
    "service": {"domain", "projections"},
    "schema": {"domain", "service", "projections"},
}
# The web application is where the layers are put together, so it alone may mount the schema.
COMPOSITION_ROOT = {"service/web.py": {"schema"}}


def imports_of(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & OURS


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_each_layer_imports_only_the_layers_beneath_it(package: str) -> None:
    crossings = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        name = str(path.relative_to(ROOT))
        allowed = ALLOWED[package] | COMPOSITION_ROOT.get(name, set()) | {package}
        if extra := imports_of(path) - allowed:
            crossings[name] = extra
    assert crossings == {}


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
