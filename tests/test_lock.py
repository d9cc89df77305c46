"""CI and the Docker image install what uv.lock pins, and uv.lock agrees with pyproject.toml."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def uv() -> str:
    """The uv the Makefile installed beside this interpreter (or one on the PATH)."""
    beside = Path(sys.executable).parent / "uv"
    found = str(beside) if beside.exists() else shutil.which("uv")
    assert found, "uv is not installed: `make install` installs it into the virtual environment"
    return found


def check_lock(project: Path) -> subprocess.CompletedProcess[str]:
    """`uv lock --check`, offline: does the project's uv.lock satisfy its pyproject.toml?"""
    return subprocess.run(
        [uv(), "lock", "--check", "--offline", "--no-progress", "--directory", str(project)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_lock_agrees_with_pyproject() -> None:
    checked = check_lock(ROOT)
    assert checked.returncode == 0, f"uv.lock is out of date; run `make lock`:\n{checked.stderr}"


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (('"click>=8.1,<9"', '"click>=99,<100"'), "a narrowed version range"),
        (('"click>=8.1,<9",', '"click>=8.1,<9",\n    "never-locked",'), "a new dependency"),
        (('    "orjson>=3.10,<4",\n', ""), "a removed dependency"),
    ],
)
def test_a_lock_that_disagrees_with_pyproject_is_refused(
    tmp_path: Path, change: tuple[str, str], why: str
) -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    old, new = change
    assert old in pyproject, f"the test's edit for {why} no longer applies to pyproject.toml"
    (tmp_path / "pyproject.toml").write_text(pyproject.replace(old, new, 1), encoding="utf-8")
    shutil.copy(ROOT / "uv.lock", tmp_path / "uv.lock")
    (tmp_path / "README.md").write_text("", encoding="utf-8")
    assert check_lock(tmp_path).returncode != 0, f"uv accepted a lock that misses {why}"


def test_make_install_and_the_dockerfile_install_from_the_lock() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "uv sync --quiet --locked" in makefile
    assert "uv.lock" in makefile.split("$(STAMP):", 1)[1].splitlines()[0], (
        "the virtual environment must be rebuilt when uv.lock changes"
    )
    assert "COPY pyproject.toml uv.lock" in dockerfile
    assert "uv export --locked" in dockerfile
    assert "--require-hashes" in dockerfile
    assert "pip install --no-deps ." in dockerfile, "the image takes no dependency beside the lock"
