"""``rope-base`` — what RoPE's base (``rope_theta``) changes: wavelengths, decay, extrapolation.

θ_i = base^(−2i/d), so the base sets the slowest clock hand: λ_{d/2−1} = 2π·base^((d−2)/d).
A pair whose wavelength is shorter than the training length L has shown the model every angle
during training; a pair with λ_i > L has only shown angles up to L·θ_i < 2π. Beyond L those
slow pairs reach angles the model never saw — one reason RoPE models degrade past their
training length, and the reason models trained at long lengths raise the base (Llama 2 Long
5e5 for its 32k continual pretraining, Llama 3 5e5, Qwen2 1e6). MiniMind's 1e6 is no such case:
it pretrains at 340 tokens; its post-training runs longer (SFT 768, DPO 1,024 tokens in minimind-3)
and YaRN at inference stretches it further (note 04 gives the pinned trainer lines).

Measured for rope_base 1e2, 1e4, 1e5, 1e6, all at the head_dim and training length of the model
that is trained here (``--quick``: the "tiny" preset, head_dim 16, L 64; otherwise "small",
head_dim 32, L 128):
1. wavelengths, and how many pairs complete a full turn within L;
2. long-term decay (RoFormer's bound; same-content score) and its trend, the mean over the octave
   around each distance (with 8 or 16 pairs the values at single distances jitter; the trend shows
   that a larger base decays more slowly);
3. unless ``train=False`` (``--no-train``): one small LM per base (``posenc.train.train``, same
   data, seed and token budget), evaluated with ``posenc.evaluate.evaluate_run`` at 1×, 2×, 4×
   (and 8×) L — perplexity over all positions and over the last L positions.

``--no-train`` in a folder that holds a trained run's results made with the same settings keeps
its perplexities (and redraws their plot from them); otherwise results.json says none were
measured and a perplexity plot left from another run is removed, so no file contradicts another.
The quick run's perplexity plot is marked as a smoke test.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from matplotlib.ticker import ScalarFormatter
from rich.console import RenderableType
from rich.table import Table

from posenc.experiments import TITLES
from posenc.experiments.exp3_multi_frequency import (
    base_key,
    bound_label,
    decay_distances,
    first_near_level,
)
from posenc.experiments.results import Progress, finish, report
from posenc.experiments.rope_geometry import (
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
from posenc.results.jsonsafe import to_jsonable

if TYPE_CHECKING:
    from posenc.model import ModelConfig

EXPERIMENT = "rope-base"
TITLE = TITLES["rope-base"]

BASES = [1e2, 1e4, 1e5, 1e6]
SEED = 0
#: one line style per base, so the curves stay apart in grey print and for colour-blind readers
LINE_STYLES = ["-", "--", "-.", (0, (6, 1.5, 1, 1.5, 1, 1.5))]  # the last: dash-dot-dot
#: the plot of the trained models' perplexities, removed when results.json holds none
PERPLEXITY_PLOT = "perplexity_vs_length"
#: settings that must match for ``--no-train`` to keep an earlier run's perplexities
SAME_TRAINING = ("bases", "head_dim", "train_length", "model_preset", "train", "eval_lengths", "eval_windows")

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
        lam = wavelengths(theta)
        ladder[base_key(base)] = {
            "base": base,
            "wavelength": lam,
            "shortest": float(lam[0]),
            "longest": float(lam[-1]),
            "pairs_full_turn_within_L": int((lam <= train_len).sum()),
            "max_angle_at_L_slowest_pair": float(train_len * theta[-1]),  # radians seen in training
        }
        sim = self_similarity(theta, distances, size["decay_samples"], seed=SEED)
        decay[base_key(base)] = {
            "roformer_bound": roformer_bound(theta, distances),
            "roformer_bound_trend": octave_mean(lambda d, t=theta: roformer_bound(t, d), distances),
            "same_content_score": sim["same"],
            "same_content_trend": octave_mean(lambda d, t=theta: expected_same_score(t, d), distances),
        }

    settings = {
        "bases": BASES,
        "head_dim": head_dim,
        "train_length": train_len,
        "model_preset": size["preset"],
        "trained": train,
        "train": {k: size[k] for k in ("steps", "batch_size", "warmup_steps")} | {"seed": SEED},
        "eval_lengths": size["lengths"],
        "eval_windows": size["eval_windows"],
        "decay_samples": size["decay_samples"],
    }
    perplexity = None if train else earlier_perplexity(out, settings, quick)
    if perplexity is not None:
        settings["perplexity_from"] = "an earlier trained run in this folder (--no-train kept it)"
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
    decay_numbers = {
        "head_dim": head_dim,
        "distances": distances,
        "smoothing": "trend = mean over every integer Δ' with Δ/√2 ≤ Δ' ≤ Δ·√2 (one octave)",
        "random_phase_level": random_phase_level(head_dim // 2),
        "bases": decay,
    }
    plots = _plot_analysis(out, ladder, decay_numbers, train_len, head_dim)
    if perplexity:
        plots += _plot_perplexity(out, perplexity, train_len, quick)
    else:
        for ext in ("png", "svg"):  # a plot left by an earlier trained run would contradict results.json
            (out / f"{PERPLEXITY_PLOT}.{ext}").unlink(missing_ok=True)
    report(progress, 1.0, "done")
    return finish(
        out,
        experiment=EXPERIMENT,
        title=TITLE,
        quick=quick,
        settings=settings,
        numbers={"wavelengths": ladder, "decay": decay_numbers, "perplexity": perplexity},
        plots=plots,
    )


def earlier_perplexity(out: Path, settings: dict, quick: bool) -> dict | None:
    """The perplexities in ``out/results.json`` when it is this experiment's, trained with the same
    ``settings`` (:data:`SAME_TRAINING`) and the same ``quick``; None otherwise (none, unreadable,
    or made with other settings — those numbers would not belong to this run)."""
    import json

    try:
        earlier = json.loads((out / "results.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if (
        not isinstance(earlier, dict)
        or earlier.get("experiment") != EXPERIMENT
        or earlier.get("quick") != quick
    ):
        return None
    old = earlier.get("settings") or {}
    if any(old.get(key) != to_jsonable(settings[key]) for key in SAME_TRAINING):
        return None
    found = (earlier.get("numbers") or {}).get("perplexity")
    return found if isinstance(found, dict) and set(found) == {base_key(b) for b in BASES} else None


def _plot_analysis(out: Path, ladder: dict, decay: dict, train_len: int, head_dim: int) -> list[str]:
    """Wavelengths per pair and the long-term decay, both at the trained model's head_dim."""
    distances = decay["distances"][1:]  # Δ ≥ 1 on a log axis
    with plotting.style():
        fig, (ax, ax2) = plotting.new_figure(1, 2, width=6.0, height=4.4)
        for j, (key, entry) in enumerate(ladder.items()):
            color, name = plotting.COLORS[j], f"base {fmt.base(entry['base'])}"
            ls = LINE_STYLES[j % len(LINE_STYLES)]
            ax.semilogy(
                range(head_dim // 2),
                entry["wavelength"],
                "o",
                ls=ls,
                ms=3,
                color=color,
                label=f"{name}: {entry['pairs_full_turn_within_L']} pairs turn fully within L",
            )
            ax2.plot(distances, decay["bases"][key]["roformer_bound"][1:], color=color, lw=0.6, alpha=0.3)
            ax2.plot(
                distances,
                decay["bases"][key]["roformer_bound_trend"][1:],
                color=color,
                ls=ls,
                lw=2,
                label=name,
            )
        ax.axhline(train_len, color="gray", ls=":", lw=1.2, label=f"training length L = {train_len}")
        plotting.style_axes(
            ax,
            title=f"Wavelengths λ_i = 2π·base^(2i/d), head_dim {head_dim}",
            xlabel="pair index i",
            ylabel="wavelength (tokens, log scale)",
        )
        level = decay["random_phase_level"]
        ax2.axhline(level, color="gray", ls=":", lw=1.2, label=f"level of random phases ≈ {level:.1f}")
        ax2.axvline(train_len, color="gray", ls="--", lw=1, label=f"L = {train_len}")
        ax2.plot([], [], color="gray", lw=0.6, alpha=0.5, label="value at each Δ (oscillates)")
        ax2.set_xscale("log")
        ax2.set_ylim(0, None)
        plotting.style_axes(
            ax2,
            title=f"Long-term decay: RoFormer's bound, head_dim {head_dim} (thick: trend)",
            xlabel="relative distance Δ = n − m (tokens, log scale)",
            ylabel=bound_label(head_dim // 2),
        )
        ax2.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=3)  # below: clear of every curve
        return plotting.save_figure(fig, out, "wavelengths_and_decay")


def _plot_perplexity(out: Path, perplexity: dict, train_len: int, quick: bool) -> list[str]:
    with plotting.style():
        fig, (ax, ax2) = plotting.new_figure(1, 2, width=5.5, height=4.2)
        for j, (key, entry) in enumerate(perplexity.items()):
            mult = [r["multiple"] for r in entry["rows"]]
            name, ls = f"base {fmt.base(float(key))}", LINE_STYLES[j % len(LINE_STYLES)]
            ax.plot(mult, [r["ppl"] for r in entry["rows"]], "o", ls=ls, color=plotting.COLORS[j], label=name)
            ax2.plot(
                mult, [r["last_ppl"] for r in entry["rows"]], "o", ls=ls, color=plotting.COLORS[j], label=name
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
        if quick:
            fig.suptitle(
                "SMOKE TEST (--quick: a tiny model trained for seconds): these curves support no conclusion",
                color="#d62728",
                fontsize=12,
                fontweight="bold",
            )
        return plotting.save_figure(fig, out, PERPLEXITY_PLOT)


def decay_takeaway(decay: dict, head_dim: int) -> str:
    """Where each base's trend comes within 10 % of the random-phase level, and whether that order
    follows the base (computed, so the sentence says what these numbers show)."""
    distances, level = decay["distances"], decay["random_phase_level"]
    reached = {
        fmt.base(float(key)): first_near_level(distances, b["roformer_bound_trend"], level)
        for key, b in decay["bases"].items()
    }
    listed = "; ".join(
        f"{name} by Δ ≈ {fmt.num(float(f'{d:.1g}'))}" if d else f"{name} not by {fmt.num(distances[-1])}"
        for name, d in reached.items()
    )
    order = [math.inf if d is None else d for d in reached.values()]
    verdict = (
        "a larger base decays more slowly."
        if order == sorted(order)
        else f"the order does not follow the base: with {head_dim // 2} pairs the bound is near that level "
        "early for every base, and the bases differ little."
    )
    return (
        f"The bound oscillates, so compare trends: every base's falls towards the level of random phases "
        f"(≈ {level:.2f}); within 10 % of it: {listed}. Here {verdict}"
    )


def summary(results: dict) -> list[RenderableType]:
    """Rich tables and short conclusions for the terminal, from the results dict alone."""
    num, st = results["numbers"], results["settings"]
    L = st["train_length"]
    t1 = Table(title=f"rope_base at head_dim {st['head_dim']}, training length L = {L}")
    for col in ("base", "shortest λ", "longest λ", "pairs with λ ≤ L", "slowest pair: turns in L"):
        t1.add_column(col, justify="right")
    for w in num["wavelengths"].values():
        turns = w["max_angle_at_L_slowest_pair"] / (2 * math.pi)
        t1.add_row(
            fmt.base(w["base"]),
            fmt.num(w["shortest"], 3),
            fmt.num(w["longest"]),
            f"{w['pairs_full_turn_within_L']} / {st['head_dim'] // 2}",
            fmt.num(turns, 2),
        )
    decay = num["decay"]
    distances = decay["distances"]
    show = [d for d in (1, L // 4, L, 4 * L, 16 * L) if d in distances]
    t2 = Table(
        title=f"Long-term decay (head_dim {decay['head_dim']}): RoFormer's bound at Δ (its trend)",
        caption=f"trend = mean over Δ/√2 … Δ·√2; random-phase level ≈ {decay['random_phase_level']:.2f}",
    )
    t2.add_column("Δ (tokens)", justify="right")
    for key in decay["bases"]:
        t2.add_column(f"base {fmt.base(float(key))}", justify="right")
    for d in show:
        i = distances.index(d)
        t2.add_row(
            fmt.num(d),
            *[
                f"{b['roformer_bound'][i]:.2f} ({b['roformer_bound_trend'][i]:.2f})"
                for b in decay["bases"].values()
            ],
        )
    items: list[RenderableType] = [t1, t2, decay_takeaway(decay, st["head_dim"])]
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
        t3.add_column(f"base {fmt.base(float(key))}", justify="right")
    for i, row in enumerate(next(iter(ppl.values()))["rows"]):
        t3.add_row(
            f"{row['length']} ({row['multiple']:g}×L)",
            *[f"{e['rows'][i]['ppl']:.2f} | {e['rows'][i]['last_ppl']:.2f}" for e in ppl.values()],
        )
    rows = next(iter(ppl.values()))["rows"]
    best = [
        f"{row['multiple']:g}×L: base "
        f"{fmt.base(float(min(ppl, key=lambda k, i=i: ppl[k]['rows'][i]['last_ppl'])))}"
        for i, row in enumerate(rows)
        if row["multiple"] > 1
    ]
    items += [
        t3,
        "The last-L column beyond 1×L shows how each base copes with positions it never saw. "
        f"Lowest last-L perplexity at {'; '.join(best)}.",
    ]
    if st.get("perplexity_from"):
        items.append(
            "[yellow]Training skipped (--no-train): these perplexities are the ones measured by the "
            "earlier trained run in this folder, with the same settings.[/]"
        )
    if results["quick"]:
        items.append(
            "[yellow]Smoke test: --quick trains for seconds, so the perplexities are barely past a "
            "unigram model and support no conclusion; run without --quick for the real comparison.[/]"
        )
    return items
