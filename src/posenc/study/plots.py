"""The study's figures, PNG + SVG each, in the shared experiment style (posenc.results.plotting).

1. ``ppl_vs_length``: perplexity vs evaluation length per encoding, log-log, as the ALiBi paper's
   Figure 1 (all positions | last L positions); error bars = std over seeds.
2. ``rope_scaling``: the RoPE models with each inference-time scaling (and PI after a fine-tune).
3. ``passkey``: passkey retrieval accuracy, encoding × length heat map (the retrieval arm's models
   when the study trained them, else the LM models'), and ``retrieval_vs_ppl``: the LM models'
   last-L perplexity beside the retrieval arm's exact-key accuracy, per encoding, ± std over seeds.
   The retrieval arm's numbers are over the seeds that learned at L (``results.learned_rows``): a
   seed that did not learn is left out of every mean, and the labels say "k of n seeds".
4. ``rope_base_sweep``: last-L perplexity vs length per rope_base (and the 4× L arm).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib import ticker as plt_ticker
from matplotlib.ticker import FormatStrFormatter, LogLocator, NullFormatter

from posenc.results import plotting
from posenc.study.results import arm_seeds, learned_rows
from posenc.study.tables import disagree


def _series(rows: list[dict], key: str):
    """x (multiples), mean, std of the measured rows (n/a and diverged rows left out)."""
    pts = [
        (r["multiple"], r[key]["mean"], r[key]["std"] or 0.0)
        for r in rows
        if r.get("status") == "ok" and r.get(key) and r[key]["mean"] is not None
    ]
    return [p[0] for p in pts], [p[1] for p in pts], [p[2] for p in pts]


def _length_axes(
    ax, mults: list[int], train_length: int, title: str, ylabel: str, log_y: bool = True
) -> None:
    ax.set_xscale("log", base=2)
    ax.set_xticks(mults, [f"{m:g}×\n{m * train_length}" for m in mults])
    if log_y:
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 7.0)))
        ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
        ax.yaxis.set_minor_formatter(NullFormatter())
    else:
        ax.set_ylim(-5, 105)
        ax.yaxis.set_major_locator(plt_ticker.MultipleLocator(20))
    ax.axvline(1, color="gray", ls="--", lw=1)
    plotting.style_axes(
        ax,
        title=title,
        xlabel=f"evaluation length (× L, tokens); trained at L = {train_length}",
        ylabel=ylabel,
    )


def _plot_lines(ax, entries: list[tuple[str, list[dict]]], key: str, styles=None) -> None:
    for j, (label, rows) in enumerate(entries):
        x, y, e = _series(rows, key)
        if not x:
            continue
        ls = (styles or {}).get(label, "-")
        ax.errorbar(
            x,
            y,
            yerr=e if any(e) else None,
            fmt="o",
            ls=ls,
            ms=4,
            capsize=3,
            color=plotting.COLORS[j % len(plotting.COLORS)],
            label=label,
        )


def _as_percent(row: dict) -> dict:
    """An AGG row with its passkey stat in percent (for a linear accuracy axis)."""
    stat = row.get("passkey")
    if row.get("status") != "ok" or not stat or stat["mean"] is None:
        return row
    return {**row, "passkey": {**stat, "mean": 100 * stat["mean"], "std": 100 * (stat["std"] or 0.0)}}


def make_plots(results: dict, out: Path) -> list[str]:
    """Draw every figure into ``out``; returns the file names written."""
    out = Path(out)
    mults, L = results["multiples"], results["train_length"]
    names: list[str] = []
    tag = (
        f"{results['preset']} preset, {results['tokens_per_model']:,} tokens/model, seeds {results['seeds']}"
    )
    with plotting.style():
        fig, axes = plotting.new_figure(1, 2, width=6.4, height=4.6)
        entries = [(e["label"], e["rows"]) for e in results["encodings"].values()]
        for ax, key, what in ((axes[0], "ppl", "all positions"), (axes[1], "last_ppl", "last L positions")):
            _plot_lines(ax, entries, key)
            _length_axes(ax, mults, L, f"Perplexity vs length, {what}", "perplexity (bytes, log scale)")
        fig.suptitle(f"Extrapolation of each encoding ({tag})")
        names += plotting.save_figure(fig, out, "ppl_vs_length")

        if results["scaling"]:
            n = len(results["scaling"])
            fig, axes = plotting.new_figure(1, n, width=6.4, height=4.6)
            for ax, (rope, methods) in zip(axes, results["scaling"].items(), strict=True):
                entries = [("no scaling" if m == "none" else m, e["rows"]) for m, e in methods.items()]
                _plot_lines(ax, entries, "last_ppl", styles={"pi-finetune": "--"})
                label = results["encodings"].get(rope, {}).get("label", rope)
                _length_axes(
                    ax, mults, L, f"{label}: inference-time scaling", "last-L perplexity (log scale)"
                )
            fig.suptitle(f"RoPE scaling without retraining, factor = length / L ({tag})")
            names += plotting.save_figure(fig, out, "rope_scaling")

        arm = {}  # the retrieval arm over the seeds that learned at L, labelled with how many
        for name, entry in (results.get("retrieval") or {}).items():
            k, n = sum(s["learned"] for s in arm_seeds(results, name)), len(results["seeds"])
            label = entry["label"] + (f" ({k} of {n} seeds)" if n > 1 else "" if k else " (did not learn)")
            arm[name] = {**entry, "label": label, "rows": learned_rows(results, name)}
        source = arm or results["encodings"]
        labels = [e["label"] for e in source.values()]
        grid = np.full((len(labels), len(mults)), np.nan)
        split = np.zeros(grid.shape, dtype=bool)  # the seeds disagree: the mean describes none of them
        for i, e in enumerate(source.values()):
            for r in e["rows"]:
                if r.get("status") == "ok" and r.get("passkey") and r["passkey"]["mean"] is not None:
                    grid[i, mults.index(int(round(r["multiple"])))] = 100 * r["passkey"]["mean"]
                    split[i, mults.index(int(round(r["multiple"])))] = bool(arm) and disagree(r["passkey"])
        fig, (ax,) = plotting.new_figure(1, 1, width=7.0, height=0.45 * len(labels) + 2.2)
        image = ax.imshow(np.ma.masked_invalid(grid), cmap="viridis", vmin=0, vmax=100, aspect="auto")
        ax.grid(False)
        ax.set_xticks(range(len(mults)), [f"{m}×\n({m * L})" for m in mults])  # two lines: 16× (1024) is wide
        ax.set_yticks(range(len(labels)), labels)
        for i in range(len(labels)):
            for j in range(len(mults)):
                text = "n/a" if np.isnan(grid[i, j]) else f"{grid[i, j]:.0f}" + ("*" if split[i, j] else "")
                color = "black" if not np.isnan(grid[i, j]) and grid[i, j] > 60 else "white"
                ax.text(j, i, text, ha="center", va="center", color=color if text != "n/a" else "gray")
        fig.colorbar(image, ax=ax, label="accuracy (%)")
        plotting.style_axes(
            ax,
            title="Passkey exact-key accuracy, key in the middle"
            + (", retrieval arm" if arm else "")
            + f"\n({tag})"
            + ("\n* the seeds differ by over 30 points: the report lists each" if split.any() else "")
            + (
                "\nno model retrieved any key: at this scale none has learned to copy from context"
                if not np.isnan(grid).all() and np.nanmax(grid) == 0.0
                else ""
            ),
            xlabel="evaluation length (× L, tokens)",
            ylabel="encoding",
        )
        names += plotting.save_figure(fig, out, "passkey")

        if arm:
            fig, axes = plotting.new_figure(1, 2, width=6.4, height=4.6)
            names_in_order = list(arm)
            # every seed of the language models: the arm's "k of n seeds" is not theirs
            lm_entries = [results["encodings"].get(n, {"label": arm[n]["label"]}) for n in names_in_order]
            lm = [(e["label"], e.get("rows", [])) for e in lm_entries]
            _plot_lines(axes[0], lm, "last_ppl")
            _length_axes(
                axes[0],
                mults,
                L,
                "Models trained on code: last-L perplexity",
                "perplexity (bytes, log scale)",
            )
            percent = [(arm[n]["label"], [_as_percent(r) for r in arm[n]["rows"]]) for n in names_in_order]
            _plot_lines(axes[1], percent, "passkey")
            _length_axes(
                axes[1], mults, L, "Retrieval arm: passkey exact key", "exact-key accuracy (%)", log_y=False
            )
            fig.suptitle(f"Perplexity beside retrieval, per encoding ({tag})")
            names += plotting.save_figure(fig, out, "retrieval_vs_ppl")

        fig, (ax,) = plotting.new_figure(1, 1, width=7.0, height=4.6)
        entries = [(f"base {b}", e["rows"]) for b, e in results["rope_base_sweep"].items()]
        entries += [
            (f"{n} (trained at {e['train_length']})", e["rows"]) for n, e in results["long_arm"].items()
        ]
        _plot_lines(
            ax, entries, "last_ppl", styles={label: "--" for label, _ in entries if "trained at" in label}
        )
        _length_axes(ax, mults, L, f"rope_base sweep ({tag})", "last-L perplexity (log scale)")
        names += plotting.save_figure(fig, out, "rope_base_sweep")
    return names


__all__ = ["make_plots"]
