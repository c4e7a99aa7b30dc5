"""Line references into posenc's own code, resolved when content is shown, so they cannot go stale.

Content writes a reference instead of typing line numbers:

    {{code_ref:posenc/encodings/rope.py:frequencies}}            -> `encodings/rope.py` lines 58–84
    {{code_ref:posenc/encodings/rope.py:RoPE.build_cache}}       a method: Class.method
    {{code_ref:posenc/model/lm.py:CausalSelfAttention.forward@pe.rotate_qk(}}
                                                                 -> `model/lm.py` line 171: the line
                                                                    of that function holding the text

The path is the module's path under ``src/``; the name a function, a class, a method, or a
module-level assignment (``ROPE_TYPES``), found with :mod:`ast`. A reference to a file, a name or a
text that no longer exists raises ``ValueError`` naming it: the notes cannot render and
tests/learn fails until the reference is fixed. :func:`posenc.learn.numbers.render` calls
:func:`resolve` before it fills in the numbers.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import posenc

SRC = Path(posenc.__file__).resolve().parent.parent  # the folder holding the posenc package
CODE_REF = re.compile(r"\{\{\s*code_ref:([\w/.]+\.py):([\w.]+)(?:@([^{}]+?))?\s*\}\}")


@functools.cache
def _tree(path: str) -> ast.Module:
    file = SRC / path
    if not path.startswith("posenc/") or not file.is_file():
        raise ValueError(f"code_ref: no module {path} in the posenc package")
    return ast.parse(file.read_text(encoding="utf-8"))


def _node(path: str, name: str) -> ast.AST:
    scope: list[ast.stmt] = _tree(path).body
    node: ast.AST | None = None
    for part in name.split("."):
        node = None
        for candidate in scope:
            if isinstance(candidate, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                if candidate.name == part:
                    node = candidate
            elif isinstance(candidate, (ast.Assign, ast.AnnAssign)):
                targets = candidate.targets if isinstance(candidate, ast.Assign) else [candidate.target]
                if any(isinstance(t, ast.Name) and t.id == part for t in targets):
                    node = candidate
        if node is None:
            raise ValueError(f"code_ref: {path} has no {name} (no {part!r} where it should be)")
        scope = getattr(node, "body", [])
    return node


def span(path: str, name: str) -> tuple[int, int]:
    """First and last line (1-based, decorators included) of ``name`` in ``path``."""
    node = _node(path, name)
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    return first, node.end_lineno


def line_of(path: str, name: str, text: str) -> int:
    """The first line of ``name`` in ``path`` that contains ``text``."""
    first, last = span(path, name)
    lines = (SRC / path).read_text(encoding="utf-8").splitlines()
    for number in range(first, last + 1):
        if text in lines[number - 1]:
            return number
    raise ValueError(f"code_ref: {name} in {path} has no line containing {text!r}")


def reference(path: str, name: str, text: str | None = None) -> str:
    """How a reference reads: `` `encodings/rope.py` lines 58–84 `` (or ``line 171``)."""
    shown = f"`{path.removeprefix('posenc/')}`"
    if text is not None:
        return f"{shown} line {line_of(path, name, text.strip())}"
    first, last = span(path, name)
    return f"{shown} lines {first}–{last}" if last > first else f"{shown} line {first}"


def references(text: str) -> list[tuple[str, str, str | None]]:
    """Every (path, name, text) referenced in ``text``."""
    return [(m.group(1), m.group(2), m.group(3)) for m in CODE_REF.finditer(text)]


def resolve(text: str, where: str = "content") -> str:
    """``text`` with every ``{{code_ref:…}}`` replaced; a stale one raises ``ValueError`` naming ``where``."""

    def replace(match: re.Match[str]) -> str:
        try:
            return reference(match.group(1), match.group(2), match.group(3))
        except ValueError as err:
            raise ValueError(f"{where}: {err}") from None

    return CODE_REF.sub(replace, text)
