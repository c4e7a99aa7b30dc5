"""Parse, don't trust: every JSON file posenc reads back is checked against one small declarative schema.

A schema is a tree of the specs below, written once beside the code that owns the file (the progress
file in ``learn/progress.py``, eval.json in ``evaluate/eval_file.py``, the study's results.json in
``study/results.py``, its replicate.json in ``study/replicate.py``, a run's config.json in
``train/checkpoint.py``)::

    ROW = Obj({"length": Int(min=1), "loss": Opt(Num())}, optional={"reason": Str()})
    data = load_json(path, Obj({"format": Const("posenc-eval/1"), "rows": List(ROW)}))

:func:`load_json` reads at most ``max_bytes`` (a bounded read), decodes UTF-8, parses with
:func:`~posenc.results.jsonsafe.loads_strict` (no NaN, no Infinity, no number that overflows a float)
and checks the schema: every number finite, nesting at most :data:`MAX_DEPTH` deep. Anything else is a
:class:`SchemaError`, one line naming the file and the field::

    'runs/rope/eval.json': evals["none"].rows[2].length is a list, not a whole number >= 1

Unknown keys of an :class:`Obj` are allowed (a newer posenc may add fields) but checked as JSON (finite
numbers, bounded depth); ``extra=None`` refuses them.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from posenc.atomic import regular_file
from posenc.results.jsonsafe import NonFiniteNumber, loads_strict, to_jsonable

#: the deepest nesting any posenc file needs is about 8; a file nested deeper than this is refused
MAX_DEPTH = 32
#: the largest JSON file posenc reads back (the full study's results.json is about 0.4 MB)
MAX_BYTES = 64 << 20


class SchemaError(ValueError):
    """A JSON file posenc reads back is not what it wrote: ``file`` (a path, or a name such as
    "results.json"), ``field`` (``evals["none"].rows[2].length``; None when the file is not JSON at
    all) and ``problem`` (what is wrong with it), in one line."""

    def __init__(self, file: str, field: str | None, problem: str, advice: str = ""):
        self.file, self.field, self.problem = file, field, problem
        where = f"{file}: {field}" if field else file
        text = f"{where} {problem}" + (f"; {advice}" if advice else "")
        super().__init__(" ".join(text.split()))  # one line whatever the field names hold


class _Bad(Exception):
    """Raised inside a check: the field's path and what is wrong there (file and advice come later)."""

    def __init__(self, field: str, problem: str):
        self.field, self.problem = field, problem


