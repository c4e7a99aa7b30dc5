"""The analysis behind ``posenc inspect``: one JSON-ready report per config.

Every frequency comes from :func:`posenc.encodings.rope.frequencies`; nothing here recomputes RoPE.
:mod:`posenc.inspector.resolve` first finds the model behind the config (wrapper, defaults, which layers
rotate with which RoPE set); each RoPE set is then analysed the same way, and the set of the global
(full-attention) layers, the one that has to cover long distances, fills the report's top-level keys.

Per pair ``i`` of the rotary dimension ``d`` (base ``b``, training length ``L``, target length ``N``):

    θ_i     scaled inverse frequency at the target: ``frequencies(config, seq_len=N)``
    θ⁰_i    the same config with ``rope_type`` default (plain RoPE)
    λ_i     = 2π / θ_i, the wavelength in tokens (positions per full turn)
    s_i     = θ⁰_i / θ_i, the scale factor the method applies to pair i (1 = untouched)

What is explanation, not frequency math, and is computed here from the papers' formulas:

* the critical dimension (Liu et al. 2023, "Scaling Laws of RoPE-based Extrapolation",
  arXiv:2310.05209): pair i completes a full turn within the training length iff
  2π·b^(2i/d) ≤ L, i.e. i ≤ (d/2)·log_b(L/2π); so ``d_extra = 2·⌈(d/2)·log_b(L/2π)⌉`` rotary features
  (d_extra/2 pairs) saw every angle in training and the pairs beyond never saw a full period
  — for Llama 2 (b = 10⁴, d = 128, L = 4096) d_extra = 92;
* YaRN's groups (Peng et al. 2023): λ⁰ < L/β_fast untouched, λ⁰ > L/β_slow interpolated, ramp between;
* Llama 3's bands (Meta 2024): λ⁰ < L/high_freq_factor kept, λ⁰ > L/low_freq_factor divided by the
  factor, smooth in between (no pair when low_freq_factor = high_freq_factor, as in Llama 4);
* dynamic NTK's effective base at N, read back from θ: b' = θ_last^(−d/(d−2)), and transformers'
  closed form b·(s·N/L − (s − 1))^(d/(d−2)) shown beside it;
* the attention temperature: transformers multiplies cos and sin by ``attention_scaling``, so the
  rotated part of every q·k logit is multiplied by its square; DeepSeek-V2/V3 attention instead folds
  mscale(s, mscale_all_dim)² = (0.1·mscale_all_dim·ln s + 1)² into the softmax scale; Llama 4 and
  Ministral 3 scale q by a factor that grows with the position (reported as ``query_scaling``).
"""

from __future__ import annotations

import math
from typing import Any

import torch

from posenc.encodings import rope, rope_types
from posenc.encodings.rope_scaling import DERIVED, ROPE_TYPES
from posenc.inspector import architectures as archs
from posenc.inspector.precision import precision_report
from posenc.inspector.resolve import NotRope, Resolved, mrope_axes, query_scale_at, resolve

CRITICAL_DIMENSION_SOURCE = (
    "Liu et al. 2023, Scaling Laws of RoPE-based Extrapolation (arXiv:2310.05209): "
    "critical dimension for extrapolation d_extra = 2*ceil((d/2)*log_base(L_train/(2*pi)))"
)
MAX_TARGET = 2**24  # beyond this even float32 positions stop being exact integers
NOMINAL_LENGTH = (
    2**19
)  # an unscaled max_position_embeddings past this is rarely a length the model trained at

#: pitfalls about what someone might do with the model, not about the config: shown as notes
NOTE_CODES = frozenset({"low_precision_positions", "fp16_overflow", "fp32_angle_error"})


def inspect_config(
    config: dict[str, Any], name: str = "config", target_length: int | None = None, path: str | None = None
) -> dict[str, Any]:
    """The full report for one config dict (JSON-ready: numbers, strings, lists, dicts, ``None``).

    Non-RoPE configs get a short report (``family`` "none" and what they use instead). Raises
    ``ValueError`` prefixed with ``name`` when the config is malformed, its architecture unsupported, or its
    RoPE set-up cannot be computed.
    """
    head = {"name": name, "path": path, "source": config.get("_source"), "note": config.get("_note")}
    if target_length is not None and not (
        isinstance(target_length, int)
        and not isinstance(target_length, bool)
        and 0 < target_length <= MAX_TARGET
    ):
        raise ValueError(
            f"--target-length must be an integer in 1 … {MAX_TARGET} (2^24), got {target_length!r}"
        )
    try:
        res = resolve(config)
    except NotRope as err:
        encoding, evidence = err.args
        return head | {
            "family": "none",
            "position_encoding": encoding,
            "evidence": evidence,
            "message": _not_rope_message(encoding, evidence),
            "summary": [_not_rope_message(encoding, evidence)],
        }
    except ValueError as err:
        raise ValueError(f"{name}: {err}") from None
    try:
        return head | _model_report(res, target_length)
    except ValueError as err:
        raise ValueError(f"{name}: {err}{_hint(str(err))}") from None


def _not_rope_message(encoding: str, evidence: str) -> str:
    what = {
        "alibi": "ALiBi (Press et al. 2022): linear distance biases on the attention scores, no rotation",
        "learned": "a learned absolute position table added to the embeddings (cannot go past its size)",
        "t5_relative_bias": "T5's bucketed relative position bias on the attention scores",
    }.get(encoding, f"position_embedding_type {encoding!r}")
    return f"not RoPE: this config uses {what} ({evidence}); posenc inspect analyses RoPE set-ups only"


def _hint(message: str) -> str:
    """One more sentence for the two pitfalls that stop the computation itself."""
    if "'factor' must be a number >= 1" in message:
        return (
            " — a factor below 1 shrinks the context instead of extending it (transformers only warns; "
            "posenc refuses)"
        )
    if "rotary dim" in message:
        return " — RoPE rotates features in pairs, so an odd rotary dim leaves one feature without a partner"
    return ""


