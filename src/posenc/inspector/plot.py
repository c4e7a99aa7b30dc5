"""``posenc inspect --plot FILE``: wavelength and scale factor per pair, one or two configs.

Models with several RoPE sets (Gemma 3's global and sliding-window layers) are drawn with the set of their
global layers, the one the report's top-level keys describe.

Left panel: wavelength λ = 2π/θ (tokens, log axis) per pair, plain RoPE dashed and the scaled
frequencies at the target solid, with the training and target lengths as horizontal lines and the
critical dimension as a vertical one. Right panel: the scale factor θ⁰/θ per pair (log axis).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matplotlib.ticker import FuncFormatter

from posenc.atomic import atomic_write
from posenc.results import plotting

FORMATS = (".png", ".svg", ".pdf")


def plot_reports(reports: list[dict[str, Any]], path: Path) -> Path:
    """Draw the RoPE reports to ``path`` (PNG, SVG or PDF by suffix), written atomically; returns the path."""
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise ValueError(f"--plot file must end in {', '.join(FORMATS)}, got {str(path)!r}")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"--plot: folder not found: {path.parent}")
    reports = [r for r in reports if r["family"] == "rope"]
    if not reports:
        raise ValueError("--plot needs at least one RoPE config; nothing to draw")

    with plotting.style():
        fig, (ax_wave, ax_scale) = plotting.new_figure(1, 2, width=6.4, height=4.4)
        for k, r in enumerate(reports):
            color = plotting.COLORS[k % len(plotting.COLORS)]
            # one config: reference lines in their own colours; two: each config's own colour
            c_train, c_target, c_crit = (color,) * 3 if len(reports) > 1 else ("0.35", "#d62728", "black")
            pairs = [p["pair"] for p in r["pairs"]]
            tag = f"{r['name']}: " if len(reports) > 1 else ""
            ax_wave.plot(
                pairs,
                [p["wavelength_default"] for p in r["pairs"]],
                "--",
                color=color,
                alpha=0.6,
                label=f"{tag}plain RoPE (base {r['base']:g})",
            )
            ax_wave.plot(
                pairs,
                [p["wavelength"] for p in r["pairs"]],
                "-",
                color=color,
                marker=".",
                ms=3,
                label=f"{tag}{r['rope_type']} at N = {r['target_length']:,}",
            )
            ax_wave.axhline(
                r["training_length"],
                color=c_train,
                ls=":",
                lw=1.2,
                label=f"{tag}training length L = {r['training_length']:,}",
            )
            if r["target_length"] != r["training_length"]:
                ax_wave.axhline(
                    r["target_length"],
                    color=c_target,
                    ls="-.",
                    lw=1.2,
                    label=f"{tag}target length N = {r['target_length']:,}",
                )
            crit = r["critical_dimension"]["pairs_below"]
            ax_wave.axvline(
                crit - 0.5,
                color=c_crit,
                ls=(0, (1, 3)),
                lw=1,
                label=f"{tag}critical dimension (pair {crit}, d_extra = {2 * crit})",
            )
            ax_scale.plot(
                pairs,
                [p["scale_factor"] for p in r["pairs"]],
                "-",
                color=color,
                marker=".",
                ms=3,
                label=f"{r['name']} ({r['rope_type']})",
            )
        ax_wave.set_yscale("log")
        ax_scale.set_yscale("log")
        ax_scale.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax_scale.yaxis.set_minor_formatter(
            FuncFormatter(lambda v, _: f"{v:g}" if v in (2, 3, 5, 20, 30, 50) else "")
        )
        names = " vs ".join(r["name"] for r in reports)
        plotting.style_axes(
            ax_wave,
            title=f"RoPE wavelengths: {names}",
            xlabel=(
                "pair index i (features 2i, 2i + 1)"
                if reports[0].get("layout") == "interleaved"
                else "pair index i (features i, i + d/2)"
            ),
            ylabel="wavelength 2π/θ (tokens, log)",
        )
        plotting.style_axes(
            ax_scale,
            title="what the scaling does per pair",
            xlabel="pair index i",
            ylabel="scale factor θ_plain / θ_scaled (log)",
        )
        ax_wave.legend(fontsize=7, loc="upper left")

        atomic_write(path, lambda f: fig.savefig(f, format=path.suffix[1:].lower(), dpi=150))
    return path
