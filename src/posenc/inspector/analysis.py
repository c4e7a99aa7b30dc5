"""The analysis behind ``posenc inspect``: one JSON-ready report per config.

Every frequency comes from :func:`posenc.encodings.rope.frequencies`; nothing here recomputes RoPE.
Per pair ``i`` of the rotary dimension ``d`` (base ``b``, training length ``L``, target length ``N``):

    θ_i     scaled inverse frequency at the target: ``frequencies(config, seq_len=N)``
    θ⁰_i    the same config with ``rope_type`` default (plain RoPE)
    λ_i     = 2π / θ_i, the wavelength in tokens (positions per full turn)
    s_i     = θ⁰_i / θ_i, the scale factor the method applies to pair i (1 = untouched)

What is explanation, not frequency math, and is computed here from the papers' formulas:

* the critical dimension (Liu et al. 2023, "Scaling Laws of RoPE-based Extrapolation",
  arXiv:2310.05209): pair i completes a full turn within the training length iff
  2π·b^(2i/d) ≤ L, i.e. i ≤ (d/2)·log_b(L/2π); so ``d_extra = 2·⌈(d/2)·log_b(L/2π)⌉`` features
  (d_extra/2 pairs) saw every angle in training and the features beyond it never saw a full period
  — for Llama 2 (b = 10⁴, d = 128, L = 4096) d_extra = 92;
* YaRN's groups (Peng et al. 2023): λ⁰ < L/β_fast untouched, λ⁰ > L/β_slow interpolated, ramp between;
* Llama 3's bands (Meta 2024): λ⁰ < L/high_freq_factor kept, λ⁰ > L/low_freq_factor divided by the
  factor, smooth in between;
* dynamic NTK's effective base at N, read back from θ: b' = θ_last^(−d/(d−2)), and transformers'
  closed form b·(s·N/L − (s − 1))^(d/(d−2)) shown beside it;
* the attention temperature: transformers multiplies cos and sin by ``attention_scaling``, so the
  rotated part of every q·k logit is multiplied by its square; DeepSeek-V2/V3 attention instead folds
  mscale(s, mscale_all_dim)² = (0.1·mscale_all_dim·ln s + 1)² into the softmax scale.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from posenc.encodings import rope
from posenc.inspector.loading import detect_family, rope_config
from posenc.inspector.precision import precision_report

CRITICAL_DIMENSION_SOURCE = (
    "Liu et al. 2023, Scaling Laws of RoPE-based Extrapolation (arXiv:2310.05209): "
    "critical dimension for extrapolation d_extra = 2*ceil((d/2)*log_base(L_train/(2*pi)))"
)
MAX_TARGET = 2**24  # beyond this even float32 positions stop being exact integers

#: the keys each rope_type reads, with the value used when a config leaves them out
#: (REQUIRED: the method cannot run without it; DERIVED: computed from other keys)
REQUIRED, DERIVED = "required", "derived"
SCALING_KEYS: dict[str, dict[str, Any]] = {
    "default": {},
    "linear": {"factor": REQUIRED},
    "ntk": {"factor": REQUIRED},
    "dynamic": {"factor": REQUIRED},
    "yarn": {
        "factor": REQUIRED,
        "original_max_position_embeddings": REQUIRED,
        "beta_fast": 32,
        "beta_slow": 1,
        "truncate": True,
        "mscale": None,
        "mscale_all_dim": None,
        "attention_factor": DERIVED,
    },
    "minimind_yarn": {
        "factor": REQUIRED,
        "original_max_position_embeddings": REQUIRED,
        "beta_fast": 32,
        "beta_slow": 1,
        "attention_factor": 1.0,
    },
    "longrope": {
        "short_factor": REQUIRED,
        "long_factor": REQUIRED,
        "original_max_position_embeddings": REQUIRED,
        "factor": DERIVED,
        "attention_factor": DERIVED,
    },
    "llama3": {
        "factor": REQUIRED,
        "low_freq_factor": REQUIRED,
        "high_freq_factor": REQUIRED,
        "original_max_position_embeddings": REQUIRED,
    },
}
STATIC_FACTOR_TYPES = frozenset({"linear", "ntk", "yarn", "longrope", "llama3", "minimind_yarn"})


def inspect_config(
    config: dict[str, Any], name: str = "config", target_length: int | None = None, path: str | None = None
) -> dict[str, Any]:
    """The full report for one config dict (JSON-ready: numbers, strings, lists, dicts, ``None``).

    Non-RoPE configs get a short report (``family`` "none" and what they use instead). Raises
    ``ValueError`` prefixed with ``name`` when the RoPE set-up cannot be computed.
    """
    head = {"name": name, "path": path, "source": config.get("_source"), "note": config.get("_note")}
    encoding, evidence = detect_family(config)
    if encoding != "rope":
        return head | {
            "family": "none",
            "position_encoding": encoding,
            "evidence": evidence,
            "message": _not_rope_message(encoding, evidence),
        }
    if target_length is not None and not (
        isinstance(target_length, int)
        and not isinstance(target_length, bool)
        and 0 < target_length <= MAX_TARGET
    ):
        raise ValueError(
            f"--target-length must be an integer in 1 … {MAX_TARGET} (2^24), got {target_length!r}"
        )
    cfg, aliases, renamed = rope_config(config)
    try:
        return head | _rope_report(cfg, aliases, renamed, evidence, target_length)
    except ValueError as err:
        raise ValueError(f"{name}: {err}{_hint(cfg, str(err))}") from None


def _not_rope_message(encoding: str, evidence: str) -> str:
    what = {
        "alibi": "ALiBi (Press et al. 2022): linear distance biases on the attention scores, no rotation",
        "learned": "a learned absolute position table added to the embeddings (cannot go past its size)",
        "t5_relative_bias": "T5's bucketed relative position bias on the attention scores",
        "unknown": "no position encoding that posenc recognises",
    }.get(encoding, f"position_embedding_type {encoding!r}")
    return f"not RoPE: this config uses {what} ({evidence}); posenc inspect analyses RoPE set-ups only"


def _hint(cfg: dict[str, Any], message: str) -> str:
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
# the RoPE report
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
    params: rope.RopeParams, cfg: dict[str, Any], target_arg: int | None
) -> tuple[int, str, int, str]:
    """(training length, where from, target length, where from)."""
    original = params.scaling.get("original_max_position_embeddings") or cfg.get(
        "original_max_position_embeddings"
    )
    max_pos = params.max_position_embeddings
    if original:
        train, train_from = int(original), "original_max_position_embeddings"
    elif max_pos:
        train, train_from = int(max_pos), "max_position_embeddings"
    else:
        raise ValueError(
            "config needs 'max_position_embeddings' (or 'original_max_position_embeddings') to know the "
            "training length"
        )
    factor = _factor(params)
    if target_arg is not None:
        return train, train_from, target_arg, "--target-length"
    if max_pos and max_pos > train:
        return train, train_from, int(max_pos), "max_position_embeddings"
    if factor and params.rope_type != "default":
        return train, train_from, int(round(factor * train)), "factor × training length"
    return train, train_from, train, "training length (no scaling)"


def _factor(params: rope.RopeParams) -> float | None:
    factor = params.scaling.get("factor")
    if factor is None and params.rope_type == "longrope" and params.max_position_embeddings:
        original = params.scaling.get("original_max_position_embeddings")
        factor = params.max_position_embeddings / original if original else None
    return factor


def _parameters(
    cfg: dict[str, Any], params: rope.RopeParams, attention_scaling: float, renamed: dict[str, str]
) -> list[dict[str, Any]]:
    """Every parameter the method reads, with where its value comes from: config, default or derived."""
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
    for key, default in SCALING_KEYS[params.rope_type].items():
        value = params.scaling.get(key)
        if value is not None:
            source = "config"
        elif default == DERIVED:
            value = attention_scaling if key == "attention_factor" else _factor(params)
            source = "derived"
        else:
            value, source = default, "default"
        rows.append({"name": key, "value": value, "source": source})
    for row in rows:  # values read under another name (GPT-NeoX rotary_pct, DeepSeek qk_rope_head_dim, …)
        if row["source"] == "config" and row["name"] in renamed:
            row["source"] = f"config: {renamed[row['name']]}"
    return rows


def _rope_report(
    cfg: dict[str, Any], aliases: list[str], renamed: dict[str, str], evidence: str, target_arg: int | None
) -> dict[str, Any]:
    params = rope.params_from_config(cfg)
    rope.validate(params)
    rope_type, d, base = params.rope_type, params.rotary_dim, float(params.base)
    train, train_from, target, target_from = _lengths(params, cfg, target_arg)

    inv_freq, attention_scaling = rope.frequencies(cfg, seq_len=target)  # θ, [d/2]
    inv_default, _ = rope.frequencies(_with_default_rope(cfg), seq_len=target)  # θ⁰, [d/2]
    theta, theta0 = inv_freq.double(), inv_default.double()
    wavelength, wavelength0 = 2 * math.pi / theta, 2 * math.pi / theta0  # λ, λ⁰ in tokens, [d/2]
    scale = theta0 / theta  # s_i, [d/2]
    full_turn = wavelength0 <= train  # [d/2] bool
    # the angle range a pair covers: [0, L·θ⁰) in training, [0, N·θ) at the target
    beyond = (~full_turn) & (target * theta > train * theta0 * (1 + 1e-6))  # [d/2] bool

    critical = _critical_dimension(d, base, train)
    scaling = _scaling(cfg, params, train, target, wavelength0, scale, inv_freq)
    groups = scaling.pop("groups", None)
    attention = _attention(cfg, params, attention_scaling)
    precision = precision_report(target, float(inv_freq.max()))
    pairs = [
        {
            "pair": i,
            "dims": [i, i + d // 2],
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
    report = {
        "family": "rope",
        "position_encoding": "rope",
        "evidence": evidence,
        "aliases": aliases,
        "rope_type": rope_type,
        "parameters": _parameters(cfg, params, attention_scaling, renamed),
        "head_dim": _head_dim(cfg)[0],
        "rotary_dim": d,
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
        "attention": attention,
        "precision": precision,
        "pairs": pairs,
        "rope_config": cfg,
    }
    report["pitfalls"] = _pitfalls(report)
    return report


def _critical_dimension(d: int, base: float, train: int) -> dict[str, Any]:
    """Liu et al. 2023's d_extra = 2·⌈(d/2)·log_b(L/2π)⌉, clamped to [0, d]."""
    x = (d / 2) * math.log(train / (2 * math.pi)) / math.log(base)
    d_extra = min(d, max(0, 2 * math.ceil(x)))
    return {
        "d_extra": d_extra,
        "pairs_below": d_extra // 2,
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
) -> dict[str, Any]:
    rope_type, d, base, s = params.rope_type, params.rotary_dim, float(params.base), _factor(params)
    sc = params.scaling
    if rope_type == "default":
        return {"summary": "plain RoPE: no scaling; every pair keeps θ_i = base^(-2i/d)"}
    if rope_type == "linear":
        return {
            "summary": f"Position Interpolation: every pair's frequency divided by {s:g} "
            f"(positions squeezed {s:g}×)"
        }
    if rope_type in ("ntk", "dynamic"):
        effective = float(inv_freq[-1].double() ** (-d / (d - 2)))  # b' from θ_last = b'^(-(d-2)/d)
        out = {"effective_base": effective, "base_ratio": effective / base}
        if rope_type == "ntk":
            closed = base * s ** (d / (d - 2))
            return out | {
                "closed_form_base": closed,
                "summary": (
                    f"fixed NTK-aware scaling: base {base:g} → {effective:.6g} = base·s^(d/(d-2)); "
                    "the fastest "
                    "pair is untouched, the slowest divided by s"
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
                f"({groups.count('divided')}), {groups.count('smooth')} blended smoothly in between"
            ),
        }
    if rope_type == "longrope":
        use_long = target > train
        which = "long_factor" if use_long else "short_factor"
        return {
            "list_at_target": which,
            "switch_length": train,
            "summary": (
                f"LongRoPE: one searched factor per pair; at the target {target} "
                f"{'>' if use_long else '≤'} original {train} the {which} list applies "
                f"(factors {float(scale.min()):.3g} … {float(scale.max()):.3g})"
            ),
        }
    return {"summary": f"rope_type {rope_type}"}