# --------------------------------------------------------------------------------------------------
# frequencies: rope.frequencies, plus Llama 4's empty blend band
# --------------------------------------------------------------------------------------------------


def _empty_llama3_band(params: rope.RopeParams) -> bool:
    sc = params.scaling
    return (
        params.rope_type == "llama3" and sc.get("low_freq_factor") == sc.get("high_freq_factor") is not None
    )


def _validate(params: rope.RopeParams) -> None:
    """rope.validate, except that Llama 3 scaling with low_freq_factor == high_freq_factor is valid.

    Llama 4 Scout ships it (both 1.0): the blended band between L/high and L/low is empty, every pair is
    either kept or divided by the factor; transformers computes it without complaint.
    """
    try:
        rope.validate(params)
    except ValueError as err:
        if not (_empty_llama3_band(params) and "must be smaller than 'high_freq_factor'" in str(err)):
            raise
    base = params.base
    if isinstance(base, (int, float)) and not isinstance(base, bool) and base <= 1:
        raise ValueError(f"rope_theta (the RoPE base) must be greater than 1, got {base!r}")


def _frequencies(cfg: dict[str, Any], seq_len: int | None = None) -> tuple[torch.Tensor, float]:
    """rope.frequencies(cfg, seq_len), reaching the same registry function directly for an empty Llama 3
    band (which rope.validate does not accept yet)."""
    params = rope.params_from_config(cfg)
    if _empty_llama3_band(params):
        _validate(params)
        inv_freq, attention_scaling = ROPE_TYPES["llama3"](params, seq_len)
        return inv_freq.to(torch.float32), float(attention_scaling)
    return rope.frequencies(cfg, seq_len=seq_len)


# --------------------------------------------------------------------------------------------------
# the model: layers, RoPE sets, mrope, query scaling
# --------------------------------------------------------------------------------------------------


def _primary_set(res: Resolved) -> str:
    """The RoPE set of the global (full-attention) layers, else the first one used."""
    for layer in res.layers:
        if layer.layer_type == archs.FULL and layer.rope_set is not None:
            return layer.rope_set
    return next(iter(res.rope_sets))


def _window(res: Resolved, layer_type: str) -> tuple[int | None, str | None]:
    """(tokens a layer of this type attends back, "sliding" or "chunk"), or (None, None) for full "
    "attention."""
    cfg, mode = res.config, res.arch.window if res.arch is not None else "none"
    if layer_type == archs.CHUNKED:
        return cfg.get("attention_chunk_size"), "chunk"
    if layer_type in archs.NO_ATTENTION:
        return None, None
    if mode == "all" or (mode == "sliding_layers" and layer_type == archs.SLIDING):
        window, max_pos = cfg.get("sliding_window"), cfg.get("max_position_embeddings")
        # a window as long as the model's whole length (Phi-3.5: 131,072) limits nothing
        if (
            isinstance(window, int)
            and not isinstance(window, bool)
            and 0 < window
            and not (isinstance(max_pos, int) and window >= max_pos)
        ):
            return window, "sliding"
    return None, None


def layer_ranges(indices: list[int]) -> str:
    """``[0, 1, 2, 4, 6, 7]`` → ``"0–2, 4, 6–7"``."""
    parts, start = [], None
    for k, i in enumerate(indices):
        if start is None:
            start = i
        if k + 1 == len(indices) or indices[k + 1] != i + 1:
            parts.append(f"{start}" if start == i else f"{start}–{i}")
            start = None
    return ", ".join(parts)


def _layer_groups(res: Resolved) -> list[dict[str, Any]]:
    """Layers grouped by (type, RoPE set, window), in order of first appearance."""
    groups: dict[tuple, dict[str, Any]] = {}
    for layer in res.layers:
        window, kind = _window(res, layer.layer_type)
        key = (layer.layer_type, layer.rope_set, layer.why_none, window)
        group = groups.setdefault(
            key,
            {
                "layer_type": layer.layer_type,
                "rope_set": layer.rope_set,
                "why_no_rope": layer.why_none,
                "window": window,
                "window_kind": kind,
                "layers": [],
            },
        )
        group["layers"].append(layer.index)
    return [g | {"count": len(g["layers"]), "ranges": layer_ranges(g["layers"])} for g in groups.values()]


def _set_entry(
    set_id: str, cfg: dict[str, Any], res: Resolved, sub: dict[str, Any], groups: list[dict[str, Any]]
) -> dict[str, Any]:
    """One RoPE set: which layers use it, and its inverse frequencies and attention factor as transformers
    builds them when the model loads (``seq_len`` None; LongRoPE's long list shown beside the short one)."""
    params = rope.params_from_config(cfg)
    inv_freq, attention_scaling = _frequencies(cfg)  # [d/2], as the rotary module holds it after __init__
    mine = [g for g in groups if g["rope_set"] == set_id]
    layers = sorted(i for g in mine for i in g["layers"])
    windows = {g["window"] for g in mine}
    entry = {
        "id": set_id,
        "layer_types": sorted({g["layer_type"] for g in mine}),
        "layers": layers,
        "count": len(layers),
        "ranges": layer_ranges(layers),
        "windows": sorted(w for w in windows if w is not None),
        "unwindowed_layers": any(w is None for w in windows),
        "rope_type": params.rope_type,
        "base": float(params.base),
        "head_dim": sub["head_dim"],
        "rotary_dim": params.rotary_dim,
        "factor": sub["factor"],
        "inv_freq": inv_freq.tolist(),
        "attention_scaling": attention_scaling,
        "training_length": sub["training_length"],
        "training_length_from": sub["training_length_from"],
        "target_length": sub["target_length"],
        "scaling_summary": sub["scaling"]["summary"],
        "base_from": res.theta_from.get(set_id, "rope_theta"),
        "long": None,
    }
    entry["description"] = _rope_words(entry)
    if params.rope_type == "longrope":
        original = params.scaling["original_max_position_embeddings"]
        long_inv, long_scaling = _frequencies(cfg, seq_len=original + 1)
        entry["long"] = {
            "inv_freq": long_inv.tolist(),
            "attention_scaling": long_scaling,
            "applies_above": original,
            "summary": (
                f"transformers starts with short_factor and switches every layer to long_factor once a "
                f"sequence is longer than {original:,} tokens"
            ),
        }
    return entry


