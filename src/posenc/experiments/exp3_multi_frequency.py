"""Experiment 3 — many frequencies: RoPE's clock with 32 hands.

RoPE with head_dim d = 64 rotates 32 pairs at geometrically spaced speeds θ_i = base^(−2i/d):
pair 0 turns one radian per token (wavelength λ_0 = 2π ≈ 6.28 tokens), pair 31 turns
base^(−62/64) radians per token (λ_31 = 2π·base^(62/64): ≈ 4.7e4 tokens at base 1e4, ≈ 1.2e6
at MiniMind's 1e6). Like the hands of a clock, the fast pairs tell neighbours apart and the slow
pairs tell far-apart positions apart.

Measured here:
1. the ladder of wavelengths for bases 1e4 and 1e6 (head_dim 64);
2. uniqueness: with one frequency, positions collide (every 2π/θ tokens the hand is back);
   with all of them no two positions within N look alike (angle resolution stated);
3. long-term decay: RoFormer's bound (Su et al. 2021, §3.4.3) and the mean score of a query
   against a key with the same content Δ tokens away, for several bases; plus the control —
   independent random q and k show no decay at all.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
from rich.console import RenderableType
from rich.table import Table

from posenc.encodings import rope
from posenc.experiments import TITLES, plotting
from posenc.experiments.results import Progress, finish, prepare_out_dir, report
from posenc.experiments.rope_geometry import (
    colliding_offsets,
    count_colliding_pairs,
    inv_freq,
    roformer_bound,
    self_similarity,
    wavelengths,
)

EXPERIMENT = "3"
TITLE = TITLES["3"]

HEAD_DIM = 64
LADDER_BASES = [1e4, 1e6]  # the RoFormer default and MiniMind's rope_base
DECAY_BASES = [1e2, 1e4, 1e6]
UNIQUENESS_BASE = 1e4
TOLERANCE = 0.02  # rad (≈ 1.15°): two angles closer than this count as the same
SINE_PAIRS = [0, 4, 8, 16]
CLOCK_PAIRS = [0, 4, 8, 16, 24, 31]
CLOCK_POSITIONS = [0, 1, 2, 7, 100, 1000]
SEED = 0


def base_key(base: float) -> str:
    """The key a base is stored under in results.json: 1e4 -> "1e+04"."""
    return f"{base:.0e}"


TABLE_DISTANCES = [1, 10, 100, 1000, 4096, 16384]  # always among the measured distances


def decay_distances(max_distance: int, marks: list[int] = TABLE_DISTANCES) -> torch.Tensor:
    """Every distance 0 … 64, about 150 log-spaced integers up to ``max_distance`` and the
    ``marks`` a table quotes: sorted int64 [D]."""
    dense = torch.arange(0, 65)
    sparse = torch.logspace(math.log10(65), math.log10(max_distance), 150).round().long()
    quoted = torch.tensor([d for d in marks if d <= max_distance], dtype=torch.long)
    return torch.unique(torch.cat([dense, sparse, quoted]))  # sorted


def run(out_dir: str | Path = "results/exp3", quick: bool = False, progress: Progress | None = None) -> dict:
    """Measure the ladder, the collisions and the decay; write results.json and plots; return the results."""
    out = prepare_out_dir(out_dir)
    report(progress, 0.0, "frequency ladder")
    ladder = {}
    for base in LADDER_BASES:
        theta = inv_freq(base, HEAD_DIM)  # [32]
        lam = wavelengths(theta)  # [32]
        ladder[base_key(base)] = {
            "base": base,
            "inv_freq": theta,
            "wavelength": lam,
            "shortest": float(lam[0]),
            "longest": float(lam[-1]),
        }

    report(progress, 0.2, "counting position collisions")
    n_positions = 4096 if quick else 65536
    theta = inv_freq(UNIQUENESS_BASE, HEAD_DIM).double()  # [32]
    subsets = {f"fastest {k}": theta[:k] for k in (1, 2, 4, 8, 16)} | {
        "all 32": theta,
        "slowest 1": theta[-1:],
    }
    uniqueness = []
    for label, th in subsets.items():
        offsets = colliding_offsets(th, n_positions, TOLERANCE)
        uniqueness.append(
            {
                "pairs": label,
                "n_pairs": th.numel(),
                "colliding_offsets": offsets.numel(),
                "first_offsets": offsets[:8],
                "colliding_position_pairs": count_colliding_pairs(offsets, n_positions),
            }
        )

    report(progress, 0.4, "long-term decay")
    distances = decay_distances(4096 if quick else 16384)
    n_samples = 256 if quick else 2048
    decay = {"distances": distances, "n_samples": n_samples, "bases": {}}
    for j, base in enumerate(DECAY_BASES):
        report(progress, 0.4 + 0.4 * j / len(DECAY_BASES), f"long-term decay, base {base:g}")
        theta_b = inv_freq(base, HEAD_DIM).double()
        sim = self_similarity(theta_b, distances, n_samples, seed=SEED)
        decay["bases"][base_key(base)] = {
            "base": base,
            "roformer_bound": roformer_bound(theta_b, distances),
            "same_content_score": sim["same"],
            "independent_abs_score": sim["independent"],
        }

    report(progress, 0.85, "plotting")
    plots = _plot_ladder(out, ladder) + _plot_sines(out) + _plot_clocks(out) + _plot_decay(out, decay)
    report(progress, 1.0, "done")
    return finish(
        out,
        experiment=EXPERIMENT,
        title=TITLE,
        quick=quick,
        settings={
            "head_dim": HEAD_DIM,
            "ladder_bases": LADDER_BASES,
            "decay_bases": DECAY_BASES,
            "uniqueness_base": UNIQUENESS_BASE,
            "tolerance_rad": TOLERANCE,
            "n_positions": n_positions,
            "collision_rule": "positions m and m+Δ collide when |((Δ·θ_i + π) mod 2π) − π| < tolerance "
            "for every pair i used",
            "seed": SEED,
        },
        numbers={"ladder": ladder, "uniqueness": uniqueness, "decay": decay},
        plots=plots,
    )


def _plot_ladder(out: Path, ladder: dict) -> list[str]:
    with plotting.style():
        fig, (ax,) = plotting.new_figure(1, 1, width=7.0, height=4.4)
        for j, (key, entry) in enumerate(ladder.items()):
            ax.semilogy(
                range(HEAD_DIM // 2),
                entry["wavelength"],
                "o-",
                ms=3,
                color=plotting.COLORS[j],
                label=f"base {key}: {entry['shortest']:.2f} … {entry['longest']:.3g} tokens",
            )
        ax.axhline(2 * math.pi, color="gray", ls=":", lw=1, label="2π ≈ 6.28 (pair 0, any base)")
        ax.axhline(2048, color="gray", ls="--", lw=1, label="2048 tokens (MiniMind's training length)")
        plotting.style_axes(
            ax,
            title=f"Wavelength of each pair, head_dim {HEAD_DIM}: λ_i = 2π·base^(2i/d)",
            xlabel="pair index i",
            ylabel="wavelength λ_i (tokens, log scale)",
        )
        return plotting.save_figure(fig, out, "wavelength_ladder")


def _plot_sines(out: Path) -> list[str]:
    positions = torch.arange(0, 101)
    theta = inv_freq(UNIQUENESS_BASE, HEAD_DIM)
    fine = torch.linspace(0, 100, 1001)
    _, sin_fine = rope.cos_sin(positions, theta, 1.0)  # only to show the library's values at integers
    with plotting.style():
        fig, axes = plotting.new_figure(len(SINE_PAIRS), 1, width=8.0, height=1.5)
        for ax, (j, i) in zip(axes, enumerate(SINE_PAIRS), strict=True):
            lam = 2 * math.pi / float(theta[i])
            ax.plot(fine, torch.sin(fine * theta[i]), color=plotting.COLORS[j], lw=1)
            ax.plot(
                positions,
                sin_fine[:, i],
                ".",
                color=plotting.COLORS[j],
                ms=3,
                label=f"pair {i}: λ = {lam:.1f} tokens",
            )
            ax.set_ylim(-1.2, 1.2)
            ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5))  # beside the panel, not over the curve
            ax.set_ylabel("sin(m·θ_i)")
        axes[0].set_title(f"sin(m·θ_i) for a few pairs, base {UNIQUENESS_BASE:g} (dots: integer positions)")
        axes[-1].set_xlabel("position m (tokens)")
        return plotting.save_figure(fig, out, "sine_curves")


def _plot_clocks(out: Path) -> list[str]:
    theta = inv_freq(UNIQUENESS_BASE, HEAD_DIM)
    cos, sin = rope.cos_sin(torch.tensor(CLOCK_POSITIONS), theta, 1.0)  # [P, 32]
    circle = torch.linspace(0, 2 * math.pi, 100)
    with plotting.style():
        fig, axes = plotting.new_figure(len(CLOCK_POSITIONS), len(CLOCK_PAIRS), width=1.55, height=1.45)
        for r, m in enumerate(CLOCK_POSITIONS):
            for c, i in enumerate(CLOCK_PAIRS):
                ax = axes[r * len(CLOCK_PAIRS) + c]
                ax.plot(circle.cos(), circle.sin(), color="lightgray", lw=1)
                ax.annotate(
                    "",
                    xy=(float(cos[r, i]), float(sin[r, i])),
                    xytext=(0, 0),
                    arrowprops={"arrowstyle": "-|>", "color": plotting.COLORS[c], "lw": 2},
                )
                ax.set_aspect("equal")
                ax.set_xlim(-1.15, 1.15)
                ax.set_ylim(-1.15, 1.15)
                ax.set_xticks([])
                ax.set_yticks([])
                ax.set_frame_on(False)
                ax.grid(False)
                if r == 0:
                    ax.set_title(f"pair {i}\nλ = {2 * math.pi / float(theta[i]):.3g}", fontsize=9)
                if c == 0:
                    ax.set_ylabel(f"m = {m}", fontsize=10)
        fig.suptitle(
            f"Clock hands: angle m·θ_i of each pair (base {UNIQUENESS_BASE:g}); "
            "fast hands separate neighbours, slow hands far positions",
            fontsize=10,
        )
        return plotting.save_figure(fig, out, "clock_hands")


def _plot_decay(out: Path, decay: dict) -> list[str]:
    distances = decay["distances"].clamp(min=0)
    with plotting.style():
        fig, (ax, ax2) = plotting.new_figure(1, 2, width=6.0, height=4.4)
        for j, (key, entry) in enumerate(decay["bases"].items()):
            color = plotting.COLORS[j]
            ax.plot(distances[1:], entry["roformer_bound"][1:], color=color, label=f"base {key}")
            ax2.plot(distances[1:], entry["same_content_score"][1:], color=color, label=f"base {key}")
            ax2.plot(distances[1:], entry["independent_abs_score"][1:], color=color, ls=":", lw=1)
        ax2.plot([], [], color="black", label="k = q (same content)")
        ax2.plot([], [], color="black", ls=":", lw=1, label="k independent: mean |score|")
        ax2.set_ylim(-0.4, 1.45)  # room for the legend
        ax.set_xscale("log")
        ax2.set_xscale("log")
        ax2.axhline(0, color="black", lw=0.5)
        plotting.style_axes(
            ax,
            title="RoFormer bound (1/(d/2))·Σ_j |S_j|, head_dim 64",
            xlabel="relative distance Δ (tokens, log scale)",
            ylabel="relative upper bound",
        )
        plotting.style_axes(
            ax2,
            title=f"mean <R_0 q, R_Δ k> / d over {decay['n_samples']} random q, d = {HEAD_DIM}",
            xlabel="relative distance Δ (tokens, log scale)",
            ylabel="score / d",
        )
        ax2.legend(ncols=2, loc="upper right")
        return plotting.save_figure(fig, out, "long_term_decay")


def summary(results: dict) -> list[RenderableType]:
    """Rich tables and short conclusions for the terminal, from the results dict alone."""
    num, st = results["numbers"], results["settings"]
    ladder = num["ladder"]
    t1 = Table(title=f"Wavelength λ_i = 2π·base^(2i/{st['head_dim']}) in tokens")
    t1.add_column("pair i", justify="right")
    for key in ladder:
        t1.add_column(f"base {key}", justify="right")
    for i in (0, 1, 2, 8, 16, 24, 31):
        t1.add_row(str(i), *[f"{ladder[key]['wavelength'][i]:.4g}" for key in ladder])

    t2 = Table(
        title=f"Collisions among positions 0 … {st['n_positions'] - 1} (base {st['uniqueness_base']:g})",
        caption=f"same = every used pair's angle within {st['tolerance_rad']} rad (mod 2π)",
    )
    for col in ("pairs used", "colliding offsets Δ", "first few Δ", "colliding position pairs"):
        t2.add_column(col, justify="right" if col != "first few Δ" else "left")
    for row in num["uniqueness"]:
        first = ", ".join(str(v) for v in row["first_offsets"][:5])
        t2.add_row(
            row["pairs"], str(row["colliding_offsets"]), first or "—", f"{row['colliding_position_pairs']:,}"
        )

    decay = num["decay"]
    distances = decay["distances"]
    show = [d for d in TABLE_DISTANCES if d in distances]
    at_far = [f"{b['independent_abs_score'][distances.index(show[-1])]:.3f}" for b in decay["bases"].values()]
    flat = math.sqrt(2 / (math.pi * st["head_dim"]))  # E|N(0, d)| / d
    t3 = Table(
        title="Long-term decay: bound | same-content score / d",
        caption=f"independent random q, k: mean |score|/d = {', '.join(at_far)} at Δ = {show[-1]}, "
        f"flat at √(2/(πd)) = {flat:.4f}: no decay",
    )
    t3.add_column("Δ (tokens)", justify="right")
    for key in decay["bases"]:
        t3.add_column(f"base {key}", justify="right")
    for d in show:
        idx = distances.index(d)
        t3.add_row(
            str(d),
            *[
                f"{b['roformer_bound'][idx]:5.2f} | {b['same_content_score'][idx]:+.3f}"
                for b in decay["bases"].values()
            ],
        )
    return [
        t1,
        t2,
        "One hand alone repeats (every ≈ 2π tokens for pair 0, and it can barely move for the slowest pair); "
        "all 32 together give every position its own reading.",
        t3,
        "A larger base slows the decay: more pairs still turn slowly at long distances.",
    ]
