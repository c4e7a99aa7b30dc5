"""JSON without surprises, both ways: values made JSON-safe on the way out, strict parsing on the way in.

JSON has no NaN or Infinity. Python's ``json`` writes them anyway (as bare ``NaN``, which other readers
reject) and reads them back, and it reads ``1e400`` as ``inf``. So every file and answer posenc writes
goes through :func:`to_jsonable` (a non-finite float becomes ``null``: a diverged loss reads as "no
value"), and every JSON a user hands in goes through :func:`loads_strict`.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any


def to_jsonable(value: Any) -> Any:
    """Tensors, numpy values, tuples and paths -> plain JSON types; non-finite floats -> None.

    Dict keys become strings (as ``json.dumps`` writes them). No torch import: a tensor is turned
    into lists by its own ``tolist()`` (which also detaches it and copies it to the CPU)."""
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):  # tensors, numpy arrays/scalars
        return to_jsonable(value.tolist())
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class NonFiniteNumber(ValueError):
    """A JSON text holds a number JSON does not allow: ``NaN``/``Infinity`` (``kind`` "constant") or
    one that overflows a float, such as ``1e400`` (``kind`` "overflow"); ``literal`` is its text."""

    def __init__(self, literal: str, kind: str):
        self.literal, self.kind = literal, kind
        if kind == "constant":
            message = f"{literal} is not a JSON number (JSON has no NaN or Infinity)"
        else:
            message = f"the number {literal} is too large for a float (it overflows to infinity)"
        super().__init__(message)


def _reject_constant(name: str) -> float:
    raise NonFiniteNumber(name, "constant")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise NonFiniteNumber(text, "overflow")
    return value


def loads_strict(text: str | bytes) -> Any:
    """``json.loads`` that accepts only what JSON allows: :class:`NonFiniteNumber` for ``NaN``,
    ``Infinity`` and numbers that overflow a float; ``json.JSONDecodeError`` for bad syntax and
    ``RecursionError`` for absurd nesting, as ``json.loads`` raises them (callers word the message)."""
    return json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)


__all__ = ["NonFiniteNumber", "loads_strict", "to_jsonable"]