def _mrope_report(res: Resolved, rotary_dim: int) -> dict[str, Any] | None:
    if res.mrope is None:
        return None
    axes = mrope_axes(res.mrope, rotary_dim // 2)
    pairs = {axis: [i for i, a in enumerate(axes) if a == axis] for axis in ("T", "H", "W")}
    names = {"T": "temporal", "H": "height", "W": "width"}
    how = "interleaved T, H, W, T, H, W and so on" if res.mrope["interleaved"] else "in contiguous sections"
    parts = [
        f"{len(pairs[a])} with the {names[a]} ({a}) position: pairs {layer_ranges(pairs[a])}" for a in pairs
    ]
    return res.mrope | {
        "axis_of_pair": axes,
        "pairs": pairs,
        "summary": (
            f"multimodal RoPE (mrope_section {res.mrope['section']}, {how}; {res.mrope['why']}): of the "
            f"{rotary_dim // 2} pairs, "
            + "; ".join(parts)
            + ". For text tokens all three positions are equal, "
            "so text alone sees plain RoPE"
        ),
    }


def _query_entries(res: Resolved, groups: list[dict[str, Any]], train: int, target: int) -> list[dict]:
    out = []
    nope = sorted(
        i for g in groups if g["rope_set"] is None and "NoPE" in (g["why_no_rope"] or "") for i in g["layers"]
    )
    attending = sorted(i for g in groups if g["layer_type"] not in archs.NO_ATTENTION for i in g["layers"])
    for q in res.query_scaling:
        layers = nope if q["layers"] == "nope" else attending
        at_train, at_target = query_scale_at(q, train - 1), query_scale_at(q, target - 1)
        out.append(
            q
            | {
                "layer_indices": layers,
                "at_training_length": at_train,
                "at_target_length": at_target,
                "summary": (
                    f"{q['name']}: {q['formula']} with "
                    + (
                        f"attn_scale {q['beta']:g}, floor_scale {q['period']:,}"
                        if q["offset"]
                        else f"β = {q['beta']:g}, original_max_position_embeddings {q['period']:,}"
                    )
                    + f" on {len(layers)} layers ({layer_ranges(layers)}): ×{at_train:.4g} at position "
                    f"{train - 1:,}, ×{at_target:.4g} at {target - 1:,}. It multiplies q by a factor that "
                    "grows "
                    "with the position (sharper attention far out), unlike an mscale that multiplies the "
                    "softmax scale for every position alike"
                ),
            }
        )
    return out


def _model_report(res: Resolved, target_arg: int | None) -> dict[str, Any]:
    if not res.rope_sets:
        raise ValueError(
            "no layer of this model rotates q/k (every layer is NoPE, linear attention or convolution)"
        )
    groups = _layer_groups(res)
    primary = _primary_set(res)
    report = _rope_report(res.rope_sets[primary], res, target_arg, precision=True, primary=primary)
    target, train = report["target_length"], report["training_length"]
    subs = {
        set_id: report
        if set_id == primary
        else _rope_report(cfg, res, target, precision=False, primary=set_id)
        for set_id, cfg in res.rope_sets.items()
    }
    sets = [_set_entry(set_id, cfg, res, subs[set_id], groups) for set_id, cfg in res.rope_sets.items()]
    mrope = _mrope_report(res, report["rotary_dim"])
    if mrope is not None:
        for pair, axis in zip(report["pairs"], mrope["axis_of_pair"], strict=True):
            pair["axis"] = axis
    without = [g for g in groups if g["rope_set"] is None]
    report.update(
        architecture={
            "model_type": res.model_type,
            "declared_model_type": res.declared_type,
            "config_class": res.arch.source if res.arch is not None else None,
            "wrapper": res.wrapper,
            "remote_code": res.remote_code,
            "layout": res.layout,
            "layout_why": res.layout_why,
            "defaults_filled": res.defaults,
        },
        layers={
            "count": len(res.layers),
            "groups": groups,
            "types": [layer.layer_type for layer in res.layers],
        },
        rope_sets=sets,
        primary_rope_set=primary,
        layers_without_rope={
            "count": sum(g["count"] for g in without),
            "layers": sorted(i for g in without for i in g["layers"]),
            "groups": [
                {"why": g["why_no_rope"], "layers": g["layers"], "ranges": g["ranges"]} for g in without
            ],
        },
        mrope=mrope,
        query_scaling=_query_entries(res, groups, train, target),
    )
    primary_entry = next(s for s in sets if s["id"] == primary)
    report["pitfalls"] = _pitfalls(report, res, primary_entry)
    report["summary"] = _summary(report, res)
    return report


# --------------------------------------------------------------------------------------------------
# one RoPE set
# --------------------------------------------------------------------------------------------------


def _with_default_rope(cfg: dict[str, Any]) -> dict[str, Any]:
    """The same config with ``rope_type`` default (base and partial rotary factor kept)."""
    out = dict(cfg)
    for key in ("rope_scaling", "rope_parameters"):
        if isinstance(out.get(key), dict):
            kept = {k: v for k, v in out[key].items() if k in ("rope_theta", "partial_rotary_factor")}
            out[key] = kept | {"rope_type": "default"}
    return out


def _head_dim(cfg: dict[str, Any]) -> tuple[int, str]:
    if cfg.get("head_dim") is not None:
        return cfg["head_dim"], "config"
    return cfg["hidden_size"] // cfg["num_attention_heads"], "derived"


def _lengths(
    params: rope.RopeParams, cfg: dict[str, Any], target_arg: int | None, arch: archs.Architecture | None
) -> tuple[int, str, int, str]:
    """(training length, where from, target length, where from)."""
    original = params.scaling.get("original_max_position_embeddings") or cfg.get(
        "original_max_position_embeddings"
    )
    max_pos = params.max_position_embeddings
    factor = _factor(params)
    if factor is not None and factor > MAX_TARGET:
        raise ValueError(
            f"rope scaling 'factor' = {factor:g} would stretch the context past 2^24 = {MAX_TARGET:,} "
            "positions (where float32 positions stop being exact); "
            "real configs use factors up to a few hundred"
        )
    if original:
        train, train_from = int(original), "original_max_position_embeddings"
    elif arch is not None and arch.training_length is not None:
        train, train_from = arch.training_length
    elif params.rope_type == "linear" and factor and max_pos:
        # linear scaling without an original length: max_position_embeddings is already the extended length
        # (Gemma 3: 131,072 with factor 8); the scaled angles at max_pos are plain RoPE's at max_pos / factor
        train = max(1, round(max_pos / factor))
        train_from = (
            f"max_position_embeddings / factor = {max_pos:,} / {factor:g}: linear scaling makes the angles "
            "at "
            f"{max_pos:,} those plain RoPE reaches at {train:,}"
        )
    elif max_pos:
        train, train_from = int(max_pos), "max_position_embeddings"
    else:
        raise ValueError(
            "config needs 'max_position_embeddings' (or 'original_max_position_embeddings') to know the "
            "training length"
        )
    if target_arg is not None:
        return train, train_from, target_arg, "--target-length"
    if max_pos and max_pos > train:
        target, target_from = int(max_pos), "max_position_embeddings"
    elif factor and params.rope_type != "default":
        target, target_from = int(round(factor * train)), "factor × training length"
    else:
        target, target_from = train, "training length (no scaling)"
    if target > MAX_TARGET:
        field = {"max_position_embeddings": target_from, "factor × training length": f"factor × {train_from}"}
        raise ValueError(
            f"{field.get(target_from, train_from)} = {target:,} is beyond 2^24 = {MAX_TARGET:,}, where "
            "float32 "
            "positions stop being exact integers; pass --target-length N to analyse a shorter length"
        )
    return train, train_from, target, target_from


def _factor(params: rope.RopeParams) -> float | None:
    factor = params.scaling.get("factor")
    if factor is None and params.rope_type == "longrope" and params.max_position_embeddings:
        original = params.scaling.get("original_max_position_embeddings")
        factor = params.max_position_embeddings / original if original else None
    return factor


def _parameters(
    cfg: dict[str, Any], params: rope.RopeParams, attention_scaling: float, res: Resolved, set_id: str
) -> list[dict[str, Any]]:
    """Every parameter the method reads, with where its value comes from: config, a default, or derived."""
    scaling_source = {}
    for key in ("rope_scaling", "rope_parameters"):
        if isinstance(cfg.get(key), dict):
            scaling_source.update(cfg[key])
    head_dim, head_from = _head_dim(cfg)
    partial_given = cfg.get("partial_rotary_factor", scaling_source.get("partial_rotary_factor"))
    theta_given = scaling_source.get("rope_theta", cfg.get("rope_theta"))
    rows = [
        {
            "name": "rope_theta",
            "value": params.base,
            "source": "config" if theta_given is not None else "default",
        },
        {"name": "head_dim", "value": head_dim, "source": head_from},
        {
            "name": "partial_rotary_factor",
            "value": 1.0 if partial_given is None else partial_given,
            "source": "config" if partial_given is not None else "default",
        },
        {"name": "rotary_dim", "value": params.rotary_dim, "source": "derived"},
        {
            "name": "max_position_embeddings",
            "value": params.max_position_embeddings,
            "source": "config" if params.max_position_embeddings is not None else "absent",
        },
        {
            "name": "rope_type",
            "value": params.rope_type,
            "source": "config" if params.rope_type != "default" or scaling_source else "default",
        },
    ]
    for key, default in rope_types.keys(params.rope_type).items():
        value = params.scaling.get(key)
        if value is not None:
            source = "config"
        elif default == DERIVED:
            value = attention_scaling if key == "attention_factor" else _factor(params)
            source = "derived"
        else:
            value, source = default, "default"
        rows.append({"name": key, "value": value, "source": source})
    defaulted = {d["name"]: d["from"] for d in res.defaults}
    theta_key = res.theta_from.get(set_id, "rope_theta")
    renamed = dict(res.renamed) | ({"rope_theta": theta_key} if theta_key != "rope_theta" else {})
    for row in rows:  # values read under another name, or filled in from the model type's defaults
        name = renamed.get(row["name"], row["name"])
        if name in defaulted and row["source"] in ("config", "default"):
            row["source"] = f"{defaulted[name]}" + (f" ({name})" if name != row["name"] else "")
        elif row["source"] == "config" and name != row["name"]:
            row["source"] = f"config: {name}"
    return rows


def _pairs_of(layout: str, d: int, i: int) -> list[int]:
    """The two features pair i rotates: (i, i + d/2) in the half layout, (2i, 2i + 1) interleaved."""
    return [2 * i, 2 * i + 1] if layout == archs.INTERLEAVED else [i, i + d // 2]


def _rope_report(
    cfg: dict[str, Any], res: Resolved, target_arg: int | None, precision: bool, primary: str
) -> dict[str, Any]:
    params = rope.params_from_config(cfg)
    _validate(params)
    rope_type, d, base = params.rope_type, params.rotary_dim, float(params.base)
    train, train_from, target, target_from = _lengths(params, cfg, target_arg, res.arch)

    inv_freq, attention_scaling = _frequencies(cfg, seq_len=target)  # θ, [d/2]
    inv_default, _ = _frequencies(_with_default_rope(cfg), seq_len=target)  # θ⁰, [d/2]
    theta, theta0 = inv_freq.double(), inv_default.double()
    wavelength, wavelength0 = 2 * math.pi / theta, 2 * math.pi / theta0  # λ, λ⁰ in tokens, [d/2]
    scale = theta0 / theta  # s_i, [d/2]
    full_turn = wavelength0 <= train  # [d/2] bool
    # the angle range a pair covers: [0, L·θ⁰) in training, [0, N·θ) at the target
    beyond = (~full_turn) & (target * theta > train * theta0 * (1 + 1e-6))  # [d/2] bool

    critical = _critical_dimension(d, base, train, res.layout)
    scaling = _scaling(cfg, params, train, target, wavelength0, scale, inv_freq, train_from)
    groups = scaling.pop("groups", None)
    pairs = [
        {
            "pair": i,
            "dims": _pairs_of(res.layout, d, i),
            "inv_freq_default": float(theta0[i]),
            "inv_freq": float(theta[i]),
            "wavelength_default": float(wavelength0[i]),
            "wavelength": float(wavelength[i]),
            "scale_factor": float(scale[i]),
            "turns_in_training": float(train / wavelength0[i]),
            "full_turn_in_training": bool(full_turn[i]),
            "angles_beyond_training": bool(beyond[i]),
            "group": None if groups is None else groups[i],
        }
        for i in range(d // 2)
    ]
    return {
        "family": "rope",
        "position_encoding": "rope",
        "evidence": res.evidence,
        "aliases": list(res.notes),
        "rope_type": rope_type,
        "parameters": _parameters(cfg, params, attention_scaling, res, primary),
        "head_dim": _head_dim(cfg)[0],
        "rotary_dim": d,
        "layout": res.layout,
        "base": base,
        "training_length": train,
        "training_length_from": train_from,
        "target_length": target,
        "target_length_from": target_from,
        "factor": _factor(params),
        "critical_dimension": critical | {"pairs_with_full_turn": int(full_turn.sum())},
        "pairs_beyond_training_angles": int(beyond.sum()),
        "longest_wavelength": float(wavelength.max()),
        "scaling": scaling,
        "attention": _attention(cfg, params, attention_scaling, res),
        "precision": precision_report(target, float(inv_freq.max())) if precision else None,
        "pairs": pairs,
        "rope_config": cfg,
    }


def _critical_dimension(d: int, base: float, train: int, layout: str) -> dict[str, Any]:
    """Liu et al. 2023's d_extra = 2·⌈(d/2)·log_b(L/2π)⌉, clamped to [0, d]."""
    x = (d / 2) * math.log(train / (2 * math.pi)) / math.log(base)
    d_extra = min(d, max(0, 2 * math.ceil(x)))
    k = d_extra // 2
    if layout == archs.INTERLEAVED:
        features = f"rotary features {d_extra} to {d - 1}: pairs (2i, 2i + 1), i ≥ {k}"
    else:
        features = (
            f"rotary features {k} to {d // 2 - 1} and {d // 2 + k} to {d - 1}: "
            f"pairs (i, i + {d // 2}), i ≥ {k}"
        )
    return {
        "d_extra": d_extra,
        "pairs_below": k,
        "features_beyond": features if d_extra < d else "none",
        "formula": "d_extra = 2*ceil((d/2)*log_base(L_train/(2*pi)))",
        "values": {"d": d, "base": base, "L_train": train},
        "citation": CRITICAL_DIMENSION_SOURCE,
    }


# --------------------------------------------------------------------------------------------------
# what the scaling does, per method
# --------------------------------------------------------------------------------------------------


def _ramp_index(d: int, base: float, length: int, beta: float) -> float:
    """Fractional pair index where a pair turns exactly β times over ``length``: d·ln(L/2πβ)/(2 ln b)."""
    return d * math.log(length / (2 * math.pi * beta)) / (2 * math.log(base))


def _scaling(
    cfg: dict[str, Any],
    params: rope.RopeParams,
    train: int,
    target: int,
    wavelength0: torch.Tensor,
    scale: torch.Tensor,
    inv_freq: torch.Tensor,
    train_from: str,
) -> dict[str, Any]:
    rope_type, d, base, s = params.rope_type, params.rotary_dim, float(params.base), _factor(params)
    sc = params.scaling
    if rope_type == "default":
        return {"summary": "plain RoPE: no scaling; every pair keeps θ_i = base^(-2i/d)"}
    if rope_type == "linear":
        summary = (
            f"Position Interpolation: every pair's frequency divided by {s:g} (positions squeezed {s:g}×)"
        )
        if train_from.startswith("max_position_embeddings / factor"):
            summary += f": the angles at {target:,} equal plain RoPE's at {train:,}"
        return {"summary": summary}
    if rope_type in ("ntk", "dynamic"):
        effective = float(inv_freq[-1].double() ** (-d / (d - 2)))  # b' from θ_last = b'^(-(d-2)/d)
        out = {"effective_base": effective, "base_ratio": effective / base}
        if rope_type == "ntk":
            closed = base * s ** (d / (d - 2))
            return out | {
                "closed_form_base": closed,
                "summary": (
                    f"fixed NTK-aware scaling: base {base:g} → {effective:.6g} = base·s^(d/(d-2)); "
                    "the fastest pair is untouched, the slowest divided by s"
                ),
            }
        max_pos = params.max_position_embeddings
        n = max(target, max_pos)
        closed = base * ((s * n / max_pos) - (s - 1)) ** (d / (d - 2))
        active = target > max_pos
        return out | {
            "closed_form_base": closed,
            "active": active,
            "summary": (
                f"dynamic NTK: at the target {target} the base grows from {base:g} to {effective:.6g} "
                f"= base·((s·N/L) − (s − 1))^(d/(d−2)) with s = {s:g}, "
                f"L = max_position_embeddings = {max_pos}"
                + ("" if active else "; inactive: the target does not exceed max_position_embeddings")
            ),
        }
    if rope_type in ("yarn", "minimind_yarn"):
        return _yarn(cfg, params, train, wavelength0)
    if rope_type == "llama3":
        low, high = sc["low_freq_factor"], sc["high_freq_factor"]
        kept_below, divided_above = train / high, train / low
        groups = [
            "kept" if w < kept_below else "divided" if w > divided_above else "smooth"
            for w in wavelength0.tolist()
        ]
        band = (
            f"{groups.count('smooth')} blended smoothly in between"
            if low != high
            else "no blended band: low_freq_factor = high_freq_factor (as Llama 4 sets them), so every pair "
            "is either kept or divided"
        )
        return {
            "groups": groups,
            "bands": {
                "kept": {"wavelength_below": kept_below, "pairs": groups.count("kept")},
                "smooth": {"pairs": groups.count("smooth")},
                "divided": {"wavelength_above": divided_above, "pairs": groups.count("divided"), "by": s},
            },
            "summary": (
                f"Llama 3: pairs with wavelength < L/high_freq_factor = {kept_below:g} kept "
                f"({groups.count('kept')}), > L/low_freq_factor = {divided_above:g} divided by {s:g} "
                f"({groups.count('divided')}), {band}"
            ),
        }
    if rope_type == "longrope":
        use_long = target > train
        which = "long_factor" if use_long else "short_factor"
        short, long = (torch.tensor(sc[k], dtype=torch.float64) for k in ("short_factor", "long_factor"))
        return {
            "list_at_target": which,
            "switch_length": train,
            "short_factor_range": [float(short.min()), float(short.max())],
            "long_factor_range": [float(long.min()), float(long.max())],
            "summary": (
                f"LongRoPE: one searched factor per pair, two lists. short_factor "
                f"({float(short.min()):.3g} to {float(short.max()):.3g}) while a sequence is at most "
                f"{train:,} "
                f"tokens, long_factor ({float(long.min()):.3g} to {float(long.max()):.3g}) beyond; "
                "transformers "
                f"loads with the short list. At the target {target:,} the {which} list applies"
            ),
        }
    return {"summary": f"rope_type {rope_type}"}


def _yarn(
    cfg: dict[str, Any], params: rope.RopeParams, train: int, wavelength0: torch.Tensor
) -> dict[str, Any]:
    d, base, sc = params.rotary_dim, float(params.base), params.scaling
    defaults = rope_types.keys(params.rope_type)
    beta_fast = sc.get("beta_fast") or defaults["beta_fast"]
    beta_slow = sc.get("beta_slow") or defaults["beta_slow"]
    s = sc["factor"]
    untouched_below, interpolated_above = train / beta_fast, train / beta_slow
    groups = [
        "untouched" if w <= untouched_below else "interpolated" if w >= interpolated_above else "ramp"
        for w in wavelength0.tolist()
    ]
    out: dict[str, Any] = {
        "groups": groups,
        "bands": {
            "untouched": {"wavelength_below": untouched_below, "pairs": groups.count("untouched")},
            "ramp": {"pairs": groups.count("ramp")},
            "interpolated": {
                "wavelength_above": interpolated_above,
                "pairs": groups.count("interpolated"),
                "by": s,
            },
        },
        "ramp_pair_index": {
            "beta_fast": _ramp_index(d, base, train, beta_fast),
            "beta_slow": _ramp_index(d, base, train, beta_slow),
        },
        "summary": (
            f"{'MiniMind YaRN' if params.rope_type == 'minimind_yarn' else 'YaRN'}: "
            f"pairs turning more than β_fast = {beta_fast:g} times in L = {train} (wavelength < "
            f"{untouched_below:g}) untouched ({groups.count('untouched')}), "
            f"fewer than β_slow = {beta_slow:g} "
            f"(wavelength > {interpolated_above:g}) interpolated by {s:g} ({groups.count('interpolated')}), "
            f"{groups.count('ramp')} on the linear ramp between"
        ),
    }
    if params.rope_type == "minimind_yarn":
        out |= _minimind_vs_transformers(cfg, params)
        if not params.max_position_embeddings / train > 1.0:
            out["groups"] = None
            out["summary"] = (
                "MiniMind YaRN inactive: max_position_embeddings does not exceed the original length, "
                "so MiniMind keeps plain RoPE"
            )
    return out


def _minimind_vs_transformers(cfg: dict[str, Any], params: rope.RopeParams) -> dict[str, Any]:
    """What transformers' ``yarn`` gives for the same keys (MiniMind's own config says ``"type": "yarn"``)."""
    as_yarn = _with_rope_type(cfg, "yarn")
    inv_mm, _ = rope.frequencies(cfg)
    inv_hf, attention_hf = rope.frequencies(as_yarn)
    without_attention = _with_rope_type(cfg, "yarn", drop=("attention_factor",))
    _, attention_hf_default = rope.frequencies(without_attention)
    diff = float(((inv_hf.double() - inv_mm.double()).abs() / inv_mm.double()).max())
    return {
        "transformers_yarn": {
            "max_relative_difference_inv_freq": diff,
            "attention_scaling": attention_hf,
            "attention_scaling_without_attention_factor": attention_hf_default,
            "summary": (
                f"transformers' yarn on the same keys: inv_freq differs by at most {diff:.2g} (relative); "
                f"attention scaling {attention_hf:g} because the config sets attention_factor, "
                f"{attention_hf_default:.4g} (= 0.1·ln(s) + 1) without it. The methods differ only in the "
                "ramp's upper clamp (d/2 − 1 vs d − 1) and in MiniMind skipping the ramp when its table is "
                "not longer than the original length"
            ),
        }
    }


def _with_rope_type(cfg: dict[str, Any], rope_type: str, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    out = dict(cfg)
    for key in ("rope_scaling", "rope_parameters"):
        if isinstance(out.get(key), dict):
            kept = {k: v for k, v in out[key].items() if k not in ("type", "rope_type", *drop)}
            out[key] = kept | {"rope_type": rope_type}
    return out


# --------------------------------------------------------------------------------------------------
# attention temperature
# --------------------------------------------------------------------------------------------------


def _attention(
    cfg: dict[str, Any], params: rope.RopeParams, attention_scaling: float, res: Resolved
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "attention_scaling": attention_scaling,
        "applied_to": "cos and sin (transformers multiplies both by attention_scaling)",
        "rotated_logit_multiplier": attention_scaling**2,
        "softmax_scale_multiplier": None,
    }
    lines = [
        f"attention_scaling = {attention_scaling:.6g} multiplies cos and sin, so q and k are both scaled and "
        f"the rotated part of every q·k logit is multiplied by {attention_scaling**2:.6g}"
    ]
    if params.rope_type == "yarn":
        lines.append(
            "YaRN's temperature: √(1/t) = 0.1·ln(s) + 1 (Peng et al. 2023), unless attention_factor "
            "or mscale/mscale_all_dim are given"
        )
    elif params.rope_type == "longrope":
        lines.append("LongRoPE/Phi-3: √(1 + ln(s)/ln(L)) with s = max_position_embeddings / original")
    mla = res.arch.mla if res.arch is not None else cfg.get("qk_nope_head_dim") is not None
    mscale_all_dim = params.scaling.get("mscale_all_dim")
    if mla and params.rope_type != "default" and mscale_all_dim and params.scaling.get("factor"):
        s = params.scaling["factor"]
        m = 0.1 * mscale_all_dim * math.log(s) + 1.0 if s > 1 else 1.0
        out["softmax_scale_multiplier"] = m * m
        qk = None
        if cfg.get("qk_nope_head_dim") is not None and cfg.get("qk_rope_head_dim") is not None:
            qk = cfg["qk_nope_head_dim"] + cfg["qk_rope_head_dim"]
            out["qk_head_dim"] = qk
            out["softmax_scale"] = qk**-0.5 * m * m
        lines.append(
            f"DeepSeek-V2/V3 attention also multiplies the softmax scale by mscale(s, mscale_all_dim)² = "
            f"(0.1·{mscale_all_dim:g}·ln {s:g} + 1)² = {m * m:.6g}"
            + (f" (softmax scale {qk}^-0.5 × {m * m:.4g} = {qk**-0.5 * m * m:.6g})" if qk else "")
            + "; it acts on all q·k features, not only the rotated ones (transformers' yarn_apply_mscale, "
            "DeepSeek's MLA softmax_scale *= mscale**2)"
        )
    elif mscale_all_dim and params.rope_type == "yarn":
        lines.append(
            f"mscale_all_dim = {mscale_all_dim:g} only enters attention_scaling here: this architecture "
            "folds no "
            "mscale² into the softmax scale (only DeepSeek's multi-head latent attention does)"
        )
    out["explanation"] = ". ".join(lines)
    return out


# --------------------------------------------------------------------------------------------------
# pitfalls: warnings about the config, info, and notes (advice about what one might do with the model)
# --------------------------------------------------------------------------------------------------


def _pitfalls(r: dict[str, Any], res: Resolved, primary: dict[str, Any]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []

    def add(code: str, severity: str, message: str) -> None:
        out.append({"code": code, "severity": "note" if code in NOTE_CODES else severity, "message": message})

    rope_type, train, target, factor = r["rope_type"], r["training_length"], r["target_length"], r["factor"]
    crit = r["critical_dimension"]
    max_pos = res.rope_sets[r["primary_rope_set"]].get("max_position_embeddings")
    params = rope.params_from_config(r["rope_config"])
    original = params.scaling.get("original_max_position_embeddings")
    # every layer of this RoPE set attends within a window no longer than the training length: the relative
    # distances RoPE encodes there never exceed the window, whatever the absolute position
    windowed = not primary["unwindowed_layers"] and primary["windows"] and max(primary["windows"]) <= train
    if windowed:
        add(
            "windowed_rope",
            "info",
            f"every layer rotating with this RoPE attends at most {max(primary['windows']):,} tokens back "
            f"(≤ the training length {train:,}): the distances it encodes stay within what training covered, "
            "whatever the position",
        )
    if rope_type == "yarn" and original and max_pos and max_pos != original and factor * original != max_pos:
        add(
            "lengths_disagree",
            "warning",
            f"factor × original_max_position_embeddings = {factor:g} × {original:,} = "
            f"{factor * original:,.0f}, "
            f"but max_position_embeddings is {max_pos:,}: transformers warns and uses the explicit factor "
            "(these "
            "frequencies), while servers that size the context from max_position_embeddings stop at "
            f"{max_pos:,}; make the two agree (for {factor:g}×, max_position_embeddings = "
            f"{factor * original:,.0f})",
        )
    if rope_type == "default" and max_pos and max_pos > NOMINAL_LENGTH and not res.query_scaling:
        add(
            "nominal_length",
            "warning",
            f"max_position_embeddings {max_pos:,} with no RoPE scaling: a length this large is often nominal "
            "(the size of a table, not a length the model trained at; Mistral Nemo's 1,024,000 next to a "
            "128k "
            "training context); check the model card before relying on it",
        )
    if rope_type == "default" and target > train and not windowed:
        add(
            "target_beyond_training",
            "warning",
            f"no RoPE scaling and the target {target:,} exceeds the training length {train:,}: the "
            f"{r['rotary_dim'] // 2 - crit['pairs_with_full_turn']} pairs past the critical dimension "
            f"(d_extra = {crit['d_extra']}) reach angles never seen in training",
        )
    static = rope_types.static_factor(rope_type)
    if static and factor and target > factor * train * (1 + 1e-9) and not windowed:
        add(
            "target_beyond_scaled_length",
            "warning",
            f"the target {target:,} is beyond factor × training length = {factor:g} × {train:,} = "
            f"{factor * train:,.0f}, the length this scaling alone was designed for (fine only if the model "
            "was "
            "trained further at that length, as Llama 3.1 was)",
        )
    if r["longest_wavelength"] < target and not windowed:
        add(
            "longest_wavelength_short",
            "warning",
            f"the longest wavelength ({r['longest_wavelength']:,.0f} tokens) is shorter than the target "
            f"{target:,}: every pair wraps around within the window, so no pair measures distances across "
            "all of it",
        )
    if rope_type != "default" and r["pairs_beyond_training_angles"] and not windowed:
        add(
            "angles_beyond_training",
            "warning",
            f"{r['pairs_beyond_training_angles']} pairs that never completed a turn in training rotate "
            "further "
            f"at the target {target:,} than they ever did in training (out-of-distribution angles)",
        )
    bf16, fp16, fp32 = (r["precision"][k] for k in ("bf16", "fp16", "fp32"))
    if bf16["collapsed_positions"]:
        err = bf16["max_angle_error_cast_positions"]
        add(
            "low_precision_positions",
            "note",
            f"if positions were cast to bf16 (a bug transformers and posenc avoid), only "
            f"{bf16['distinct_positions']:,} of {target:,} would stay distinct (fp16: "
            f"{fp16['distinct_positions']:,}) and the fastest pair's angle would be off by up to {err:,.3g} "
            "rad: "
            "form angles from integer positions in fp32",
        )
    if fp16["overflow_positions"]:
        add(
            "fp16_overflow",
            "note",
            f"in fp16, positions ≥ 65,520 overflow to inf ({fp16['overflow_positions']:,} of these): keep "
            "positions as integers",
        )
    if (fp32["max_angle_error_stored_angles"] or 0) > 1e-3:
        add(
            "fp32_angle_error",
            "note",
            "even fp32 angles of the fastest pair carry up to "
            f"{fp32['max_angle_error_stored_angles']:.2g} rad of rounding error at position {target - 1:,}",
        )
    if rope_type == "yarn":
        add(
            "static_yarn",
            "info",
            "transformers' yarn is static: the scaled frequencies (and attention factor) apply to every "
            "input, short ones included",
        )
    if rope_type == "longrope":
        add(
            "longrope_switch",
            "info",
            f"transformers switches from short_factor to long_factor once a sequence exceeds {train:,}: keys "
            "already cached with the other list are rotated inconsistently",
        )
    if rope_type == "dynamic" and not r["scaling"].get("active", True):
        add("dynamic_inactive", "info", "dynamic NTK leaves RoPE unchanged up to max_position_embeddings")
    return out


# --------------------------------------------------------------------------------------------------
# the summary a person reads first
# --------------------------------------------------------------------------------------------------


def _rope_words(s: dict[str, Any]) -> str:
    """``base 1,000,000, linear ×8`` for a RoPE set."""
    names = {
        "default": "plain",
        "linear": "linear",
        "yarn": "YaRN",
        "llama3": "Llama 3",
        "dynamic": "dynamic NTK",
        "longrope": "LongRoPE",
    }
    words = names.get(s["rope_type"], s["rope_type"])
    if s["factor"] and s["rope_type"] != "longrope":
        words += f" ×{s['factor']:g}"
    partial = f", {s['rotary_dim']} of {s['head_dim']} dims" if s["rotary_dim"] != s["head_dim"] else ""
    return f"base {s['base']:,.0f}, {words}{partial}"


def _group_words(g: dict[str, Any]) -> str:
    window = f"; {g['window_kind']} window {g['window']:,}" if g["window"] else ""
    return f"{g['count']} {g['layer_type']} (layers {g['ranges']}{window})"


def _summary(r: dict[str, Any], res: Resolved) -> list[str]:
    a, lines = r["architecture"], []
    what = f"model_type {a['model_type']!r}" if a["model_type"] else "no model_type (Llama-style keys)"
    if a["wrapper"]:
        what = (
            f"{a['wrapper']['model_type']} wrapper, text model {a['model_type']} under {a['wrapper']['key']}"
        )
    if a["remote_code"]:
        what += " (remote code; posenc knows its RoPE)"
    if a["defaults_filled"]:
        shown = ", ".join(f"{d['name']} {_short(d['value'])}" for d in a["defaults_filled"])
        what += f"; filled as {a['config_class']} does: {shown}"
    lines.append(what)
    pair = "(2i, 2i + 1)" if a["layout"] == archs.INTERLEAVED else f"(i, i + {r['rotary_dim'] // 2})"
    lines.append(
        f"{a['layout']} layout: pair i rotates features {pair} of the {r['rotary_dim']} rotated dims "
        f"(head_dim {r['head_dim']}); {a['layout_why']}"
    )
    parts = []
    for s in r["rope_sets"]:
        groups = [g for g in r["layers"]["groups"] if g["rope_set"] == s["id"]]
        parts.append(" + ".join(_group_words(g) for g in groups) + f": {_rope_words(s)}")
    for g in r["layers"]["groups"]:
        if g["rope_set"] is None:
            parts.append(f"{_group_words(g)}: no RoPE, {g['why_no_rope']}")
    lines.append(f"{r['layers']['count']} layers: " + "; ".join(parts))
    if r["mrope"]:
        lines.append(r["mrope"]["summary"])
    lines += [q["summary"] for q in r["query_scaling"]]
    length = (
        f"length: trained at {r['training_length']:,} ({r['training_length_from']}), analysed at "
        f"{r['target_length']:,} ({r['target_length_from']})"
    )
    lines.append(length)
    warnings = [p for p in r["pitfalls"] if p["severity"] == "warning"]
    lines.append(
        f"{len(warnings)} warning{'s' * (len(warnings) != 1)} about this config"
        + (": " + ", ".join(p["code"] for p in warnings) if warnings else "")
    )
    return lines


def _short(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, (int, float)):
        return f"{value:,}" if isinstance(value, int) or value != int(value) else f"{int(value):,}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_short(v)}" for k, v in value.items() if k != "type") + "}"
    return str(value)
