"""Experiment 4 — MiniMind's RoPE, step by step, and its YaRN.

MiniMind (jingyaogong/minimind, ``model/model_minimind.py``) uses RoPE with ``rope_base = 1e6``.
The head here is MiniMind2-small's, ``head_dim = 64`` (d_model 512 with 8 query heads: its
``README_en.md`` line 578 at commit d65ef2c00ebc6082f9df11541e1b191655eddb00, the commit
``posenc/learn/data/minimind_pins.yaml`` pins); the current minimind-3 has d_model 768 with 8 heads,
so head_dim 96 (48 pairs), with the same rope_theta and YaRN settings:

1. frequencies   θ_i = 1e6^(−2i/64), i = 0 … 31                                  [32]
2. cos/sin cache  angles = outer(t, θ), cos = cat([cos(angles), cos(angles)])      [end, 64]
                 (the same 32 values twice: the "half" layout pairs feature i with i + 32)
3. rotation      q' = q·cos + rotate_half(q)·sin,  rotate_half([x1 | x2]) = [−x2 | x1]
4. applied to q and k only — never v: scores then depend on n − m only, so shifting every
   position by the same offset changes nothing; rotating v as well would make the output depend
   on absolute positions.

Then YaRN (Peng et al. 2023) with MiniMind's inference settings (factor 16, original length
2048, β_fast 32, β_slow 1): pairs that turn more than β_fast times over 2048 tokens keep their
frequency, pairs that turn less than β_slow times are interpolated (θ/16), a linear ramp in
between. Both ``minimind_yarn`` and transformers' ``yarn`` come from ``rope.frequencies``.
"YaRN = position / scale" is a slip: dividing every position by s is Position Interpolation (PI,
``rope_type="linear"``), whose per-pair factor is 1/s for every pair.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
from rich.console import RenderableType
from rich.table import Table
from torch import Tensor

from posenc.encodings import rope
from posenc.experiments import TITLES
from posenc.experiments.results import Progress, finish, report
from posenc.results import formatting as fmt
from posenc.results import plotting
from posenc.results.files import prepare_out_dir

EXPERIMENT = "4"
TITLE = TITLES["4"]

HEAD_DIM = 64  # MiniMind2-small's head (d_model 512 / 8 heads); minimind-3's is 96 (768 / 8)
ROPE_BASE = 1e6  # rope_theta: the slowest pair (i = 31) turns once in 2π·1e6^(62/64) = 4,080,185 tokens
MAX_POSITIONS = 32768  # MiniMind's max_position_embeddings (the cache length)
YARN = {"factor": 16, "original_max_position_embeddings": 2048, "beta_fast": 32, "beta_slow": 1}
SHIFT = 1000  # tokens added to every position in the shift test
SEED = 0


def minimind_config(rope_type: str | None) -> dict:
    """MiniMind's settings as a Hugging Face style config dict; ``None`` = plain RoPE."""
    config = {"head_dim": HEAD_DIM, "rope_theta": ROPE_BASE, "max_position_embeddings": MAX_POSITIONS}
    if rope_type == "linear":
        config["rope_scaling"] = {"rope_type": "linear", "factor": YARN["factor"]}
    elif rope_type is not None:
        config["rope_scaling"] = {"rope_type": rope_type, **YARN}
    return config