def _shown(value: Any) -> str:
    """A value as an error message shows it: its kind, and itself when short."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, (int, float)):
        text = str(value)
        return f"the number {text if len(text) <= 24 else text[:20] + '…'}"
    if isinstance(value, str):
        return f"the text {json.dumps(value[:30] + ('…' if len(value) > 30 else ''))}"
    return {dict: "an object", list: "a list"}.get(type(value), type(value).__name__)


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _child(field: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{field}[{key}]"
    if _NAME.match(key):
        return f"{field}.{key}" if field else key
    return f"{field}[{json.dumps(key[:40] + ('…' if len(key) > 40 else ''))}]"


class Spec:
    """One node of a schema: ``check(value, field, depth)`` returns the value or raises ``_Bad``."""

    expected = "a JSON value"

    def check(self, value: Any, field: str, depth: int) -> Any:
        raise NotImplementedError

    def _fail(self, value: Any, field: str) -> _Bad:
        return _Bad(field, f"is {_shown(value)}, not {self.expected}")


class JSON(Spec):
    """Any JSON value: finite numbers, nesting at most :data:`MAX_DEPTH` deep."""

    def check(self, value: Any, field: str, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise _Bad(field or "the top level", f"is nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, float) and not math.isfinite(value):
            raise _Bad(field, f"is {value}, not a finite number")
        if isinstance(value, dict):
            for key, item in value.items():
                self.check(item, _child(field, key), depth + 1)
        elif isinstance(value, (list, tuple)):  # a tuple: a checkpoint's dicts, read by torch.load
            for i, item in enumerate(value):
                self.check(item, _child(field, i), depth + 1)
        elif not isinstance(value, (str, int, float, bool, type(None))):
            raise self._fail(value, field)
        return value


ANY = JSON()  # an Obj's unknown fields, by default


class Num(Spec):
    """A finite number (int or float, never a bool) in ``[min, max]``."""

    def __init__(self, min: float | None = None, max: float | None = None):
        self.min, self.max = min, max
        if min is not None and max is not None:
            self.expected = f"a finite number in [{min:g}, {max:g}]"
        elif min is not None or max is not None:
            self.expected = f"a finite number {'>=' if max is None else '<='} {min if max is None else max:g}"
        else:
            self.expected = "a finite number"

    def _kind_ok(self, value: Any) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)

    def check(self, value: Any, field: str, depth: int) -> Any:
        if not self._kind_ok(value):
            raise self._fail(value, field)
        if (self.min is not None and value < self.min) or (self.max is not None and value > self.max):
            raise self._fail(value, field)
        return value


class Int(Num):
    """A whole number (never a bool, never 2.0) in ``[min, max]``; ``min`` defaults to 0."""

    def __init__(self, min: int | None = 0, max: int | None = None):
        super().__init__(min, max)
        self.expected = self.expected.replace("a finite number", "a whole number")

    def _kind_ok(self, value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)


class Str(Spec):
    """Text of at most ``max_len`` characters, one of ``choices`` when given."""

    def __init__(self, max_len: int = 10_000, choices: tuple[str, ...] | None = None):
        self.max_len, self.choices = max_len, choices
        self.expected = f"one of {', '.join(map(repr, choices))}" if choices else "text"

    def check(self, value: Any, field: str, depth: int) -> Any:
        if not isinstance(value, str) or (self.choices is not None and value not in self.choices):
            raise self._fail(value, field)
        if len(value) > self.max_len:
            raise _Bad(field, f"is text of {len(value)} characters, more than {self.max_len}")
        return value


class Bool(Spec):
    expected = "true or false"

    def check(self, value: Any, field: str, depth: int) -> Any:
        if not isinstance(value, bool):
            raise self._fail(value, field)
        return value


class Const(Spec):
    """Exactly ``value`` (a file's ``format``)."""

    def __init__(self, value: Any):
        self.value, self.expected = value, json.dumps(value)

    def check(self, value: Any, field: str, depth: int) -> Any:
        if type(value) is not type(self.value) or value != self.value:
            raise self._fail(value, field)
        return value


class Opt(Spec):
    """``null`` or ``spec``."""

    def __init__(self, spec: Spec):
        self.spec, self.expected = spec, f"{spec.expected} or null"

    def check(self, value: Any, field: str, depth: int) -> Any:
        return None if value is None else self.spec.check(value, field, depth)


class List(Spec):
    """A list of ``item`` with at most ``max_len`` entries."""

    def __init__(self, item: Spec, max_len: int = 1_000_000):
        self.item, self.max_len = item, max_len
        self.expected = f"a list of {item.expected}"

    def check(self, value: Any, field: str, depth: int) -> Any:
        if not isinstance(value, list):
            raise self._fail(value, field)
        if depth >= MAX_DEPTH:
            raise _Bad(field, f"is nested deeper than {MAX_DEPTH} levels")
        if len(value) > self.max_len:
            raise _Bad(field, f"holds {len(value)} entries, more than {self.max_len}")
        for i, item in enumerate(value):
            self.item.check(item, _child(field, i), depth + 1)
        return value


class Map(Spec):
    """An object whose keys are free (names, lengths as text) and whose values are all ``value``."""

    def __init__(self, value: Spec, max_key: int = 1_000):
        self.value, self.max_key = value, max_key
        self.expected = f"an object of {value.expected}"

    def check(self, value: Any, field: str, depth: int) -> Any:
        if not isinstance(value, dict):
            raise self._fail(value, field)
        if depth >= MAX_DEPTH:
            raise _Bad(field, f"is nested deeper than {MAX_DEPTH} levels")
        for key, item in value.items():
            if len(key) > self.max_key:
                problem = f"has a name of {len(key)} characters, more than {self.max_key}"
                raise _Bad(_child(field, key), problem)
            self.value.check(item, _child(field, key), depth + 1)
        return value


class Obj(Spec):
    """An object with the ``fields`` it must have, the ``optional`` ones it may have (each ``null`` or
    absent only when its spec says so), and any other key checked by ``extra`` (None: refused).
    ``rule(value)`` checks what spans fields (``score <= asked``): it returns a problem, as
    ``(field, problem)`` or a sentence about the object, or None."""

    expected = "an object"

    def __init__(
        self,
        fields: Mapping[str, Spec],
        optional: Mapping[str, Spec] | None = None,
        extra: Spec | None = ANY,
        rule: Callable[[dict], str | tuple[str, str] | None] | None = None,
    ):
        self.fields, self.optional, self.extra, self.rule = dict(fields), dict(optional or {}), extra, rule

    def check(self, value: Any, field: str, depth: int) -> Any:
        if not isinstance(value, dict):
            raise self._fail(value, field)
        if depth >= MAX_DEPTH:
            raise _Bad(field or "the top level", f"is nested deeper than {MAX_DEPTH} levels")
        for key, spec in self.fields.items():
            if key not in value:
                raise _Bad(_child(field, key), "is missing")
            spec.check(value[key], _child(field, key), depth + 1)
        for key, item in value.items():
            if key in self.fields:
                continue
            spec = self.optional.get(key, self.extra)
            if spec is None:
                raise _Bad(_child(field, key), "is not a field of this file")
            spec.check(item, _child(field, key), depth + 1)
        if self.rule is not None and (problem := self.rule(value)) is not None:
            if isinstance(problem, tuple):
                raise _Bad(_child(field, problem[0]), problem[1])
            raise _Bad(field or "the top level", problem)
        return value


class OneOf(Spec):
    """The first of ``specs`` that accepts the value (``Int() | Str()``)."""

    def __init__(self, *specs: Spec):
        self.specs = specs
        self.expected = " or ".join(s.expected for s in specs)

    def check(self, value: Any, field: str, depth: int) -> Any:
        for spec in self.specs:
            try:
                return spec.check(value, field, depth)
            except _Bad as bad:
                if bad.field != field:  # the shape matched, a field inside did not: that is the error
                    raise
        raise self._fail(value, field)


def validate(data: Any, schema: Spec, file: str | Path, advice: str = "") -> Any:
    """``data`` when it fits ``schema``, else :class:`SchemaError` naming ``file`` and the field."""
    try:
        return schema.check(data, "", 0)
    except _Bad as bad:
        raise SchemaError(_name(file), bad.field or "the top level", bad.problem, advice) from None
    except RecursionError:
        raise SchemaError(_name(file), "the top level", "is nested too deeply", advice) from None


def _name(file: str | Path) -> str:
    return repr(str(file)) if isinstance(file, Path) else str(file)


def parse_json(raw: bytes | str, file: str | Path, advice: str = "") -> Any:
    """Strict JSON from ``raw`` (UTF-8 bytes or text): :class:`SchemaError` naming ``file`` for a byte
    that is not UTF-8, bad syntax (line and column), NaN/Infinity/overflowing numbers, absurd nesting."""
    name = _name(file)
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            line = raw.count(b"\n", 0, err.start) + 1
            problem = f"is not UTF-8 text (byte 0x{raw[err.start]:02x} on line {line})"
            raise SchemaError(name, None, problem, advice) from None
    try:
        return loads_strict(raw)
    except NonFiniteNumber as err:
        raise SchemaError(name, None, f"is not valid JSON ({err})", advice) from None
    except json.JSONDecodeError as err:
        where = f"{err.msg} at line {err.lineno} column {err.colno}"
        raise SchemaError(name, None, f"is not valid JSON ({where})", advice) from None
    except RecursionError:
        raise SchemaError(name, None, "is nested too deeply to be a posenc file", advice) from None


def load_json(
    path: str | Path, schema: Spec, advice: str = "", max_bytes: int = MAX_BYTES, what: str = "file"
) -> Any:
    """The JSON file at ``path`` read (at most ``max_bytes``), parsed strictly and checked against
    ``schema``; :class:`SchemaError` naming the file (and the field) when it is not what posenc wrote,
    ``ValueError`` naming ``what`` and the path when it is a FIFO or a folder. ``FileNotFoundError``
    and other ``OSError`` pass through (a missing file is the caller's case)."""
    path = Path(path)
    with open(regular_file(path, what), "rb") as f:  # a FIFO would block: regular files only
        raw = f.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise SchemaError(_name(path), None, f"is larger than {max_bytes >> 20} MiB", advice)
    return validate(parse_json(raw, path, advice), schema, path, advice)


# ----------------------------------------------------------------------------- rows with a checksum
CHECKSUM = "sha256"


def row_sha256(row: Mapping[str, Any]) -> str:
    """SHA-256 of a row's canonical JSON (sorted keys, no spaces, ASCII), its own ``sha256`` left out:
    a number edited after the row was written no longer matches. The row's ``basis`` (what it was
    computed from: the model's weights, the evaluation's settings) is part of what is hashed."""
    body = {key: value for key, value in row.items() if key != CHECKSUM}
    text = json.dumps(to_jsonable(body), sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def sealed(row: Mapping[str, Any]) -> dict[str, Any]:
    """``row`` made JSON-safe with its checksum added (``"sha256"``), as it is written to a file."""
    body = to_jsonable({key: value for key, value in row.items() if key != CHECKSUM})
    return {**body, CHECKSUM: row_sha256(body)}


def seal_problem(row: Mapping[str, Any]) -> str | None:
    """Why ``row`` read back from a file cannot be trusted as written, or None when its checksum holds:
    "has no checksum (…)" for a row written before rows carried one, "fails its checksum (…)" for an
    edited or damaged one."""
    kept = row.get(CHECKSUM)
    if kept is None:
        return "has no checksum (written by an older posenc)"
    if not isinstance(kept, str) or kept != row_sha256(row):
        return "fails its checksum (a number in it was edited or damaged after it was written)"
    return None


__all__ = [
    "JSON",
    "MAX_BYTES",
    "MAX_DEPTH",
    "Bool",
    "Const",
    "Int",
    "List",
    "Map",
    "Num",
    "Obj",
    "OneOf",
    "Opt",
    "SchemaError",
    "Spec",
    "Str",
    "load_json",
    "parse_json",
    "row_sha256",
    "seal_problem",
    "sealed",
    "validate",
]
