"""``rope-base`` — what RoPE's base (``rope_theta``) changes: wavelengths, decay, extrapolation.

θ_i = base^(−2i/d), so the base sets the slowest clock hand: λ_{d/2−1} = 2π·base^((d−2)/d).
A pair whose wavelength is shorter than the training length L has shown the model every angle
during training; a pair with λ_i > L has only shown angles up to L·θ_i < 2π. Beyond L those
slow pairs reach angles the model never saw — one reason RoPE models degrade past their
training length, and the reason long-context models raise the base (MiniMind uses 1e6,
Llama 3 5e5, Qwen 1e6).

Measured for rope_base 1e2, 1e4, 1e5, 1e6 at the head_dim and training length of the model
that is trained here (``--quick``: the "tiny" preset, head_dim 16, L 64; otherwise "small",
head_dim 32, L 128):
1. wavelengths, and how many pairs complete a full turn within L;
2. long-term decay (RoFormer's bound; same-content score) — a larger base decays more slowly;
   (at head_dim 64: with a handful of pairs the curves only jitter);
3. unless ``train=False`` (``--no-train``): one small LM per base (``posenc.train.train``, same
   data, seed and token budget), evaluated with ``posenc.evaluate.evaluate_run`` at 1×, 2×, 4×
   (and 8×) L — perplexity over all positions and over the last L positions.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from matplotlib.ticker import ScalarFormatter
from rich.console import RenderableType
from rich.table import Table

from posenc.experiments import TITLES, plotting
from posenc.experiments.exp3_multi_frequency import base_key, decay_distances
from posenc.experiments.results import Progress, finish, prepare_out_dir, report
from posenc.experiments.rope_geometry import inv_freq, roformer_bound, self_similarity, wavelengths

if TYPE_CHECKING:
    from posenc.model import ModelConfig

EXPERIMENT = "rope-base"
TITLE = TITLES["rope-base"]

BASES = [1e2, 1e4, 1e5, 1e6]
# the decay curves need many pairs to be readable (MiniMind's head_dim); 8 pairs only jitter
DECAY_HEAD_DIM = 64
SEED = 0

#: what is trained and evaluated; quick = seconds on a laptop CPU, full = minutes per base (CUDA when present)
SIZES = {
    True: {
        "preset": "tiny",
        "steps": 60,
        "batch_size": 8,
        "warmup_steps": 10,
        "lengths": "1x,2x,4x",
        "eval_windows": 8,
        "decay_samples": 128,
    },
    False: {
        "preset": "small",
        "steps": 1000,  # 1000 × 32 × 128 = 4.1 M tokens per base: ≈ 4 min per base on 2 CPU cores
        "batch_size": 32,
        "warmup_steps": 50,
        "lengths": "1x,2x,4x,8x",
        "eval_windows": 64,
        "decay_samples": 1024,
    },
}


def model_config(base: float, quick: bool) -> ModelConfig:
    """The ModelConfig trained for ``base``: the preset with RoPE at that base (half layout)."""
    from posenc.model import ModelConfig

    return ModelConfig.preset(SIZES[quick]["preset"], pe="rope", pe_options={"base": float(base)})


def train_and_evaluate(base: float, quick: bool, runs_dir: Path) -> dict:
    """Train (or resume / reuse) the run for ``base`` in ``runs_dir``, evaluate it; return its numbers."""
    from posenc.evaluate import evaluate_run
    from posenc.train import TrainConfig, train

    size = SIZES[quick]
    run_dir = runs_dir / f"{'quick-' if quick else ''}base-{base_key(base)}"
    config = TrainConfig(
        steps=size["steps"],
        batch_size=size["batch_size"],
        warmup_steps=size["warmup_steps"],
        seed=SEED,
        eval_every=0,
        ckpt_every=0,
        log_every=max(1, size["steps"] // 10),
    )
    # an existing run folder is resumed (a finished run returns at once, an interrupted one continues);
    # a run made with other settings is refused by train() with the differences listed
    resume = (run_dir / "config.json").exists() or (run_dir / "checkpoint.pt").exists()
    summary = train(model_config(base, quick), config, run_dir, resume=resume, progress=False)
    entry = evaluate_run(
        run_dir,
        lengths=size["lengths"],
        n_windows=size["eval_windows"],
        passkey_trials=0,
        seed=SEED,
        progress=False,
    )
    keep = ("length", "multiple", "windows", "loss", "ppl", "last", "last_loss", "last_ppl")
    return {
        "run": str(run_dir),
        "steps": summary["step"],
        "tokens": summary["tokens"],
        "train_loss": summary["train_loss"],
        "heldout_loss": summary["heldout_loss"],
        "rows": [{k: row.get(k) for k in keep} for row in entry["rows"]],
    }


def run(
    out_dir: str | Path = "results/rope-base",
    quick: bool = False,
    progress: Progress | None = None,
    train: bool = True,
) -> dict:
    """Analyse each base, optionally train and evaluate one model per base; write results.json and plots."""
    out = prepare_out_dir(out_dir)
    mcfg = model_config(BASES[0], quick)
    head_dim, train_len = mcfg.head_dim, mcfg.max_seq_len
    size = SIZES[quick]

    report(progress, 0.0, "wavelengths and decay")
    ladder, decay = {}, {}
    table_distances = [1, train_len // 4, train_len, 4 * train_len, 16 * train_len]
    distances = decay_distances(16 * train_len, marks=table_distances)
    for base in BASES:
        theta = inv_freq(base, head_dim).double()  # [h_d/2] of the trained model
        theta_decay = inv_freq(base, DECAY_HEAD_DIM).double()  # [32]
        lam = wavelengths(theta)
        ladder[base_key(base)] = {
            "base": base,
            "wavelength": lam,
            "shortest": float(lam[0]),
            "longest": float(lam[-1]),
            "pairs_full_turn_within_L": int((lam <= train_len).sum()),
            "max_angle_at_L_slowest_pair": float(train_len * theta[-1]),  # radians seen in training
        }
        sim = self_similarity(theta_decay, distances, size["decay_samples"], seed=SEED)
        decay[base_key(base)] = {
            "roformer_bound": roformer_bound(theta_decay, distances),
            "same_content_score": sim["same"],
        }

    perplexity = None
    if train:
        perplexity = {}
        for j, base in enumerate(BASES):
            report(
                progress,
                0.1 + 0.8 * j / len(BASES),
                f"training and evaluating base {base:g} ({j + 1}/{len(BASES)}, {size['steps']} steps)",
            )
            perplexity[base_key(base)] = train_and_evaluate(base, quick, out / "runs")

    report(progress, 0.92, "plotting")
    plots = _plot_analysis(out, ladder, decay, distances, train_len, head_dim)
    if perplexity:
        plots += _plot_perplexity(out, perplexity, train_len)
    report(progress, 1.0, "done")
    return finish(
        out,
        experiment=EXPERIMENT,
        title=TITLE,
        quick=quick,
        settings={
            "bases": BASES,
            "head_dim": head_dim,
            "train_length": train_len,
            "model_preset": size["preset"],
            "trained": train,
            "train": {k: size[k] for k in ("steps", "batch_size", "warmup_steps")} | {"seed": SEED},
            "eval_lengths": size["lengths"],
            "eval_windows": size["eval_windows"],
            "decay_samples": size["decay_samples"],
        },
        numbers={
            "wavelengths": ladder,
            "decay": {"head_dim": DECAY_HEAD_DIM, "distances": distances, "bases": decay},
            "perplexity": perplexity,
        },
        plots=plots,
    )


def _plot_analysis(
    out: Path, ladder: dict, decay: dict, distances, train_len: int, head_dim: int
) -> list[str]:
    with plotting.style():
        fig, (ax, ax2) = plotting.new_figure(1, 2, width=6.0, height=4.4)
        for j, (key, entry) in enumerate(ladder.items()):
            ax.semilogy(
                range(head_dim // 2),
                entry["wavelength"],
                "o-",
                ms=3,
                color=plotting.COLORS[j],
                label=f"base {key}: {entry['pairs_full_turn_within_L']} pairs turn fully within L",
            )
            ax2.plot(
                distances[1:], decay[key]["roformer_bound"][1:], color=plotting.COLORS[j], label=f"base {key}"
            )
        ax.axhline(train_len, color="gray", ls="--", lw=1, label=f"training length L = {train_len}")
        plotting.style_axes(
            ax,
            title=f"Wavelengths λ_i = 2π·base^(2i/d), head_dim {head_dim}",
            xlabel="pair index i",
            ylabel="wavelength (tokens, log scale)",
        )
        ax2.axvline(train_len, color="gray", ls="--", lw=1, label=f"L = {train_len}")
        ax2.set_xscale("log")
        plotting.style_axes(
            ax2,
            title=f"Long-term decay: RoFormer bound, head_dim {DECAY_HEAD_DIM}",
            xlabel="relative distance Δ (tokens, log scale)",
            ylabel="relative upper bound",
        )
        return plotting.save_figure(fig, out, "wavelengths_and_decay")


def _plot_perplexity(out: Path, perplexity: dict, train_len: int) -> list[str]:
    with plotting.style():
        fig, (ax, ax2) = plotting.new_figure(1, 2, width=5.5, height=4.2)
        for j, (key, entry) in enumerate(perplexity.items()):
            mult = [r["multiple"] for r in entry["rows"]]
            ax.plot(
                mult, [r["ppl"] for r in entry["rows"]], "o-", color=plotting.COLORS[j], label=f"base {key}"
            )
            ax2.plot(
                mult,
                [r["last_ppl"] for r in entry["rows"]],
                "o-",
                color=plotting.COLORS[j],
                label=f"base {key}",
            )
        for axis, what in ((ax, "all positions"), (ax2, f"last {train_len} positions")):
            axis.set_xscale("log", base=2)
            axis.set_xticks(mult, [f"{m:g}×" for m in mult])
            axis.set_yscale("log")
            axis.yaxis.set_major_formatter(ScalarFormatter())
            axis.yaxis.set_minor_formatter(ScalarFormatter())
            axis.axvline(1, color="gray", ls="--", lw=1)
            plotting.style_axes(
                axis,
                title=f"Held-out perplexity, {what}",
                xlabel=f"evaluation length, in multiples of the training length L = {train_len}",
                ylabel="perplexity (bytes, log scale)",
            )
        return plotting.save_figure(fig, out, "perplexity_vs_length")


def summary(results: dict) -> list[RenderableType]:
    """Rich tables and short conclusions for the terminal, from the results dict alone."""
    num, st = results["numbers"], results["settings"]
    L = st["train_length"]
    t1 = Table(title=f"rope_base at head_dim {st['head_dim']}, training length L = {L}")
    for col in ("base", "shortest λ", "longest λ", "pairs with λ ≤ L", "slowest pair: turns in L"):
        t1.add_column(col, justify="right")
    for key, w in num["wavelengths"].items():
        turns = w["max_angle_at_L_slowest_pair"] / (2 * math.pi)
        t1.add_row(
            key,
            f"{w['shortest']:.2f}",
            f"{w['longest']:.4g}",
            f"{w['pairs_full_turn_within_L']} / {st['head_dim'] // 2}",
            f"{turns:.2g}",
        )
    distances = num["decay"]["distances"]
    show = [d for d in (1, L // 4, L, 4 * L, 16 * L) if d in distances]
    t2 = Table(
        title=f"Long-term decay (head_dim {num['decay']['head_dim']}): "
        "RoFormer bound | same-content score / d"
    )
    t2.add_column("Δ (tokens)", justify="right")
    for key in num["decay"]["bases"]:
        t2.add_column(f"base {key}", justify="right")
    for d in show:
        i = distances.index(d)
        t2.add_row(
            str(d),
            *[
                f"{b['roformer_bound'][i]:.2f} | {b['same_content_score'][i]:+.2f}"
                for b in num["decay"]["bases"].values()
            ],
        )
    items: list[RenderableType] = [t1, t2]
    ppl = num["perplexity"]
    if not ppl:
        items.append("Training skipped (--no-train): perplexity beyond L not measured.")
        return items
    t3 = Table(
        title="Held-out perplexity (all positions | last L positions)",
        caption=f"{st['model_preset']} model, {st['train']['steps']} steps × {st['train']['batch_size']} "
        f"× {L} tokens per base, same data and seed",
    )
    t3.add_column("length", justify="right")
    for key in ppl:
        t3.add_column(f"base {key}", justify="right")
    for i, row in enumerate(next(iter(ppl.values()))["rows"]):
        t3.add_row(
            f"{row['length']} ({row['multiple']:g}×L)",
            *[f"{e['rows'][i]['ppl']:.2f} | {e['rows'][i]['last_ppl']:.2f}" for e in ppl.values()],
        )
    rows = next(iter(ppl.values()))["rows"]
    best = [
        f"{row['multiple']:g}×L: base {min(ppl, key=lambda k, i=i: ppl[k]['rows'][i]['last_ppl'])}"
        for i, row in enumerate(rows)
        if row["multiple"] > 1
    ]
    items += [
        t3,
        "The last-L column beyond 1×L shows how each base copes with positions it never saw. "
        f"Lowest last-L perplexity at {'; '.join(best)}.",
    ]
    if results["quick"]:
        items.append(
            "[yellow]--quick trains for seconds: the perplexities are barely past a unigram model; "
            "run without --quick for the real comparison.[/]"
        )
    return items
