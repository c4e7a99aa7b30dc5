"""An exercise's starting file, cut from its reference solution: everything up to the end of the
function's docstring (the header line, the imports, the signature, the docstring), then a body that
says what to do. The solution stays the one source of the signature and the docstring."""

from __future__ import annotations

import ast

TODO = '    raise NotImplementedError("write this function, then run: posenc exercise check {file}")\n'


def _function(tree: ast.Module, function: str) -> ast.FunctionDef:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == function:
            return node
    raise ValueError(f"the solution defines no function {function!r}")


def template(solution: str, function: str, file: str = "THIS_FILE") -> str:
    """The solution's source up to the end of ``function``'s docstring, and a body that raises
    ``NotImplementedError`` (``file`` is named in its message)."""
    node = _function(ast.parse(solution), function)
    first = node.body[0]
    if not (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)):
        raise ValueError(f"the solution's {function} has no docstring")
    lines = solution.splitlines(keepends=True)
    return "".join(lines[: first.end_lineno]) + TODO.format(file=file)


def signature(solution: str, function: str) -> str:
    """``name(arg: type, …) -> type`` as the solution declares it (for lists and the web lab)."""
    node = _function(ast.parse(solution), function)
    returns = f" -> {ast.unparse(node.returns)}" if node.returns is not None else ""
    return f"{node.name}({ast.unparse(node.args)}){returns}"


def docstring(solution: str, function: str) -> str:
    return ast.get_docstring(_function(ast.parse(solution), function)) or ""
