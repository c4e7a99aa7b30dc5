"""Page: the inspector (``posenc inspect`` in the browser), and its JSON route.

    GET  /inspector      pick a bundled config.json or paste one
    POST /api/inspect    what ``posenc inspect`` says about it (``inspect_config``, ``render_report``,
                         ``plot_reports``): key figures, the terminal report as text, optionally the plot

The body is read as strict JSON (:func:`posenc.web.params.parse_json_body`) and its sizes are checked
before the analysis runs (the lab answers while you wait); a bad one is answered 400 with a message
naming it. torch is imported inside the route, never at import time.
"""

from __future__ import annotations

import functools
import io
import math
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from posenc.results.jsonsafe import to_jsonable
from posenc.web.core import Lab, log
from posenc.web.guard import MAX_BODY
from posenc.web.params import MAX_JSON_DEPTH, BadInput, parse_json_body
from posenc.web.rope_form import MAX_LENGTH

MAX_ROTARY_INSPECT = 1024  # rotary dims the inspector page renders (its ladder has one row per pair)
#: config keys that size the per-pair work, and those that set the lengths the precision check walks
_DIMENSION_KEYS = ("head_dim", "hidden_size", "n_embd", "d_model", "qk_rope_head_dim", "rotary_dim")
_LENGTH_KEYS = ("max_position_embeddings", "original_max_position_embeddings", "n_positions")


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {dict: "object", list: "array", str: "string", type(None): "null"}.get(type(value), "value")


