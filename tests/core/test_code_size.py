"""The tree's size budget (STYLE.md, "Size as a signal"): no module of the package or of a
built-in backend over about 500 code lines, no function over about 80 lines, outside the
op database's sample tables. Docstrings, comments and blank lines are not code."""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TREES = [ROOT / "core" / "tensorplug", ROOT / "backends"]
MODULE_LINES = 500
FUNCTION_LINES = 80
DATA_TABLES = ("testing/_opdb",)
"""Modules whose long functions are tables of op entries and samples, not logic."""


def _docstring_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        is_string = isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        if is_string and isinstance(node.value.value, str):  # type: ignore[attr-defined]
            lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return lines


def code_lines(source: str) -> int:
    """Lines holding code: not blank, not only a comment, not part of a docstring."""
    skip = _docstring_lines(ast.parse(source))
    lines: set[int] = set()
    ignored = (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type in ignored or tok.type == tokenize.ENDMARKER:
            continue
        lines.update(n for n in range(tok.start[0], tok.end[0] + 1) if n not in skip)
    return len(lines)


def _modules() -> list[Path]:
    return sorted(p for tree in TREES for p in tree.rglob("*.py"))


def test_the_budget_is_measured_on_code_only() -> None:
    source = '"""doc\n\nmore"""\n\n# a comment\nx = 1\n\n\ndef f():\n    """doc"""\n    return x\n'
    assert code_lines(source) == 3


def test_no_module_is_too_long() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in _modules()
        if (n := code_lines(p.read_text())) > MODULE_LINES
    }
    assert not long, f"modules over {MODULE_LINES} code lines (split them by concept): {long}"


def test_no_function_is_too_long() -> None:
    long = {}
    for p in _modules():
        rel = str(p.relative_to(ROOT))
        if any(table in rel for table in DATA_TABLES):
            continue
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = (node.end_lineno or node.lineno) - node.lineno + 1
                if n > FUNCTION_LINES:
                    long[f"{rel}:{node.name}"] = n
    assert not long, f"functions over {FUNCTION_LINES} lines (name their parts): {long}"
