"""Experiment 3 — many frequencies: RoPE's clock with 32 hands.

RoPE with head_dim d = 64 rotates 32 pairs at geometrically spaced speeds θ_i = base^(−2i/d):
pair 0 turns one radian per token (wavelength λ_0 = 2π ≈ 6.28 tokens), pair 31 turns
base^(−62/64) radians per token (λ_31 = 2π·base^(62/64): 47,117 tokens at base 1e4, 4,080,185 at
MiniMind's 1e6). Like the hands of a clock, the fast pairs tell neighbours apart and the slow
pairs tell far-apart positions apart.

Measured here:
1. the ladder of wavelengths for bases 1e4 and 1e6 (head_dim 64);
2. uniqueness: with one frequency, positions collide (every 2π/θ tokens the hand is back);
   with all of them no two positions within N look alike (angle resolution stated);
3. long-term decay: RoFormer's bound (Su et al. 2021, §3.4.3) and the mean score of a query
   against a key with the same content Δ tokens away, for several bases; plus the control —
   independent random q and k show no decay at all. Both curves oscillate from one Δ to the next,
   so bases are compared by their trend — the mean over the octave around each Δ
   (:func:`~posenc.experiments.rope_geometry.octave_mean`) — not by single points: at Δ = 4096
   the bound is lower for base 1e6 than for 1e4, yet its trend is higher (a larger base decays
   more slowly). Every base's bound settles at the same random-phase level (≈ 3.4 for 32 pairs);
   a larger base gets there later.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
from rich.console import RenderableType
from rich.table import Table

from posenc.encodings import rope
from posenc.experiments import TITLES
from posenc.experiments.results import Progress, finish, report
from posenc.experiments.rope_geometry import (
    colliding_offsets,
    count_colliding_pairs,
    expected_same_score,
    inv_freq,
    octave_mean,
    random_phase_level,
    roformer_bound,
    self_similarity,
    wavelengths,
)
from posenc.results import formatting as fmt
from posenc.results import plotting
from posenc.results.files import prepare_out_dir

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
COMPARE_AT = 4096  # the distance the takeaway compares single points and trends at
NEAR_LEVEL = 1.1  # "has decayed": the trend is within 10 % of the random-phase level


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
    decay = {
        "distances": distances,
        "n_samples": n_samples,
        "smoothing": "trend = mean over every integer Δ' with Δ/√2 ≤ Δ' ≤ Δ·√2 (one octave)",
        "random_phase_level": random_phase_level(HEAD_DIM // 2),
        "bases": {},
    }
    for j, base in enumerate(DECAY_BASES):
        report(progress, 0.4 + 0.4 * j / len(DECAY_BASES), f"long-term decay, base {fmt.base(base)}")
        theta_b = inv_freq(base, HEAD_DIM).double()
        sim = self_similarity(theta_b, distances, n_samples, seed=SEED)
        decay["bases"][base_key(base)] = {
            "base": base,
            "roformer_bound": roformer_bound(theta_b, distances),
            "roformer_bound_trend": octave_mean(lambda d, t=theta_b: roformer_bound(t, d), distances),
            "same_content_score": sim["same"],
            "same_content_trend": octave_mean(lambda d, t=theta_b: expected_same_score(t, d), distances),
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
        yarn_original = "2048 tokens (original length of MiniMind's YaRN recipe)"
        ax.axhline(2048, color="gray", ls="--", lw=1, label=yarn_original)
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


def bound_label(n_pairs: int) -> str:
    """The y label of a bound panel: (1/(d/2))·Σ_j |S_j(Δ)| written out, S_j(Δ) = Σ_{k<j} e^{iΔθ_k}."""
    n = n_pairs
    partial = r"\left|\sum_{k<j} e^{\,i\Delta\theta_k}\right|"  # |S_j(Δ)|
    return rf"relative bound $\frac{{1}}{{{n}}}\sum_{{j=1}}^{{{n}}}\,{partial}$"


#: one line style per base, so the curves stay apart in grey print and for colour-blind readers
LINE_STYLES = ["-", "--", "-."]


def _plot_decay(out: Path, decay: dict) -> list[str]:
    """Two panels against log Δ: RoFormer's bound and the same-content score. Each base: its value
    at every Δ (thin, faint) and its trend, the octave mean (thick, own colour and line style)."""
    distances = decay["distances"][1:]  # Δ ≥ 1 on a log axis
    level = decay["random_phase_level"]
    with plotting.style():
        fig, (ax, ax2) = plotting.new_figure(1, 2, width=6.2, height=4.6)
        for j, entry in enumerate(decay["bases"].values()):
            color, ls, label = (
                plotting.COLORS[j],
                LINE_STYLES[j % len(LINE_STYLES)],
                f"base {fmt.base(entry['base'])}",
            )
            ax.plot(distances, entry["roformer_bound"][1:], color=color, lw=0.6, alpha=0.3)
            ax.plot(distances, entry["roformer_bound_trend"][1:], color=color, ls=ls, lw=2.2, label=label)
            ax2.plot(distances, entry["same_content_score"][1:], color=color, lw=0.6, alpha=0.3)
            ax2.plot(distances, entry["same_content_trend"][1:], color=color, ls=ls, lw=2.2, label=label)
        ax.axhline(level, color="gray", ls=":", lw=1.2, label=f"level of random phases ≈ {level:.1f}")
        ax.plot([], [], color="gray", lw=0.6, alpha=0.5, label="value at each Δ (oscillates)")
        independent = [e["independent_abs_score"][1:] for e in decay["bases"].values()]
        mean_independent = [sum(v) / len(v) for v in zip(*independent, strict=True)]
        ax2.plot(
            distances,
            mean_independent,
            color="black",
            ls=":",
            lw=1.2,
            label="independent q, k: mean |q·k| / d",
        )
        ax2.axhline(0, color="black", lw=0.5)
        ax.set_ylim(0, None)
        for axis in (ax, ax2):
            axis.set_xscale("log")
        plotting.style_axes(
            ax,
            title="RoFormer's upper bound on |q·k| (relative)",
            xlabel="relative distance Δ = n − m (tokens, log scale)",
            ylabel=bound_label(HEAD_DIM // 2),
        )
        plotting.style_axes(
            ax2,
            title="Score of a query against a key with the same content",
            xlabel="relative distance Δ = n − m (tokens, log scale)",
            ylabel=f"mean q·k / d over {decay['n_samples']:,} random q",
        )
        for axis in (ax, ax2):  # below the panels: clear of every curve
            axis.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=3)
        fig.suptitle(
            f"Long-term decay, head_dim {HEAD_DIM}: thick = trend (mean over Δ/√2 … Δ·√2), "
            "thin = value at each Δ",
            fontsize=11,
        )
        return plotting.save_figure(fig, out, "long_term_decay")


def first_near_level(distances: list[int], trend: list[float], level: float) -> int | None:
    """The first Δ from which the trend stays within :data:`NEAR_LEVEL` of the random-phase level."""
    near = None
    for d, value in zip(distances, trend, strict=True):
        if d > 0 and value <= NEAR_LEVEL * level:
            near = d if near is None else near
        else:
            near = None
    return near


def decay_takeaway(decay: dict) -> str:
    """What the decay numbers show, in words computed from them (single points vs trends)."""
    distances = decay["distances"]
    bases = list(decay["bases"].values())
    at = COMPARE_AT if COMPARE_AT in distances else max(d for d in TABLE_DISTANCES if d in distances)
    i, far, level = distances.index(at), distances[-1], decay["random_phase_level"]
    mid, big = bases[-2], bases[-1]  # 1e4 and 1e6
    mid_name, big_name = (f"base {fmt.base(b['base'])}" for b in (mid, big))

    def reached(b: dict) -> str:
        d = first_near_level(distances, b["roformer_bound_trend"], level)
        name = f"base {fmt.base(b['base'])}"
        return f"{name} by Δ ≈ {fmt.num(float(f'{d:.1g}'))}" if d else f"{name} not by {fmt.num(far)}"

    point = f"{big['roformer_bound'][i]:.2f} for {big_name} and {mid['roformer_bound'][i]:.2f} for {mid_name}"
    trend = f"{big['roformer_bound_trend'][i]:.2f} and {mid['roformer_bound_trend'][i]:.2f}"
    score_mid, score_big = (fmt.signed(b["same_content_trend"][i], 2) for b in (mid, big))
    score = f"{score_mid} for {mid_name} and {score_big} for {big_name}"
    return (
        f"The bound oscillates, so single distances mislead: at Δ = {fmt.num(at)} it is {point}, yet its "
        f"trend there (the mean over Δ/√2 … Δ·√2) is {trend}. Every base's bound falls towards the same "
        f"level, ≈ {level:.1f} (where the phases look random); within 10 % of it: "
        f"{'; '.join(reached(b) for b in bases)}. A larger base slows the decay — it gets there later — "
        f"and the same-content score agrees: its trend at Δ = {fmt.num(at)} is {score}."
    )


def summary(results: dict) -> list[RenderableType]:
    """Rich tables and short conclusions for the terminal, from the results dict alone."""
    num, st = results["numbers"], results["settings"]
    ladder = num["ladder"]
    t1 = Table(title=f"Wavelength λ_i = 2π·base^(2i/{st['head_dim']}) in tokens")
    t1.add_column("pair i", justify="right")
    for entry in ladder.values():
        t1.add_column(f"base {fmt.base(entry['base'])}", justify="right")
    for i in (0, 1, 2, 8, 16, 24, 31):
        t1.add_row(str(i), *[fmt.num(entry["wavelength"][i]) for entry in ladder.values()])

    t2 = Table(
        title=f"Collisions among positions 0 … {fmt.num(st['n_positions'] - 1)} "
        f"(base {fmt.base(st['uniqueness_base'])})",
        caption=f"same = every used pair's angle within {st['tolerance_rad']} rad (mod 2π)",
    )
    for col in ("pairs used", "colliding offsets Δ", "first few Δ", "colliding position pairs"):
        t2.add_column(col, justify="right" if col != "first few Δ" else "left")
    for row in num["uniqueness"]:
        first = ", ".join(fmt.num(v) for v in row["first_offsets"][:5])
        t2.add_row(
            row["pairs"], str(row["colliding_offsets"]), first or "—", f"{row['colliding_position_pairs']:,}"
        )

    decay = num["decay"]
    distances = decay["distances"]
    show = [d for d in TABLE_DISTANCES if d in distances]
    bases = decay["bases"].values()
    at_far = [f"{b['independent_abs_score'][distances.index(show[-1])]:.3f}" for b in bases]
    flat = math.sqrt(2 / (math.pi * st["head_dim"]))  # E|N(0, d)| / d
    t3 = Table(
        title="Long-term decay: RoFormer's bound at Δ (its trend)",
        caption=f"trend = mean over Δ/√2 … Δ·√2; random-phase level ≈ {decay['random_phase_level']:.2f}",
    )
    t4 = Table(
        title="Same-content score q·k / d at Δ (its trend)",
        caption=f"independent random q, k: mean |score|/d = {', '.join(at_far)} at Δ = {fmt.num(show[-1])}, "
        f"flat at √(2/(πd)) = {flat:.4f}: no decay",
    )
    for table in (t3, t4):
        table.add_column("Δ (tokens)", justify="right")
        for b in bases:
            table.add_column(f"base {fmt.base(b['base'])}", justify="right")
    for d in show:
        i = distances.index(d)
        t3.add_row(
            fmt.num(d), *[f"{b['roformer_bound'][i]:.2f} ({b['roformer_bound_trend'][i]:.2f})" for b in bases]
        )
        t4.add_row(
            fmt.num(d),
            *[
                f"{fmt.signed(b['same_content_score'][i], 3)} ({fmt.signed(b['same_content_trend'][i], 2)})"
                for b in bases
            ],
        )
    return [
        t1,
        t2,
        "One hand alone repeats (every ≈ 2π tokens for pair 0, and it can barely move for the slowest pair); "
        "all 32 together give every position its own reading.",
        t3,
        t4,
        decay_takeaway(decay),
    ]