def _is_size(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


#: the largest whole number a config value may be (2^53: every such integer is exact as a float); beyond
#: it a value is no size of any model and only makes the analysis overflow
MAX_CONFIG_INT = 2**53
_HEAD_KEYS = ("head_dim", "qk_rope_head_dim", "rotary_dim")  # rotary dims: the page has a row per pair


def _shown(value: Any) -> str:
    """A number for a message: ``65536``, ``1e+300``, or "a 400-digit number" (never an OverflowError)."""
    if isinstance(value, int) and abs(value) >= 10**15:
        return f"a {len(str(abs(value)))}-digit number"
    return f"{value:g}"


def _check_sizes(config: Mapping[str, Any], target_given: bool) -> None:
    """Refuse configs whose sizes would make the analysis slow or overflow (the lab answers while you
    wait), before any analysis: whole numbers beyond 2^53 under any key, a head (or rotary) dim beyond
    MAX_ROTARY_INSPECT (given, or hidden_size / num_attention_heads), other dimensions beyond any
    model's, and, unless a target length is given, lengths beyond 2^24 tokens (float32 positions stop
    being exact; the precision check walks every position). Nested dicts (``text_config``,
    ``rope_scaling``) are checked too; each refusal names its field."""
    stack: list[tuple[Any, Mapping[str, Any] | None]] = [(config, None)]
    while stack:
        node, parent = stack.pop()
        if isinstance(node, list):
            for child in node:
                if isinstance(child, int) and not isinstance(child, bool) and abs(child) > MAX_CONFIG_INT:
                    raise BadInput(f"a list in the config holds {_shown(child)}, beyond any model's size")
            stack.extend((child, parent) for child in node if isinstance(child, (dict, list)))
            continue
        if not isinstance(node, Mapping):
            continue
        for key, value in node.items():
            if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_CONFIG_INT:
                raise BadInput(
                    f"config {str(key)[:60]!r} = {_shown(value)} is beyond any model's size (at most 2^53)"
                )
        for key in _HEAD_KEYS:
            value = node.get(key)
            if _is_size(value) and value > MAX_ROTARY_INSPECT:
                raise BadInput(
                    f"config {key!r} = {_shown(value)}; the lab shows at most {MAX_ROTARY_INSPECT} rotary "
                    "dims (use `posenc inspect`)"
                )
        heads = next((node.get(k) for k in ("num_attention_heads", "n_head") if _is_size(node.get(k))), None)
        width = next(
            (node.get(k) for k in ("hidden_size", "n_embd", "d_model") if _is_size(node.get(k))), None
        )
        if (
            node.get("head_dim") is None
            and heads
            and width
            and heads > 0
            and width / heads > MAX_ROTARY_INSPECT
        ):
            raise BadInput(
                f"config head_dim (hidden_size / num_attention_heads = {_shown(width)} / {_shown(heads)}) is "
                f"beyond the {MAX_ROTARY_INSPECT} rotary dims the lab shows (use `posenc inspect`)"
            )
        for key in _DIMENSION_KEYS:
            value = node.get(key)
            if _is_size(value) and value > 2**16:
                raise BadInput(f"config {key!r} = {_shown(value)} is larger than the lab inspects (65536)")
        if not target_given:
            for key in _LENGTH_KEYS:
                value = node.get(key)
                if _is_size(value) and value > MAX_LENGTH:
                    raise BadInput(
                        f"config {key!r} = {_shown(value)} is longer than the lab inspects ({MAX_LENGTH:,} = "
                        "2^24 tokens, where float32 positions stop being exact)"
                    )
            factor = node.get("factor")
            original = next(
                (
                    where.get(key)
                    for where in (node, parent or {})
                    for key in ("original_max_position_embeddings", "max_position_embeddings")
                    if _is_size(where.get(key))
                ),
                None,
            )
            if _is_size(factor) and original is not None and factor * original > MAX_LENGTH:
                raise BadInput(
                    f"rope scaling factor × training length = {_shown(factor)} × {_shown(original)} is "
                    f"longer than the lab inspects ({MAX_LENGTH:,} = 2^24 tokens); give a smaller factor "
                    "or a target_length"
                )
        stack.extend((child, node) for child in node.values() if isinstance(child, (dict, list)))


@functools.cache
def bundled() -> list[dict[str, str]]:
    """The bundled example configs: name and the model they describe."""
    from posenc.inspector.loading import bundled_configs, load_config

    out = []
    for name in bundled_configs():
        _, _, config = load_config(name)
        out.append({"name": name, "model": str(config.get("_name_or_path", ""))})
    return out


def _figures(r: dict[str, Any]) -> list[dict[str, Any]]:
    """The report's key figures as (label, value, detail) rows; keys the report lacks are skipped."""
    rows: list[dict[str, Any]] = []

    def add(label: str, value: Any, detail: str = "") -> None:
        if value is not None:
            rows.append({"label": label, "value": value, "detail": detail})

    attention = r.get("attention") if isinstance(r.get("attention"), dict) else {}
    critical = r.get("critical_dimension") if isinstance(r.get("critical_dimension"), dict) else {}
    add("rope_type", r.get("rope_type"))
    add("head_dim", r.get("head_dim"))
    add("rotary_dim", r.get("rotary_dim"))
    add("base (rope_theta)", r.get("base"))
    add("training length (tokens)", r.get("training_length"), r.get("training_length_from") or "")
    add("target length (tokens)", r.get("target_length"), r.get("target_length_from") or "")
    add("scaling factor", r.get("factor"))
    add("attention_scaling (cos/sin)", attention.get("attention_scaling"))
    add("critical dimension d_extra", critical.get("d_extra"), "features that saw a full turn in training")
    longest = r.get("longest_wavelength")
    if isinstance(longest, float) and math.isfinite(longest) and longest >= 100:
        longest = round(longest)  # tokens: a whole number reads better than 2.04736e+7
    add("longest wavelength (tokens)", longest)
    pitfalls = r.get("pitfalls")
    if isinstance(pitfalls, list):
        add("warnings", sum(1 for p in pitfalls if isinstance(p, dict) and p.get("severity") == "warning"))
    return rows


def inspect(data: Any) -> dict[str, Any]:
    """``posenc inspect`` for ``{"name": bundled}`` or ``{"config": {...}}``, optionally with
    ``target_length`` (tokens), ``as_type`` (read the text model as this model type, ``--as``) and ``plot``
    (true: also the ``--plot`` figure as SVG text). A bundled example's answer carries its ``config``
    (the page puts it in the text box to edit)."""
    if not isinstance(data, dict):
        raise BadInput(
            f'send a JSON object {{"config": {{...}}}} or {{"name": "..."}}, got a JSON {_json_type(data)}'
        )
    unknown = sorted(set(data) - {"config", "name", "target_length", "as_type", "plot"})
    if unknown:
        raise BadInput(
            f"unknown field {unknown[0]!r}; send config or name, and optionally target_length, as_type, plot"
        )
    if ("config" in data) == ("name" in data):
        raise BadInput('send exactly one of "config" (a config.json object) and "name" (a bundled example)')
    target = data.get("target_length")
    if target is not None and (
        not isinstance(target, int) or isinstance(target, bool) or not 1 <= target <= MAX_LENGTH
    ):
        raise BadInput(f"target_length must be an integer between 1 and {MAX_LENGTH} (2^24), got {target!r}")
    as_type = data.get("as_type") or None
    if as_type is not None and (not isinstance(as_type, str) or len(as_type) > 100):
        raise BadInput(f"as_type must be a model type name such as 'llama', got {str(as_type)[:60]!r}")
    plot = data.get("plot", False)
    if not isinstance(plot, bool):
        raise BadInput(f"plot must be true or false, got {plot!r}")

    from posenc.inspector import inspect_config, load_config

    if "name" in data:
        names = [b["name"] for b in bundled()]
        name = data["name"]
        if name not in names:
            raise BadInput(
                f"no bundled config {str(name)[:60]!r}; the bundled configs are: {', '.join(names)}"
            )
        name, path, config = load_config(name)
        shown_path: str | None = str(path)
    else:
        config = data["config"]
        if not isinstance(config, dict):
            raise BadInput(
                f"config must be a JSON object {{...}} as in a config.json, got a JSON {_json_type(config)}"
            )
        name = str(config.get("_name_or_path") or "pasted config")[:120]
        shown_path = None
    _check_sizes(config, target_given=target is not None)
    try:
        report = inspect_config(config, name, target_length=target, path=shown_path, as_type=as_type)
    except ValueError as err:
        raise BadInput(str(err)) from None
    except (
        TypeError,
        KeyError,
        IndexError,
        AttributeError,
        ArithmeticError,
    ) as err:  # a value of the wrong kind
        raise BadInput(
            f"{name}: the inspector cannot read this config ({type(err).__name__}: {err})"
        ) from None
    rotary = report.get("rotary_dim")
    if isinstance(rotary, int) and rotary > MAX_ROTARY_INSPECT:
        raise BadInput(
            f"the rotary dim is {rotary}; the lab shows at most {MAX_ROTARY_INSPECT} (use `posenc inspect`)"
        )
    out: dict[str, Any] = {
        "name": name,
        "family": report.get("family"),
        "figures": _figures(report),
        "text": _terminal_text(report),
        "report": report,
    }
    if shown_path is not None:
        out["config"] = config
    if plot:
        out["plot_svg"] = _plot_svg(report)
    return to_jsonable(out)  # JSON has no inf/NaN (a wavelength is inf when a factor drives θ to 0)


def _terminal_text(report: dict[str, Any]) -> str:
    """What ``posenc inspect`` prints, as plain text 100 columns wide."""
    from rich.console import Console

    from posenc.inspector.render import render_report

    console = Console(record=True, width=100, file=io.StringIO(), color_system=None)
    try:
        render_report(report, console)
    except (TypeError, KeyError, ValueError, ArithmeticError) as err:  # the figures above still stand
        log.exception("rendering the inspector report failed")
        return f"(the terminal report could not be rendered: {type(err).__name__}: {err})"
    return console.export_text()


def _plot_svg(report: dict[str, Any]) -> str | None:
    """``posenc inspect --plot`` drawn as SVG in a temporary folder that is then removed."""
    if report.get("family") != "rope":
        return None
    from posenc.inspector.plot import plot_reports

    with tempfile.TemporaryDirectory(prefix="posenc-inspect-") as folder:
        path = plot_reports([report], Path(folder) / "inspect.svg")
        return path.read_text(encoding="utf-8")


def routes(lab: Lab) -> list[BaseRoute]:
    def inspector(request: Request):
        return lab.page(
            request,
            "inspector.html",
            key="inspector",
            title="Inspect a model's config.json",
            bundled=bundled(),
            max_body=MAX_BODY,
            max_depth=MAX_JSON_DEPTH,
            max_length=MAX_LENGTH,
        )

    async def api_inspect(request: Request):
        # it changes nothing, but takes JSON only: a text/plain "simple" request from another site is refused
        kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if kind != "application/json":
            raise HTTPException(415, "send the body as application/json (from the lab's own pages)")
        data = parse_json_body(await request.body())
        async with lab.inspect_gate.admit():  # a bounded queue: 429 at once when full, before a thread
            return JSONResponse(await run_in_threadpool(inspect, data))

    return [
        Route("/inspector", inspector),
        Route("/api/inspect", api_inspect, methods=["POST"]),
    ]
