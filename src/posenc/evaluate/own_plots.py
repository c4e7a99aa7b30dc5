"""The figures of your model's evaluation folder (``own_results``), PNG + SVG, in the shared style.

1. ``ppl_vs_length``: perplexity vs evaluation length, all positions | last L positions, one line per
   evaluation (no scaling, yarn:4, ...), log-log, the training length L marked: the study's Figure 1.
2. ``passkey``: exact-key accuracy (%) vs length, one line per key depth, one panel per evaluation
   (only when passkey trials were run).
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.ticker import FormatStrFormatter, LogLocator, MaxNLocator, NullFormatter, NullLocator

from posenc.results import plotting

MARKERS = ["o-", "s--", "^:", "D-."]
DEPTH_WORDS = {0.0: "start of the text", 0.5: "middle", 1.0: "just before the question"}


def _length_axis(ax, lengths: list[int], train_length: int) -> None:
    ax.set_xscale("log", base=2)
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticks(lengths, [f"{n:,}\n{n / train_length:g}×" for n in lengths])
    ax.axvline(train_length, color="gray", ls="--", lw=1, label=f"L = {train_length:,}")


def _label(key: str, entry: dict) -> str:
    scaling = entry.get("rope_scaling")
    return (f"RoPE scaling {scaling}" if scaling else "no scaling") + (
        f" (on {entry.get('text')})" if " @ " in key else ""
    )


def plot_ppl(data: dict, out_dir: Path) -> list[str]:
    """ppl_vs_length.png/.svg: every evaluation's perplexity and last-L perplexity vs length."""
    train_len = data["train_length"]
    lengths = sorted({r["length"] for e in data["evals"].values() for r in e.get("rows", [])})
    with plotting.style():
        fig, (left, right) = plotting.new_figure(1, 2, width=5.6, height=4.2)
        for j, (key, entry) in enumerate(data["evals"].items()):
            rows = entry.get("rows", [])
            color = plotting.COLORS[j % len(plotting.COLORS)]
            for ax, field in ((left, "ppl"), (right, "last_ppl")):
                ax.plot(
                    [r["length"] for r in rows],
                    [r[field] for r in rows],
                    "o-",
                    ms=4,
                    color=color,
                    label=_label(key, entry),
                )
        for ax, what in ((left, "all positions"), (right, f"last L = {train_len:,} positions")):
            _length_axis(ax, lengths, train_len)
            ax.set_yscale("log")
            low, high = ax.get_ylim()
            # a narrow range (less than a decade) gets evenly spaced values, a wide one 1-1.5-2-3-5-7
            narrow = high / low < 10
            ax.yaxis.set_major_locator(
                MaxNLocator(6) if narrow else LogLocator(base=10, subs=(1.0, 1.5, 2.0, 3.0, 5.0, 7.0))
            )
            ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
            ax.yaxis.set_minor_formatter(NullFormatter())
            plotting.style_axes(
                ax,
                title=f"perplexity, {what}",
                xlabel="evaluation length (tokens; × L)",
                ylabel="perplexity (per token, log scale)",
            )
        fig.suptitle(f"{data['model']} ({data['model_type']}): perplexity vs length")
        return plotting.save_figure(fig, out_dir, "ppl_vs_length")


def plot_passkey(data: dict, out_dir: Path) -> list[str]:
    """passkey.png/.svg: exact-key accuracy vs length per depth, a panel per evaluation (none: [])."""
    evals = [(k, e) for k, e in data["evals"].items() if any(r.get("passkey") for r in e.get("rows", []))]
    if not evals:
        return []
    train_len = data["train_length"]
    with plotting.style():
        fig, axes = plotting.new_figure(1, len(evals), width=5.0, height=4.0)
        for ax, (key, entry) in zip(axes, evals, strict=True):
            rows = [r for r in entry["rows"] if r.get("passkey")]
            by_depth: dict[float, list[tuple[int, float]]] = {}
            for row in rows:
                for p in row.get("passkey_by_depth") or [row["passkey"]]:
                    by_depth.setdefault(p["depth"], []).append((row["length"], 100 * p["accuracy"]))
            for j, (depth, points) in enumerate(sorted(by_depth.items())):
                ax.plot(
                    [x for x, _ in points],
                    [y for _, y in points],
                    MARKERS[j % len(MARKERS)],  # markers and dashes: equal lines stay visible
                    ms=7 - 1.5 * (j % 3),
                    color=plotting.COLORS[j % len(plotting.COLORS)],
                    label=f"key at depth {depth:g} ({DEPTH_WORDS.get(depth, 'of the text')})",
                )
            _length_axis(ax, [r["length"] for r in rows], train_len)
            ax.set_ylim(-5, 105)
            trials = rows[0]["passkey"]["trials"]
            plotting.style_axes(
                ax,
                title=f"passkey, {_label(key, entry)}",
                xlabel="evaluation length (tokens; × L)",
                ylabel=f"exact key retrieved (% of {trials} trials)",
            )
        fig.suptitle(f"{data['model']}: passkey retrieval vs length and depth")
        return plotting.save_figure(fig, out_dir, "passkey")


def plot_all(data: dict, out_dir: Path) -> list[str]:
    """Every figure of the folder; returns the files written (PNG and SVG of each)."""
    if not any(e.get("rows") for e in data["evals"].values()):
        return []
    return plot_ppl(data, out_dir) + plot_passkey(data, out_dir)
