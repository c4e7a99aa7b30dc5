"""Pages: the rotation playground, the frequency explorer and the inspector, with their JSON routes.

Every number these pages show comes from the library through a JSON route here; the browser only draws:

    GET  /api/rotation      one RoPE pair: q and k rotated to positions m and n, their dot product
                            (``rope.frequencies``, ``rope.cos_sin``, ``rope.apply`` on a 2-D q and k)
    GET  /api/frequencies   per-pair wavelengths before and after a scaling, the scale factors and the
                            attention factor (``rope.frequencies``)
    POST /api/inspect       what ``posenc inspect`` says about a bundled or a pasted config.json
                            (``inspect_config``, ``render_report``, ``plot_reports``)

Every parameter is checked where it enters and a bad one is answered 400 with a message naming it.
torch (through ``posenc.encodings``) is imported inside the routes, never at import time: the lab
answers its first page before torch has loaded.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import math
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from posenc.web.app import BadInput, Lab, memo_json
from posenc.web.guard import MAX_BODY

log = logging.getLogger("posenc.lab")

# --------------------------------------------------------------------------------------------------
# bounds (what the pages offer is a subset; the routes accept these)
# --------------------------------------------------------------------------------------------------

MAX_HEAD_DIM = 1024  # larger than any released model's (Gemma: 256); 512 pairs still draw quickly
MAX_BASE = 1e12  # rope_theta: Llama 3 uses 5e5, Qwen 2.5 1e6, some long-context models 1e8 and more
MAX_FACTOR = 1000.0  # scaling factor s: released models use 4 … 40
MAX_LENGTH = 2**24  # tokens: beyond this float32 positions stop being exact integers
MIN_LENGTH = 16  # tokens: shorter "training lengths" make no sense (and ln(L) = 0 breaks LongRoPE)
MAX_POSITION = 2**16  # playground positions (float32 angles m·θ stay within ~4e-3 rad of exact)
MAX_BETA = 1e4
MAX_FREQ_FACTOR = 1e4  # llama3 low/high_freq_factor

#: the rope_types the explorer offers, and the explorer parameters each one reads besides head_dim
#: and base. Every type of the library's registry (rope_scaling.ROPE_TYPES) is here; a test checks it.
EXPLORER_TYPES: dict[str, tuple[str, ...]] = {
    "default": ("original",),
    "linear": ("factor", "original", "target"),
    "ntk": ("factor", "original", "target"),
    "dynamic": ("factor", "original", "target"),
    "yarn": ("factor", "original", "target", "beta_fast", "beta_slow"),
    "longrope": ("factor", "original", "target"),
    "llama3": ("factor", "original", "target", "low_freq_factor", "high_freq_factor"),
    "minimind_yarn": ("factor", "original", "target", "beta_fast", "beta_slow"),
}
EXPLORER_LABELS = {
    "default": "default: plain RoPE",
    "linear": "linear: Position Interpolation (PI)",
    "ntk": "ntk: fixed NTK-aware base",
    "dynamic": "dynamic: dynamic NTK",
    "yarn": "yarn: YaRN (NTK-by-parts + temperature)",
    "longrope": "longrope: LongRoPE (uniform factors here)",
    "llama3": "llama3: Llama 3.1 bands",
    "minimind_yarn": "minimind_yarn: MiniMind's YaRN",
}
EXPLORER_DEFAULTS: dict[str, Any] = {
    "head_dim": 64,
    "base": 10000.0,
    "rope_type": "yarn",
    "factor": 4.0,
    "original": 2048,
    "target": 8192,
    "beta_fast": 32.0,
    "beta_slow": 1.0,
    "low_freq_factor": 1.0,
    "high_freq_factor": 4.0,
}

MAX_JSON_DEPTH = 32  # a config.json nests 3-4 levels (text_config, rope_scaling, quantization_config)
MAX_ROTARY_INSPECT = 1024  # rotary dims the inspector page renders (its ladder has one row per pair)
#: config keys that size the per-pair work, and those that set the lengths the precision check walks
_DIMENSION_KEYS = ("head_dim", "hidden_size", "n_embd", "d_model", "qk_rope_head_dim", "rotary_dim")
_LENGTH_KEYS = ("max_position_embeddings", "original_max_position_embeddings", "n_positions")


# --------------------------------------------------------------------------------------------------
# reading parameters: every value checked where it enters, the message names the parameter
# --------------------------------------------------------------------------------------------------


def _only(params: QueryParams, allowed: set[str] | tuple[str, ...]) -> None:
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise BadInput(f"unknown parameter {unknown[0]!r}; this route reads: {', '.join(sorted(allowed))}")


def _number(params: QueryParams, name: str, default: float, *, low: float, high: float) -> float:
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


def _integer(params: QueryParams, name: str, default: int, *, low: int, high: int) -> int:
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


def _head_dim(params: QueryParams) -> int:
    head_dim = _integer(params, "head_dim", EXPLORER_DEFAULTS["head_dim"], low=2, high=MAX_HEAD_DIM)
    if head_dim % 2:
        raise BadInput(f"head_dim must be even (RoPE rotates features in pairs), got {head_dim}")
    return head_dim


def _base(params: QueryParams) -> float:
    return _number(params, "base", EXPLORER_DEFAULTS["base"], low=2.0, high=MAX_BASE)


def _library_error(err: ValueError) -> BadInput:
    return BadInput(str(err))


# --------------------------------------------------------------------------------------------------
# rotation playground: GET /api/rotation
# --------------------------------------------------------------------------------------------------

ROTATION_PARAMS = ("m", "n", "theta", "base", "head_dim", "pair", "q_angle", "k_angle")


def _wrap_degrees(angle: float) -> float:
    """An angle in degrees into (−180, 180]."""
    wrapped = math.fmod(angle + 180.0, 360.0)
    wrapped = wrapped + 360.0 if wrapped <= 0 else wrapped
    return wrapped - 180.0


def rotation(params: QueryParams) -> dict[str, Any]:
    """q at position m and k at position n, rotated by the library; the score ⟨R_m q, R_n k⟩.

    Reads ``m``, ``n`` (positions), ``q_angle``, ``k_angle`` (degrees; q and k are unit vectors) and
    either ``theta`` (radians per position) or ``base``, ``head_dim`` and ``pair`` (θ = the pair's
    inverse frequency from ``rope.frequencies``). Also returns the score of the same offset n − m
    with the smaller position moved to 0, to show that only the offset matters.
    """
    _only(params, ROTATION_PARAMS)
    m = _integer(params, "m", 0, low=0, high=MAX_POSITION)
    n = _integer(params, "n", 0, low=0, high=MAX_POSITION)
    q_angle = _number(params, "q_angle", 0.0, low=-360.0, high=360.0)
    k_angle = _number(params, "k_angle", 0.0, low=-360.0, high=360.0)

    import torch

    from posenc.encodings import rope

    if "theta" in params:
        given = [k for k in ("base", "head_dim", "pair") if k in params]
        if given:
            raise BadInput(f"give theta, or base, head_dim and pair, not both (got theta and {given[0]})")
        theta_in = _number(params, "theta", 0.0, low=0.0, high=2 * math.pi)
        inv_freq = torch.tensor([theta_in], dtype=torch.float32)  # θ, [1]: one pair
        source: dict[str, Any] = {"mode": "theta"}
    else:
        head_dim, base = _head_dim(params), _base(params)
        pair = _integer(params, "pair", 0, low=0, high=head_dim // 2 - 1)
        all_freq, _ = rope.frequencies({"head_dim": head_dim, "rope_theta": base})  # θ, [head_dim/2]
        inv_freq = all_freq[pair : pair + 1]  # [1]
        source = {"mode": "pair", "head_dim": head_dim, "base": base, "pair": pair}
    theta = float(inv_freq[0])

    shift = min(m, n)  # the same offset with the smaller position at 0
    positions = torch.tensor([m, n, m - shift, n - shift])  # [4]: q at m, k at n, then the reference
    cos, sin = rope.cos_sin(positions, inv_freq)  # [4, 1] each
    qa, ka = math.radians(q_angle), math.radians(k_angle)
    q, k = [math.cos(qa), math.sin(qa)], [math.cos(ka), math.sin(ka)]
    x = torch.tensor([q, k, q, k], dtype=torch.float64).view(1, 1, 4, 2)  # [b=1, n_h=1, s=4, h_d=2]
    rotated = rope.apply(x, cos, sin, layout="half")[0, 0]  # [4, 2]: R_m q, R_n k, R_m' q, R_n' k
    rq, rk, ref_q, ref_k = (rotated[i].tolist() for i in range(4))
    score = float(rotated[0] @ rotated[1])
    reference = float(rotated[2] @ rotated[3])

    angle_rq = math.degrees(math.atan2(rq[1], rq[0]))
    angle_rk = math.degrees(math.atan2(rk[1], rk[0]))
    between = _wrap_degrees(angle_rk - angle_rq)  # from R_m q to R_n k, signed
    radius = 0.32
    arc = [
        [
            radius * math.cos(math.radians(angle_rq + between * t / 32)),
            radius * math.sin(math.radians(angle_rq + between * t / 32)),
        ]
        for t in range(33)
    ]  # drawing points of the angle between the rotated vectors
    return {
        "m": m,
        "n": n,
        "offset": n - m,
        "theta": theta,
        "wavelength": 2 * math.pi / theta if theta > 0 else None,
        "source": source,
        "q": q,
        "k": k,
        "rq": rq,
        "rk": rk,
        "turn_q_degrees": math.degrees(math.atan2(float(sin[0, 0]), float(cos[0, 0]))),  # m·θ mod 360°
        "turn_k_degrees": math.degrees(math.atan2(float(sin[1, 0]), float(cos[1, 0]))),  # n·θ mod 360°
        "angle_between_degrees": between,
        "arc": arc,
        "score": score,
        "score_unrotated": q[0] * k[0] + q[1] * k[1],
        "reference": {"m": m - shift, "n": n - shift, "score": reference, "rq": ref_q, "rk": ref_k},
    }


# --------------------------------------------------------------------------------------------------
# frequency explorer: GET /api/frequencies
# --------------------------------------------------------------------------------------------------

FREQUENCY_PARAMS = tuple(EXPLORER_DEFAULTS)


def explorer_config(
    params: QueryParams, *, also: tuple[str, ...] = ()
) -> tuple[dict[str, Any], int | None, dict[str, Any]]:
    """The Hugging Face style config the explorer's controls stand for, the ``seq_len`` to compute at,
    and the values read (each checked). ``also``: further parameters the calling route reads itself
    (the angles page's), accepted here instead of refused as unknown."""
    _only(params, FREQUENCY_PARAMS + also)
    rope_type = params.get("rope_type", EXPLORER_DEFAULTS["rope_type"])
    if rope_type not in EXPLORER_TYPES:
        raise BadInput(f"unknown rope_type {rope_type[:40]!r}; choose one of: {', '.join(EXPLORER_TYPES)}")
    v: dict[str, Any] = {"rope_type": rope_type, "head_dim": _head_dim(params), "base": _base(params)}
    v["factor"] = _number(params, "factor", EXPLORER_DEFAULTS["factor"], low=1.0, high=MAX_FACTOR)
    for key in ("original", "target"):
        v[key] = _integer(params, key, EXPLORER_DEFAULTS[key], low=MIN_LENGTH, high=MAX_LENGTH)
    for key in ("beta_fast", "beta_slow"):
        v[key] = _number(params, key, EXPLORER_DEFAULTS[key], low=1e-3, high=MAX_BETA)
    for key in ("low_freq_factor", "high_freq_factor"):
        v[key] = _number(params, key, EXPLORER_DEFAULTS[key], low=1e-3, high=MAX_FREQ_FACTOR)
    if rope_type in ("yarn", "minimind_yarn") and v["beta_fast"] < v["beta_slow"]:
        raise BadInput(f"beta_fast ({v['beta_fast']:g}) must be >= beta_slow ({v['beta_slow']:g})")
    if rope_type == "llama3" and v["low_freq_factor"] >= v["high_freq_factor"]:
        raise BadInput(
            f"low_freq_factor ({v['low_freq_factor']:g}) must be smaller than "
            f"high_freq_factor ({v['high_freq_factor']:g})"
        )

    half = v["head_dim"] // 2
    original, target, factor = v["original"], v["target"], v["factor"]
    scaling: dict[str, Any] = {"rope_type": rope_type}
    max_pos, seq_len = original, None
    if rope_type != "default":
        scaling["factor"] = factor
    if rope_type in ("yarn", "longrope", "llama3", "minimind_yarn"):
        scaling["original_max_position_embeddings"] = original
        max_pos = target  # the extended length (MiniMind: the table length; ramp on only if > original)
    if rope_type in ("yarn", "minimind_yarn"):
        scaling["beta_fast"], scaling["beta_slow"] = v["beta_fast"], v["beta_slow"]
    elif rope_type == "llama3":
        scaling["low_freq_factor"] = v["low_freq_factor"]
        scaling["high_freq_factor"] = v["high_freq_factor"]
    elif rope_type == "longrope":  # a uniform form: real models ship one searched factor per pair
        scaling["short_factor"], scaling["long_factor"] = [1.0] * half, [factor] * half
        seq_len = target  # the long list applies past the original length
    elif rope_type == "dynamic":
        seq_len = target  # dynamic NTK grows the base with the current length
    config = {
        "head_dim": v["head_dim"],
        "rope_theta": v["base"],
        "max_position_embeddings": max_pos,
        "rope_scaling": None if rope_type == "default" else scaling,
    }
    return config, seq_len, v


def _bands(v: dict[str, Any]) -> list[dict[str, Any]]:
    """The wavelengths where a method's treatment of a pair changes (horizontal lines on the plot)."""
    rope_type, original = v["rope_type"], v["original"]
    if rope_type in ("yarn", "minimind_yarn"):
        return [
            {
                "label": f"L/β_fast = {original / v['beta_fast']:.4g}: shorter wavelengths untouched",
                "tokens": original / v["beta_fast"],
            },
            {
                "label": f"L/β_slow = {original / v['beta_slow']:.4g}: longer wavelengths divided by s",
                "tokens": original / v["beta_slow"],
            },
        ]
    if rope_type == "llama3":
        return [
            {
                "label": f"L/high_freq_factor = {original / v['high_freq_factor']:.4g}: shorter kept",
                "tokens": original / v["high_freq_factor"],
            },
            {
                "label": f"L/low_freq_factor = {original / v['low_freq_factor']:.4g}: longer divided by s",
                "tokens": original / v["low_freq_factor"],
            },
        ]
    return []


EXPLORER_NOTES = {
    "default": "plain RoPE: θ_i = base^(−2i/d); nothing is scaled.",
    "linear": "Position Interpolation divides every θ_i by s: all wavelengths grow s×.",
    "ntk": "NTK-aware: a larger base b·s^(d/(d−2)); the fastest pair is untouched, the slowest divided by s.",
    "dynamic": "dynamic NTK: the base grows with the current length; shown at the target length "
    "(plain RoPE up to the original length).",
    "yarn": "YaRN: pairs that turn more than β_fast times in L are untouched, fewer than β_slow times "
    "divided by s, a linear ramp between; cos and sin are multiplied by the attention factor.",
    "longrope": "LongRoPE ships one searched factor per pair (see the Inspector's phi-3-mini-128k); here "
    "every pair gets the same factor s past the original length, which equals PI plus LongRoPE's "
    "attention factor √(1 + ln s / ln L).",
    "llama3": "Llama 3.1: wavelengths shorter than L/high_freq_factor kept, longer than L/low_freq_factor "
    "divided by s, blended smoothly between.",
    "minimind_yarn": "MiniMind's YaRN: the same ramp, clamped at d/2 − 1, attention factor 1, and off "
    "unless the target exceeds the original length.",
}


def frequencies(params: QueryParams) -> dict[str, Any]:
    """Per-pair wavelengths before and after the scaling, scale factors and the attention factor."""
    config, seq_len, v = explorer_config(params)

    from posenc.encodings import rope

    plain = dict(config, rope_scaling=None)
    try:
        inv_scaled, attention = rope.frequencies(config, seq_len=seq_len)  # θ', [d/2]
        inv_plain, _ = rope.frequencies(plain)  # θ, [d/2]
    except ValueError as err:
        raise _library_error(err) from None
    theta, theta_scaled = inv_plain.double(), inv_scaled.double()
    scale = theta / theta_scaled  # [d/2]: θ_plain / θ_scaled, 1 = untouched
    untouched = int(((scale - 1).abs() <= 1e-6).sum())
    divided = int(((scale - v["factor"]).abs() <= 1e-6 * v["factor"]).sum()) if v["factor"] != 1 else 0
    return {
        **v,
        "config": config,
        "seq_len": seq_len,
        "pairs": list(range(len(theta))),
        "inv_freq_plain": theta.tolist(),
        "inv_freq_scaled": theta_scaled.tolist(),
        "wavelength_plain": (2 * math.pi / theta).tolist(),  # tokens per full turn
        "wavelength_scaled": (2 * math.pi / theta_scaled).tolist(),
        "scale": scale.tolist(),
        "attention_factor": attention,
        "counts": {
            "untouched": untouched,
            "divided_by_factor": divided,
            "between": len(scale) - untouched - divided,
        },
        "longest_wavelength_plain": float(2 * math.pi / theta.min()),
        "longest_wavelength_scaled": float(2 * math.pi / theta_scaled.min()),
        "lines": [
            {"label": f"training length L = {v['original']:,}", "tokens": v["original"]},
            *(
                []
                if v["rope_type"] == "default"
                else [{"label": f"target length N = {v['target']:,}", "tokens": v["target"]}]
            ),
        ],
        "bands": _bands(v),
        "note": EXPLORER_NOTES[v["rope_type"]],
    }


# --------------------------------------------------------------------------------------------------
# inspector: POST /api/inspect
# --------------------------------------------------------------------------------------------------


def _reject_constant(name: str) -> None:
    raise BadInput(f"the JSON holds {name}, which is not a number JSON allows; use a finite number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadInput(f"the JSON holds the number {text[:40]} which overflows a float; use a finite number")
    return value


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
        data = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
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


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {dict: "object", list: "array", str: "string", type(None): "null"}.get(type(value), "value")


def _is_size(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_sizes(config: Mapping[str, Any], target_given: bool) -> None:
    """Refuse configs whose sizes would make the analysis slow (the lab answers while you wait):
    dimensions beyond any model's, and, unless a target length is given, lengths beyond 2^24 tokens
    (float32 positions stop being exact; the precision check walks every position). Nested dicts
    (``text_config``, ``rope_scaling``) are checked too."""
    stack: list[tuple[Any, Mapping[str, Any] | None]] = [(config, None)]
    while stack:
        node, parent = stack.pop()
        if isinstance(node, list):
            stack.extend((child, parent) for child in node if isinstance(child, (dict, list)))
            continue
        if not isinstance(node, Mapping):
            continue
        for key in _DIMENSION_KEYS:
            value = node.get(key)
            if _is_size(value) and value > 2**16:
                raise BadInput(f"config {key!r} = {value:g} is larger than the lab inspects (65536)")
        if not target_given:
            for key in _LENGTH_KEYS:
                value = node.get(key)
                if _is_size(value) and value > MAX_LENGTH:
                    raise BadInput(
                        f"config {key!r} = {value:g} is longer than the lab inspects ({MAX_LENGTH:,} = 2^24 "
                        "tokens, where float32 positions stop being exact)"
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
                    f"rope scaling factor × training length = {factor:g} × {original:g} is longer than the "
                    f"lab inspects ({MAX_LENGTH:,} = 2^24 tokens); give a smaller factor or a target_length"
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


def _finite(value: Any) -> Any:
    """JSON has no inf/NaN: they become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


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
    ``target_length`` (tokens) and ``plot`` (true: also the ``--plot`` figure as SVG text)."""
    if not isinstance(data, dict):
        raise BadInput(
            f'send a JSON object {{"config": {{...}}}} or {{"name": "..."}}, got a JSON {_json_type(data)}'
        )
    unknown = sorted(set(data) - {"config", "name", "target_length", "plot"})
    if unknown:
        raise BadInput(
            f"unknown field {unknown[0]!r}; send config or name, and optionally target_length, plot"
        )
    if ("config" in data) == ("name" in data):
        raise BadInput('send exactly one of "config" (a config.json object) and "name" (a bundled example)')
    target = data.get("target_length")
    if target is not None and (
        not isinstance(target, int) or isinstance(target, bool) or not 1 <= target <= MAX_LENGTH
    ):
        raise BadInput(f"target_length must be an integer between 1 and {MAX_LENGTH} (2^24), got {target!r}")
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
        report = inspect_config(config, name, target_length=target, path=shown_path)
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
    if plot:
        out["plot_svg"] = _plot_svg(report)
    return _finite(out)  # JSON has no inf/NaN (a wavelength is inf when a factor drives θ to 0)


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


# --------------------------------------------------------------------------------------------------
# routes
# --------------------------------------------------------------------------------------------------


def routes(lab: Lab) -> list[BaseRoute]:
    def playground(request: Request):
        return lab.page(request, "playground.html", key="playground", title="Rotation playground")

    def explorer(request: Request):
        return lab.page(
            request,
            "explorer.html",
            key="explorer",
            title="Frequency explorer",
            types=EXPLORER_TYPES,
            labels=EXPLORER_LABELS,
            defaults=EXPLORER_DEFAULTS,
            max_length=MAX_LENGTH,
        )

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
        body = await request.body()
        data = parse_json_body(body)
        return JSONResponse(await run_in_threadpool(inspect, data))

    return [
        Route("/playground", playground),
        Route("/explorer", explorer),
        Route("/inspector", inspector),
        Route("/api/rotation", memo_json(rotation, lab.answers)),
        Route("/api/frequencies", memo_json(frequencies, lab.answers)),
        Route("/api/inspect", api_inspect, methods=["POST"]),
    ]