def rotate_half(x: Tensor) -> Tensor:
    """MiniMind's helper, as written there: [x1 | x2] -> [−x2 | x1] on the last dim (h_d)."""
    return torch.cat((-x[..., x.shape[-1] // 2 :], x[..., : x.shape[-1] // 2]), dim=-1)


def minimind_apply(x: Tensor, cos_full: Tensor, sin_full: Tensor) -> Tensor:
    """MiniMind's ``apply_rotary_pos_emb`` for one tensor: x·cos + rotate_half(x)·sin.

    x (Tensor): [b, n_h, s, h_d]; cos_full, sin_full (Tensor): MiniMind's duplicated tables [s, h_d].
    """
    return x * cos_full + rotate_half(x) * sin_full


def correction_dim(beta: float, original: int = YARN["original_max_position_embeddings"]) -> float:
    """The (fractional) pair index that turns ``beta`` times over ``original`` tokens:
    dim(β) = d·ln(L / (2πβ)) / (2·ln base)  (YaRN's ``find_correction_dim``)."""
    return HEAD_DIM * math.log(original / (beta * 2 * math.pi)) / (2 * math.log(ROPE_BASE))


def attention(q: Tensor, k: Tensor, v: Tensor) -> Tensor:
    """Causal softmax attention: q, k, v [b, n_h, s, h_d] -> [b, n_h, s, h_d]."""
    s = q.shape[-2]
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])  # [b, n_h, s, s]
    scores = scores.masked_fill(torch.ones(s, s, dtype=torch.bool).triu(1), float("-inf"))
    return scores.softmax(-1) @ v


def shift_test(seq_len: int = 16) -> dict[str, float]:
    """Attention output at positions 0 … s−1 vs SHIFT … SHIFT+s−1, rotating q,k (MiniMind) or q,k,v."""
    g = torch.Generator().manual_seed(SEED)
    q, k, v = (torch.randn(1, 2, seq_len, HEAD_DIM, generator=g, dtype=torch.float64) for _ in range(3))
    theta, scaling = rope.frequencies(minimind_config(None))
    outputs = {}
    for offset in (0, SHIFT):
        cos, sin = rope.cos_sin(torch.arange(offset, offset + seq_len), theta.double(), scaling)  # [s, 32]
        rq, rk, rv = (rope.apply(t, cos, sin, layout="half") for t in (q, k, v))
        outputs[offset] = {"qk": attention(rq, rk, v), "qkv": attention(rq, rk, rv)}
    return {name: float((outputs[0][name] - outputs[SHIFT][name]).abs().max()) for name in ("qk", "qkv")}


def run(out_dir: str | Path = "results/exp4", quick: bool = False, progress: Progress | None = None) -> dict:
    """Walk through MiniMind's RoPE and YaRN; write results.json and plots to ``out_dir``; return them."""
    out = prepare_out_dir(out_dir)

    report(progress, 0.0, "step 1: frequencies")
    theta, _ = rope.frequencies(minimind_config(None))  # [32]

    report(progress, 0.15, "step 2: cos/sin cache")
    cache_len = 256 if quick else 2048
    cos, sin = rope.cos_sin(torch.arange(cache_len), theta, 1.0)  # [s, 32]
    cos_full, sin_full = (
        torch.cat([cos, cos], dim=-1),
        torch.cat([sin, sin], dim=-1),
    )  # [s, 64]: MiniMind's tables

    report(progress, 0.3, "step 3: rotate_half and the half layout")
    x8 = torch.arange(1.0, 9.0)  # [8]: a tiny head so the halves are visible
    g = torch.Generator().manual_seed(SEED)
    q = torch.randn(1, 2, cache_len, HEAD_DIM, generator=g)  # [b, n_h, s, h_d]
    library = rope.apply(q, cos, sin, layout="half")
    minimind = minimind_apply(q, cos_full, sin_full)
    # half layout = interleaved layout on permuted features: feature i and i + 32 are one pair
    to_interleaved = torch.stack([torch.arange(32), torch.arange(32) + 32], dim=1).reshape(
        -1
    )  # [64]: 0, 32, 1, 33, …
    interleaved = rope.apply(q[..., to_interleaved], cos, sin, layout="interleaved")
    back = torch.empty_like(to_interleaved)
    back[to_interleaved] = torch.arange(HEAD_DIM)  # inverse permutation [64]

    report(progress, 0.45, "step 4: rotate q and k, not v")
    shift = shift_test()

    report(progress, 0.6, "YaRN with MiniMind's settings")
    factors, attention_scaling, inv = {}, {}, {}
    for rope_type in ("minimind_yarn", "yarn", "linear"):
        scaled, attn = rope.frequencies(minimind_config(rope_type))
        inv[rope_type] = scaled
        factors[rope_type] = scaled.double() / theta.double()  # [32]: θ'_i / θ_i
        attention_scaling[rope_type] = attn
    s = YARN["factor"]
    mm = factors["minimind_yarn"]
    kept = [i for i in range(HEAD_DIM // 2) if abs(float(mm[i]) - 1) < 1e-6]
    interpolated = [i for i in range(HEAD_DIM // 2) if abs(float(mm[i]) - 1 / s) < 1e-6]
    ramp = [i for i in range(HEAD_DIM // 2) if i not in kept and i not in interpolated]
    original = YARN["original_max_position_embeddings"]
    turns = original * theta.double() / (2 * math.pi)  # [32]: full turns over the original length

    report(progress, 0.8, "plotting")
    plots = _plot_cache(out, cos_full) + _plot_yarn(out, factors, turns, kept, ramp, interpolated)
    report(progress, 1.0, "done")
    return finish(
        out,
        experiment=EXPERIMENT,
        title=TITLE,
        quick=quick,
        settings={
            "head_dim": HEAD_DIM,
            "rope_base": ROPE_BASE,
            "max_position_embeddings": MAX_POSITIONS,
            "yarn": YARN,
            "cache_len_shown": cache_len,
            "shift": SHIFT,
            "seed": SEED,
            "configs": {t: minimind_config(t) for t in ("minimind_yarn", "yarn", "linear")},
        },
        numbers={
            "inv_freq": theta,
            "wavelength": 2 * math.pi / theta.double(),
            "cache": {
                "minimind_shape": [MAX_POSITIONS, HEAD_DIM],
                "minimind_bytes_cos_and_sin": 2 * MAX_POSITIONS * HEAD_DIM * 4,
                "halves_identical": bool(torch.equal(cos_full[:, :32], cos_full[:, 32:])),
                "cos_at_position_1": cos_full[1, :4],
            },
            "rotate_half": {"x": x8, "rotate_half_x": rotate_half(x8)},
            "minimind_formula_vs_library": float((minimind - library).abs().max()),
            "half_vs_interleaved_permuted": float((interleaved[..., back] - library).abs().max()),
            "shift_invariance": {"offset": SHIFT, "rotate_qk": shift["qk"], "rotate_qkv": shift["qkv"]},
            "yarn": {
                "correction_dim_beta_fast": correction_dim(YARN["beta_fast"]),
                "correction_dim_beta_slow": correction_dim(YARN["beta_slow"]),
                "kept_pairs": kept,
                "ramp_pairs": ramp,
                "interpolated_pairs": interpolated,
                "turns_over_original": turns,
                "scale_factor": factors,
                "inv_freq": inv,
                "attention_scaling": attention_scaling,
                "max_abs_factor_diff_minimind_vs_yarn": float(
                    (factors["minimind_yarn"] - factors["yarn"]).abs().max()
                ),
                "pi_max_abs_dev_from_1_over_s": float((factors["linear"] - 1 / s).abs().max()),
            },
        },
        plots=plots,
    )


def _plot_cache(out: Path, cos_full: Tensor) -> list[str]:
    with plotting.style():
        fig, (ax,) = plotting.new_figure(1, 1, width=7.5, height=4.0)
        im = ax.imshow(cos_full, aspect="auto", cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest")
        ax.axvline(31.5, color="black", lw=1)
        ax.grid(False)
        fig.colorbar(im, ax=ax, label="cos(m·θ_i)")
        plotting.style_axes(
            ax,
            title=f"MiniMind's cos cache: cat([cos, cos]) — feature j and j + 32 share θ_j "
            f"(base {ROPE_BASE:g})",
            xlabel="feature (0–31 | 32–63)",
            ylabel="position m (tokens)",
        )
        return plotting.save_figure(fig, out, "cos_cache")


def _plot_yarn(
    out: Path, factors: dict, turns: Tensor, kept: list, ramp: list, interpolated: list
) -> list[str]:
    pairs = list(range(HEAD_DIM // 2))
    s = YARN["factor"]
    with plotting.style():
        fig, (ax, ax2) = plotting.new_figure(1, 2, width=6.0, height=4.4)
        for axis in (ax, ax2):
            if ramp:
                axis.axvspan(ramp[0] - 0.5, ramp[-1] + 0.5, color="orange", alpha=0.12, label="ramp")
            axis.axvspan(-0.5, kept[-1] + 0.5, color="green", alpha=0.08, label="kept (extrapolated)")
            axis.axvspan(
                interpolated[0] - 0.5, pairs[-1] + 0.5, color="blue", alpha=0.06, label="interpolated (θ/s)"
            )
        ax.plot(
            pairs,
            factors["minimind_yarn"],
            "o",
            color=plotting.COLORS[1],
            ms=6,
            label="MiniMind minimind_yarn",
        )
        ax.plot(pairs, factors["yarn"], "x-", color=plotting.COLORS[0], ms=6, lw=1, label="transformers yarn")
        ax.plot(pairs, factors["linear"], "--", color=plotting.COLORS[2], label=f"PI (linear): 1/s = 1/{s}")
        plotting.style_axes(
            ax,
            title=f"Per-pair frequency factor θ'_i/θ_i (s = {s}, L = "
            f"{YARN['original_max_position_embeddings']}, base {ROPE_BASE:g})",
            xlabel="pair index i",
            ylabel="θ'_i / θ_i (1 = kept, 1/s = interpolated)",
        )
        ax.legend(loc="center right")
        ax2.semilogy(pairs, turns, "o-", ms=3, color="black", label="turns over L tokens")
        ax2.axhline(
            YARN["beta_fast"], color=plotting.COLORS[1], ls="--", label=f"β_fast = {YARN['beta_fast']}"
        )
        ax2.axhline(
            YARN["beta_slow"], color=plotting.COLORS[0], ls="--", label=f"β_slow = {YARN['beta_slow']}"
        )
        plotting.style_axes(
            ax2,
            title="Why: turns over L tokens vs β_fast and β_slow",
            xlabel="pair index i",
            ylabel="full turns L·θ_i / 2π (log scale)",
        )
        ax2.legend(loc="lower left")
        return plotting.save_figure(fig, out, "yarn_factors")


def summary(results: dict) -> list[RenderableType]:
    """Rich tables and short conclusions for the terminal, from the results dict alone."""
    num, st = results["numbers"], results["settings"]
    y = num["yarn"]
    t1 = Table(
        title=f"Steps 1–4: MiniMind2-small RoPE (base {fmt.base(st['rope_base'])}, head_dim {st['head_dim']})"
    )
    t1.add_column("step")
    t1.add_column("what the numbers say")
    theta, lam = num["inv_freq"], num["wavelength"]
    t1.add_row(
        "1 frequencies",
        f"θ_0 = {fmt.num(theta[0], 3)}, θ_1 = {fmt.num(theta[1], 3)}, θ_31 = {fmt.num(theta[31], 3)} "
        f"rad/token; λ from {fmt.num(lam[0], 3)} to {fmt.num(lam[31])} tokens",
    )
    c = num["cache"]
    t1.add_row(
        "2 cos/sin cache",
        f"shape {c['minimind_shape']} each ({c['minimind_bytes_cos_and_sin'] / 2**20:.0f} "
        f"MiB for cos+sin in fp32); halves identical: {c['halves_identical']}",
    )
    rh = num["rotate_half"]
    t1.add_row(
        "3 rotate_half",
        f"{[int(v) for v in rh['x']]} -> {[int(v) for v in rh['rotate_half_x']]}; MiniMind's "
        f"formula vs library: {fmt.num(num['minimind_formula_vs_library'])}; half = permuted "
        f"interleaved: {fmt.num(num['half_vs_interleaved_permuted'])}",
    )
    sh = num["shift_invariance"]
    t1.add_row(
        "4 q, k only",
        f"shift every position by {sh['offset']}: output changes by {fmt.num(sh['rotate_qk'])} "
        f"(q, k rotated) vs {sh['rotate_qkv']:.2f} (v rotated too)",
    )

    t2 = Table(
        title=f"YaRN for MiniMind2-small: factor {st['yarn']['factor']}, L = "
        f"{st['yarn']['original_max_position_embeddings']}, β_fast {st['yarn']['beta_fast']}, "
        f"β_slow {st['yarn']['beta_slow']}"
    )
    t2.add_column("pairs")
    t2.add_column("θ'_i / θ_i", justify="right")
    t2.add_column("why")
    t2.add_row(
        _span(y["kept_pairs"]),
        "1",
        f"turn > {st['yarn']['beta_fast']}× in L (dim(β_fast) = {y['correction_dim_beta_fast']:.2f})",
    )
    t2.add_row(
        _span(y["ramp_pairs"]),
        " ".join(f"{y['scale_factor']['minimind_yarn'][i]:.3f}" for i in y["ramp_pairs"]),
        "linear ramp",
    )
    t2.add_row(
        _span(y["interpolated_pairs"]),
        f"1/{st['yarn']['factor']}",
        f"turn < {st['yarn']['beta_slow']}× in L (dim(β_slow) = {y['correction_dim_beta_slow']:.2f})",
    )
    a = y["attention_scaling"]
    return [
        t1,
        t2,
        f"minimind_yarn vs transformers yarn: per-pair factors differ by at most "
        f"{fmt.num(y['max_abs_factor_diff_minimind_vs_yarn'])}; attention scaling {a['minimind_yarn']:.4f} "
        f"(MiniMind's default) vs {a['yarn']:.4f} (0.1·ln s + 1). MiniMind also applies the ramp only when "
        "its cache is longer than L, and clamps the ramp's end at d/2 − 1 (transformers: d − 1).",
        f"'YaRN = position / scale' is PI: PI's factor is 1/{st['yarn']['factor']} for every pair "
        f"(max deviation {fmt.num(y['pi_max_abs_dev_from_1_over_s'])}); YaRN keeps "
        f"{len(y['kept_pairs'])} fast pairs untouched.",
    ]


def _span(indices: list[int]) -> str:
    return f"{indices[0]}–{indices[-1]}" if indices else "none"
