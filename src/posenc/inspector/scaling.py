"""What a RoPE scaling method does to each pair, and the attention temperature it brings.

Explanation computed from the papers' formulas, beside the frequencies
:func:`posenc.encodings.rope.frequencies` returns:

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
from posenc.inspector.resolve import Resolved


def factor_of(params: rope.RopeParams) -> float | None:
    factor = params.scaling.get("factor")
    if factor is None and params.rope_type == "longrope" and params.max_position_embeddings:
        original = params.scaling.get("original_max_position_embeddings")
        factor = params.max_position_embeddings / original if original else None
    return factor


# --------------------------------------------------------------------------------------------------
# what the scaling does, per method
# --------------------------------------------------------------------------------------------------


def _ramp_index(d: int, base: float, length: int, beta: float) -> float:
    """Fractional pair index where a pair turns exactly β times over ``length``: d·ln(L/2πβ)/(2 ln b)."""
    return d * math.log(length / (2 * math.pi * beta)) / (2 * math.log(base))


def scaling_report(
    cfg: dict[str, Any],
    params: rope.RopeParams,
    train: int,
    target: int,
    wavelength0: torch.Tensor,
    scale: torch.Tensor,
    inv_freq: torch.Tensor,
    train_from: str,
) -> dict[str, Any]:
    rope_type, d, base, s = params.rope_type, params.rotary_dim, float(params.base), factor_of(params)
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


def attention_report(
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
