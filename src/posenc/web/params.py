"""Reading requests: every value checked where it enters, a bad one answered 400 with a message naming it.

Every page module reads its request through these (none has a reader of its own):

    query_only, query_number, query_integer, query_choice
                        the query string of a GET route (``QueryParams``): unknown parameters refused,
                        numbers finite and in range, choices from a list
    parse_json_body     a POST body as strict JSON (UTF-8, no NaN/Infinity, bounded nesting)
    body_object, body_index, body_text
                        the fields of a parsed JSON body: an object with known fields, an integer index,
                        a text of bounded UTF-8 length
    library_error       a library ``ValueError`` as the 400 answer it is

:class:`BadInput` is the one error they raise; the app answers it 400 with its message (JSON for /api/
routes, the error page otherwise).
"""

from __future__ import annotations

import json
import math
from typing import Any

from starlette.datastructures import QueryParams

from posenc.results.jsonsafe import NonFiniteNumber, loads_strict

MAX_JSON_DEPTH = 32  # a config.json nests 3-4 levels (text_config, rope_scaling, quantization_config)


class BadInput(ValueError):
    """A request's parameter is missing or out of range: answered 400 with this message."""


# --------------------------------------------------------------------------------------------------
# the query string
# --------------------------------------------------------------------------------------------------


def query_only(params: QueryParams, allowed: set[str] | tuple[str, ...]) -> None:
    """Refuse a parameter outside ``allowed``, naming the ones the route reads."""
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise BadInput(f"unknown parameter {unknown[0]!r}; this route reads: {', '.join(sorted(allowed))}")


def query_number(params: QueryParams, name: str, default: float, *, low: float, high: float) -> float:
    """A finite float in [low, high] from the query string (``default`` when absent)."""
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise BadInput(f"{name} must be a number, got {raw[:40]!r}") from None
    if not math.isfinite(value):
        raise BadInput(f"{name} must be a finite number, got {raw[:40]!r}")
    if not low <= value <= high:
        raise BadInput(f"{name} must be between {low:g} and {high:g}, got {value:g}")
    return value


def query_integer(params: QueryParams, name: str, default: int, *, low: int, high: int) -> int:
    """An integer in [low, high] from the query string (``default`` when absent)."""
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise BadInput(f"{name} must be an integer, got {raw[:40]!r}") from None
    if not low <= value <= high:
        raise BadInput(f"{name} must be an integer between {low} and {high}, got {value}")
    return value


def query_choice(params: QueryParams, name: str, options: tuple[str, ...], default: str) -> str:
    """One of ``options`` from the query string (``default`` when absent)."""
    value = params.get(name, default)
    if value not in options:
        raise BadInput(f"{name} must be one of {', '.join(options)}, got {value[:40]!r}")
    return value


# --------------------------------------------------------------------------------------------------
# a JSON body
# --------------------------------------------------------------------------------------------------


def _depth(value: Any) -> int:
    """How deeply arrays and objects nest (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children)
    return deepest


def parse_json_body(body: bytes) -> Any:
    """The request body as JSON; 400 with a message for non-UTF-8, non-JSON, NaN/Infinity, deep nesting."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise BadInput(f"the request body is not UTF-8 text (byte {err.start})") from None
    try:
        data = loads_strict(text)
    except NonFiniteNumber as err:
        if err.kind == "constant":
            raise BadInput(
                f"the JSON holds {err.literal}, which is not a number JSON allows; use a finite number"
            ) from None
        raise BadInput(
            f"the JSON holds the number {err.literal[:40]} which overflows a float; use a finite number"
        ) from None
    except json.JSONDecodeError as err:
        raise BadInput(f"not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}") from None
    except RecursionError:
        raise BadInput(
            f"the JSON is nested too deeply (a config.json nests a few levels; "
            f"at most {MAX_JSON_DEPTH} are read)"
        ) from None
    except BadInput:
        raise
    except ValueError as err:  # e.g. an integer of more than 4300 digits
        raise BadInput(f"not valid JSON: {err}") from None
    depth = _depth(data)
    if depth > MAX_JSON_DEPTH:
        raise BadInput(
            f"the JSON is nested {depth} levels deep; a config.json nests a few levels (at most "
            f"{MAX_JSON_DEPTH} are read)"
        )
    return data


def body_object(data: Any, fields: set[str], example: str) -> dict[str, Any]:
    """``data`` when it is a JSON object whose fields are all in ``fields``; ``example`` shows one."""
    if not isinstance(data, dict):
        raise BadInput(f"send a JSON object, e.g. {example}")
    unknown = sorted(set(data) - fields)
    if unknown:
        raise BadInput(f"unknown field {unknown[0]!r}; this route reads: {', '.join(sorted(fields))}")
    return data


def body_index(data: dict[str, Any], name: str, count: int, what: str) -> int:
    """The integer field ``name`` (0 when absent) in [0, count); ``what`` says where ``count`` comes from."""
    value = data.get(name, 0)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadInput(f"{name} must be an integer, got {value!r}")
    if not 0 <= value < count:
        raise BadInput(f"{name} must be between 0 and {count - 1} ({what}), got {value}")
    return value


def body_text(data: dict[str, Any], limit: int, view: str) -> bytes:
    """The field ``text`` as UTF-8 bytes (a model's tokens): at least 2, at most ``limit``."""
    text = data.get("text")
    if not isinstance(text, str):
        raise BadInput(f"text must be a string (the text to feed the model), got {type(text).__name__}")
    try:
        raw = text.encode("utf-8")
    except UnicodeEncodeError as err:
        raise BadInput(
            f"text holds a character UTF-8 cannot encode (at {err.start}): a lone surrogate"
        ) from None
    if not raw:
        raise BadInput("text is empty: type or paste some text")
    if len(raw) < 2:
        raise BadInput("text must hold at least 2 bytes (a model predicts each byte from the ones before)")
    if len(raw) > limit:
        raise BadInput(f"text is {len(raw):,} bytes (UTF-8); the {view} reads at most {limit:,} bytes")
    return raw


# --------------------------------------------------------------------------------------------------
# answering
# --------------------------------------------------------------------------------------------------


def library_error(err: ValueError) -> BadInput:
    """A library ``ValueError`` (a config it refuses) as the 400 answer it is."""
    return BadInput(str(err))
