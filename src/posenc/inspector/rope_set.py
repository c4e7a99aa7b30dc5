"""One RoPE set of a model, analysed: its parameters, lengths, per-pair ladder and critical dimension.

Every frequency comes from :func:`posenc.encodings.rope.frequencies`; nothing here recomputes RoPE. Per pair
``i`` of the rotary dimension ``d`` (base ``b``, training length ``L``, target length ``N``):

    θ_i     scaled inverse frequency at the target: ``frequencies(config, seq_len=N)``
    θ⁰_i    the same config with ``rope_type`` default (plain RoPE)
    λ_i     = 2π / θ_i, the wavelength in tokens (positions per full turn)
    s_i     = θ⁰_i / θ_i, the scale factor the method applies to pair i (1 = untouched)

The critical dimension (Liu et al. 2023, "Scaling Laws of RoPE-based Extrapolation", arXiv:2310.05209) is
explanation, not frequency math: pair i completes a full turn within the training length iff
2π·b^(2i/d) ≤ L, i.e. i ≤ (d/2)·log_b(L/2π); so ``d_extra = 2·⌈(d/2)·log_b(L/2π)⌉`` rotary features
(d_extra/2 pairs) saw every angle in training and the pairs beyond never saw a full period — for Llama 2
(b = 10⁴, d = 128, L = 4096) d_extra = 92. What the scaling does to the pairs is :mod:`.scaling`'s part.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from posenc.encodings import rope, rope_types
from posenc.encodings.rope_scaling import DERIVED, ROPE_TYPES
from posenc.inspector import architectures as archs
from posenc.inspector.precision import precision_report
from posenc.inspector.resolve import Resolved
from posenc.inspector.scaling import attention_report, factor_of, scaling_report

CRITICAL_DIMENSION_SOURCE = (
    "Liu et al. 2023, Scaling Laws of RoPE-based Extrapolation (arXiv:2310.05209): "
    "critical dimension for extrapolation d_extra = 2*ceil((d/2)*log_base(L_train/(2*pi)))"
)
MAX_TARGET = 2**24  # beyond this even float32 positions stop being exact integers


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


def frequencies(cfg: dict[str, Any], seq_len: int | None = None) -> tuple[torch.Tensor, float]:
    """rope.frequencies(cfg, seq_len), reaching the same registry function directly for an empty Llama 3
    band (which rope.validate does not accept yet)."""
    params = rope.params_from_config(cfg)
    if _empty_llama3_band(params):
        _validate(params)
        inv_freq, attention_scaling = ROPE_TYPES["llama3"](params, seq_len)
        return inv_freq.to(torch.float32), float(attention_scaling)
    return rope.frequencies(cfg, seq_len=seq_len)


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


def dual_chunk(cfg: dict[str, Any]) -> dict[str, int] | None:
    """Qwen2.5-1M's ``dual_chunk_attention_config`` (chunk_size, local_size and
    original_max_position_embeddings), checked; ``None`` when the config has none. transformers ignores it:
    only servers that implement dual chunk attention (vLLM, SGLang) use it."""
    dca = cfg.get("dual_chunk_attention_config")
    if dca is None:
        return None
    if not isinstance(dca, dict):
        raise ValueError(f"'dual_chunk_attention_config' must be a JSON object, got {dca!r}")
    out = {}
    for key in ("chunk_size", "local_size", "original_max_position_embeddings"):
        value = dca.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ValueError(f"dual_chunk_attention_config '{key}' must be a positive integer, got {value!r}")
        out[key] = value
    return out


def _lengths(
    params: rope.RopeParams, cfg: dict[str, Any], target_arg: int | None, arch: archs.Architecture | None
) -> tuple[int, str, int, str]:
    """(training length, where from, target length, where from)."""
    original = params.scaling.get("original_max_position_embeddings") or cfg.get(
        "original_max_position_embeddings"
    )
    max_pos = params.max_position_embeddings
    factor = factor_of(params)
    if factor is not None and factor > MAX_TARGET:
        raise ValueError(
            f"rope scaling 'factor' = {factor:g} would stretch the context past 2^24 = {MAX_TARGET:,} "
            "positions (where float32 positions stop being exact); "
            "real configs use factors up to a few hundred"
        )
    dca = dual_chunk(cfg)
    if original:
        train, train_from = int(original), "original_max_position_embeddings"
    elif dca is not None:
        train = dca["original_max_position_embeddings"]
        train_from = "dual_chunk_attention_config.original_max_position_embeddings"
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
            value = attention_scaling if key == "attention_factor" else factor_of(params)
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


def rope_report(
    cfg: dict[str, Any],
    res: Resolved,
    target_arg: int | None,
    precision: bool,
    primary: str,
    reach: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The report of one RoPE set. ``reach`` (``{"tokens": R, "why": …}``): every layer of the set attends at
    most R tokens back (a sliding window W: R = W − 1; a chunk of C tokens: R = C − 1), so the distances it
    saw in training, and will ever see, stop at min(L, R): the critical dimension, the pairs that complete a
    full turn and the angles beyond training use that span instead of the training length L."""
    params = rope.params_from_config(cfg)
    _validate(params)
    rope_type, d, base = params.rope_type, params.rotary_dim, float(params.base)
    train, train_from, target, target_from = _lengths(params, cfg, target_arg, res.arch)

    inv_freq, attention_scaling = frequencies(cfg, seq_len=target)  # θ, [d/2]
    inv_default, _ = frequencies(_with_default_rope(cfg), seq_len=target)  # θ⁰, [d/2]
    theta, theta0 = inv_freq.double(), inv_default.double()
    wavelength, wavelength0 = 2 * math.pi / theta, 2 * math.pi / theta0  # λ, λ⁰ in tokens, [d/2]
    scale = theta0 / theta  # s_i, [d/2]
    seen = train if reach is None else min(train, reach["tokens"])  # the farthest distance seen in training
    far = target if reach is None else min(target, reach["tokens"])  # … and at the target
    full_turn = wavelength0 <= seen  # [d/2] bool
    # the angle range a pair covers: [0, L·θ⁰) in training, [0, N·θ) at the target
    beyond = (~full_turn) & (far * theta > seen * theta0 * (1 + 1e-6))  # [d/2] bool

    critical = _critical_dimension(d, base, seen, res.layout)
    if reach is not None:
        critical["reach"] = reach | {"span": seen}
    scaling = scaling_report(cfg, params, train, target, wavelength0, scale, inv_freq, train_from)
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
            "turns_in_training": float(seen / wavelength0[i]),
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
        "factor": factor_of(params),
        "critical_dimension": critical | {"pairs_with_full_turn": int(full_turn.sum())},
        "pairs_beyond_training_angles": int(beyond.sum()),
        "longest_wavelength": float(wavelength.max()),
        "scaling": scaling,
        "attention": attention_report(cfg, params, attention_scaling, res),
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