def _yarn(
    cfg: dict[str, Any], params: rope.RopeParams, train: int, wavelength0: torch.Tensor
) -> dict[str, Any]:
    d, base, sc = params.rotary_dim, float(params.base), params.scaling
    defaults = SCALING_KEYS[params.rope_type]
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


def _attention(cfg: dict[str, Any], params: rope.RopeParams, attention_scaling: float) -> dict[str, Any]:
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
    mscale_all_dim = params.scaling.get("mscale_all_dim")
    if params.rope_type != "default" and mscale_all_dim and params.scaling.get("factor"):
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
            "DeepSeek's MLA softmax_scale *= mscale**2). Other architectures ignore mscale_all_dim"
        )
    out["explanation"] = ". ".join(lines)
    return out


# --------------------------------------------------------------------------------------------------
# pitfalls
# --------------------------------------------------------------------------------------------------


def _pitfalls(r: dict[str, Any]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []

    def add(code: str, severity: str, message: str) -> None:
        out.append({"code": code, "severity": severity, "message": message})

    rope_type, train, target, factor = r["rope_type"], r["training_length"], r["target_length"], r["factor"]
    crit = r["critical_dimension"]
    if rope_type == "default" and target > train:
        add(
            "target_beyond_training",
            "warning",
            f"no RoPE scaling and the target {target} exceeds the training length {train}: the "
            f"{r['rotary_dim'] // 2 - crit['pairs_with_full_turn']} pairs past the critical dimension "
            f"(d_extra = {crit['d_extra']}) reach angles never seen in training",
        )
    if rope_type in STATIC_FACTOR_TYPES and factor and target > factor * train * (1 + 1e-9):
        add(
            "target_beyond_scaled_length",
            "warning",
            f"the target {target} is beyond factor × training length = {factor:g} × {train} = "
            f"{factor * train:g}, the length this scaling alone was designed for (fine only if the model was "
            "trained further at that length, as Llama 3.1 was)",
        )
    if r["longest_wavelength"] < target:
        add(
            "longest_wavelength_short",
            "warning",
            f"the longest wavelength ({r['longest_wavelength']:.0f} tokens) is shorter than the target "
            f"{target}: "
            "every pair wraps around within the window, so no pair measures distances across all of it",
        )
    if rope_type != "default" and r["pairs_beyond_training_angles"]:
        add(
            "angles_beyond_training",
            "warning",
            f"{r['pairs_beyond_training_angles']} pairs that never completed a turn in training "
            "rotate further "
            f"at the target {target} than they ever did in training (out-of-distribution angles)",
        )
    bf16, fp16, fp32 = (r["precision"][k] for k in ("bf16", "fp16", "fp32"))
    if bf16["collapsed_positions"]:
        err = bf16["max_angle_error_cast_positions"]
        add(
            "low_precision_positions",
            "warning",
            f"positions cast to bf16 collapse: only {bf16['distinct_positions']} of {target} stay distinct "
            f"(fp16: {fp16['distinct_positions']}), and the fastest pair's angle is off by up to "
            f"{err:.3g} rad; "
            "form angles from integer positions in fp32 (as transformers and posenc.encodings.rope do)",
        )
    if fp16["overflow_positions"]:
        add(
            "fp16_overflow",
            "warning",
            f"{fp16['overflow_positions']} positions (≥ 65520) overflow to inf in fp16",
        )
    if (fp32["max_angle_error_stored_angles"] or 0) > 1e-3:
        add(
            "fp32_angle_error",
            "info",
            "even fp32 angles of the fastest pair carry up to "
            f"{fp32['max_angle_error_stored_angles']:.2g} rad of "
            f"rounding error at position {target - 1}",
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
            f"transformers switches from short_factor to long_factor once a sequence exceeds {train}: keys "
            "already cached with the other list are rotated inconsistently",
        )
    if rope_type == "dynamic" and not r["scaling"].get("active", True):
        add("dynamic_inactive", "info", "dynamic NTK leaves RoPE unchanged up to max_position_embeddings")
    return out
