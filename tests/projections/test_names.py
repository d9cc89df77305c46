"""The views' code names what it handles: no function in projections/ takes a one-letter
parameter (a handler's are the event as recorded and the view's state)."""

from __future__ import annotations

import ast
from pathlib import Path

import projections

PACKAGE = Path(projections.__file__).parent


def test_no_projection_function_takes_a_one_letter_parameter() -> None:
    terse = [
        f"{path.name}:{node.lineno} {node.name}({arg.arg})"
        for path in sorted(PACKAGE.glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for arg in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)
        if len(arg.arg) == 1
    ]
    assert terse == []
