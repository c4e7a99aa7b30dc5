"""Experiment 2 — RoPE basics: rotations, and scores that depend only on the distance.

RoPE (Su et al. 2021, RoFormer) rotates each pair of query/key features by an angle proportional
to the token's position m: pair i turns by m·θ_i. In 2D with one frequency θ,

    R_m q = (q_x cos mθ − q_y sin mθ,  q_x sin mθ + q_y cos mθ),
    <R_m q, R_n k> = <q, R_{n−m} k>                (rotations compose: R_m^T R_n = R_{n−m})

so the score depends on n − m only, and a rotation never changes a norm.

Part 1 (the practice page's walk-through): q = k = (1, 0), θ = π/4, positions 0 … 7; positions
1, 2, 4 land on (0.707, 0.707), (0, 1), (−1, 0); the pairs (1,2), (3,4), (10,11) all score
cos(π/4) ≈ 0.707 and (1,5) scores cos(π) = −1.
Part 2: random q, k with head_dim 64 and base 1e4 (all 32 frequencies at once): the score matrix
score[m, n] = <R_m q, R_n k> is constant along every diagonal n − m = const.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
from rich.console import RenderableType
from rich.table import Table
from torch import Tensor

from posenc.experiments import TITLES
from posenc.experiments.results import Progress, finish, report
from posenc.experiments.rope_geometry import inv_freq, rotate_at
from posenc.results import formatting as fmt
from posenc.results import plotting
from posenc.results.files import prepare_out_dir

EXPERIMENT = "2"
TITLE = TITLES["2"]

THETA_2D = math.pi / 4  # one turn every 8 positions
POSITIONS_2D = list(range(8))
PAIRS = [(1, 2), (3, 4), (10, 11), (1, 5)]
HEAD_DIM, BASE, SEED = 64, 1e4, 0
SAMPLE_POSITIONS = [(0, 4), (5, 9), (40, 44), (7, 3), (50, 30)]  # (m, n) pairs echoed in results.json


def rotate_2d(vector: tuple[float, float], positions: list[int], theta: float) -> Tensor:
    """Rotate one 2D vector to each position with the library's RoPE: returns float64 [P, 2]."""
    x = torch.tensor([vector], dtype=torch.float64)  # [1, 2]
    return rotate_at(x, torch.tensor(positions), torch.tensor([theta], dtype=torch.float64))[0]  # [P, 2]


def score_matrix(q: Tensor, k: Tensor, n_positions: int, theta: Tensor) -> Tensor:
    """score[m, n] = <R_m q, R_n k> for m, n in 0 … P−1; q, k [d] -> float64 [P, P]."""
    positions = torch.arange(n_positions)
    q_at = rotate_at(q[None], positions, theta)[0]  # [P, d]
    k_at = rotate_at(k[None], positions, theta)[0]  # [P, d]
    return q_at @ k_at.T  # [P, P]


def diagonal_deviation(score: Tensor) -> float:
    """max over diagonals (n − m = const) of (max − min) along that diagonal."""
    p = score.shape[0]
    spread = [score.diagonal(offset).max() - score.diagonal(offset).min() for offset in range(-p + 1, p)]
    return float(torch.stack(spread).max())


def run(out_dir: str | Path = "results/exp2", quick: bool = False, progress: Progress | None = None) -> dict:
    """Rotate, score, measure; write results.json and plots to ``out_dir``; returns the results."""
    out = prepare_out_dir(out_dir)
    report(progress, 0.0, "rotating (1, 0) by θ = π/4 per position")
    pair_positions = sorted({p for pair in PAIRS for p in pair})
    rotated = rotate_2d((1.0, 0.0), POSITIONS_2D, THETA_2D)  # [8, 2]
    at = dict(zip(pair_positions, rotate_2d((1.0, 0.0), pair_positions, THETA_2D), strict=True))
    dots = {f"({m},{n})": float(at[m] @ at[n]) for m, n in PAIRS}
    norms = rotated.norm(dim=1)  # [8]

    report(progress, 0.4, f"scoring random q, k (head_dim {HEAD_DIM}, base {BASE:g}) at every (m, n)")
    n_positions = 64 if quick else 256
    theta = inv_freq(BASE, HEAD_DIM)  # [32], the library's θ_i
    g = torch.Generator().manual_seed(SEED)
    q = torch.randn(HEAD_DIM, generator=g, dtype=torch.float64)  # [d]
    k = torch.randn(HEAD_DIM, generator=g, dtype=torch.float64)  # [d]
    score = score_matrix(q, k, n_positions, theta)  # [P, P]
    deviation = diagonal_deviation(score)
    scale = float(score.abs().max())

    report(progress, 0.8, "plotting")
    plots = _plot_rotations(out, rotated, dots) + _plot_scores(out, score)
    report(progress, 1.0, "done")
    return finish(
        out,
        experiment=EXPERIMENT,
        title=TITLE,
        quick=quick,
        settings={
            "theta_2d": THETA_2D,
            "vector_2d": [1.0, 0.0],
            "layout": "half",
            "head_dim": HEAD_DIM,
            "base": BASE,
            "seed": SEED,
            "n_positions": n_positions,
        },
        numbers={
            "rotated_2d": {str(p): rotated[i] for i, p in enumerate(POSITIONS_2D)},
            "dot_products": dots,
            "norms": norms,
            "max_norm_change": float((norms - 1).abs().max()),
            "head_dim_64": {
                "q": q,
                "k": k,
                "score_by_offset": score[0],  # score(0, Δ) for Δ = 0 … P−1
                "samples": [{"m": m, "n": n, "score": float(score[m, n])} for m, n in SAMPLE_POSITIONS],
                "max_diagonal_deviation": deviation,
                "max_abs_score": scale,
                "relative_diagonal_deviation": deviation / scale,
            },
        },
        plots=plots,
    )


def _plot_rotations(out: Path, rotated: Tensor, dots: dict) -> list[str]:
    with plotting.style():
        fig, (ax, ax2) = plotting.new_figure(1, 2, width=5.0, height=4.8)
        t = torch.linspace(0, 2 * math.pi, 200)
        ax.plot(t.cos(), t.sin(), color="lightgray", lw=1, label="unit circle")
        for p, (x, y) in zip(POSITIONS_2D, rotated.tolist(), strict=True):
            color = plotting.COLORS[p % len(plotting.COLORS)]
            ax.annotate(
                "", xy=(x, y), xytext=(0, 0), arrowprops={"arrowstyle": "->", "color": color, "lw": 1.8}
            )
            x2, y2 = round(x, 2) + 0.0, round(y, 2) + 0.0  # + 0.0 turns −0.0 into 0.0
            ax.text(1.3 * x, 1.22 * y, f"m={p}\n({x2:.2f}, {y2:.2f})", ha="center", va="center", fontsize=8)
        ax.set_aspect("equal")
        ax.set_xlim(-1.7, 1.7)
        ax.set_ylim(-1.6, 1.6)
        plotting.style_axes(
            ax,
            title="R_m·(1, 0) with θ = π/4: one turn per 8 positions",
            xlabel="feature 0",
            ylabel="feature 1",
        )

        offsets = torch.linspace(-1, 11, 300)
        ax2.plot(offsets, torch.cos(offsets * THETA_2D), color="gray", lw=1, label="cos((n − m)·π/4)")
        for j, (pair, value) in enumerate(dots.items()):
            m, n = (int(v) for v in pair.strip("()").split(","))
            # pairs at the same distance overlap: shrinking hollow markers keep each one visible
            ax2.plot(
                [n - m],
                [value],
                "o",
                ms=14 - 3 * j,
                mew=2,
                fillstyle="none",
                color=plotting.COLORS[j],
                label=f"(m, n) = {pair}: {value:.3f}",
            )
        plotting.style_axes(
            ax2,
            title="<R_m q, R_n q> depends on n − m only",
            xlabel="relative distance n − m (tokens)",
            ylabel="dot product",
        )
        return plotting.save_figure(fig, out, "rotations_2d")


def _plot_scores(out: Path, score: Tensor) -> list[str]:
    with plotting.style():
        fig, (ax, ax2) = plotting.new_figure(1, 2, width=5.2, height=4.4)
        im = ax.imshow(score, cmap="RdBu_r", origin="upper", vmin=-score.abs().max(), vmax=score.abs().max())
        ax.grid(False)
        fig.colorbar(im, ax=ax, label="<R_m q, R_n k>", shrink=0.85)
        plotting.style_axes(
            ax,
            title=f"score(m, n), head_dim {HEAD_DIM}, base {BASE:g}: stripes = diagonals",
            xlabel="key position n",
            ylabel="query position m",
        )
        p = score.shape[0]
        profile = torch.cat(
            [score[1:, 0].flip(0), score[0, :]]
        )  # score(m, 0) for Δ = −m < 0, then score(0, Δ)
        ax2.plot(
            range(-p + 1, p),
            profile,
            color=plotting.COLORS[0],
            lw=1.5,
            label="row m = 0 (Δ ≥ 0), column n = 0 (Δ < 0)",
        )
        mid = p // 2
        ax2.plot(
            range(-mid, p - mid),
            score[mid],
            ".",
            color=plotting.COLORS[1],
            ms=4,
            label=f"query at m = {mid}, every key",
        )
        plotting.style_axes(
            ax2,
            title="the same curve from any query position",
            xlabel="relative distance Δ = n − m (tokens)",
            ylabel="score",
        )
        return plotting.save_figure(fig, out, "score_diagonals")


def summary(results: dict) -> list[RenderableType]:
    """Rich tables and short conclusions for the terminal, from the results dict alone."""
    num = results["numbers"]
    t1 = Table(title="(1, 0) rotated by m·π/4", caption="a rotation: every norm stays 1")
    for col in ("position m", "x", "y", "norm"):
        t1.add_column(col, justify="right")
    for i, (p, (x, y)) in enumerate(num["rotated_2d"].items()):
        t1.add_row(p, f"{round(x, 3) + 0.0:+.3f}", f"{round(y, 3) + 0.0:+.3f}", f"{num['norms'][i]:.6f}")
    t2 = Table(title="<R_m q, R_n q>, q = (1, 0)")
    for col in ("(m, n)", "n − m", "measured", "cos((n − m)·π/4)"):
        t2.add_column(col, justify="right")
    for pair, value in num["dot_products"].items():
        m, n = (int(v) for v in pair.strip("()").split(","))
        t2.add_row(pair, str(n - m), f"{value:+.4f}", f"{math.cos((n - m) * math.pi / 4):+.4f}")
    h = num["head_dim_64"]
    return [
        t1,
        t2,
        f"head_dim {results['settings']['head_dim']}, base {fmt.base(results['settings']['base'])}, "
        f"{results['settings']['n_positions']} positions: scores up to {h['max_abs_score']:.1f}; along every "
        f"diagonal n − m = const they vary by at most {fmt.num(h['max_diagonal_deviation'])} "
        f"({fmt.num(h['relative_diagonal_deviation'])} of the largest score): float32 round-off of the "
        "angles m·θ_i, which grows with the position. The score is a function of n − m alone.",
    ]
