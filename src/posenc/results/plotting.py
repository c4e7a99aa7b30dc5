"""One plotting style for every experiment, and saving each figure as PNG (reports) and SVG (web).

Figures are built with :class:`matplotlib.figure.Figure` directly, never through ``pyplot``'s
global state (nor its backend choice), so experiments can run inside the web lab's threads;
``savefig`` renders PNG with the Agg canvas and SVG with the SVG canvas, no display needed.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from posenc.atomic import atomic_write

#: shared look: readable on a laptop screen and in a browser, no chart junk
STYLE = {
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "svg.fonttype": "none",  # text stays text in the SVG (searchable, styleable by the web lab)
}

#: one colour per named series, so "base 1e4" is the same colour in every plot of every experiment
COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]


def style():
    """Context manager applying :data:`STYLE`; build a whole figure inside it (rc values are read
    when artists are created): ``with plotting.style(): fig, axes = new_figure(1, 2) ...``"""
    return matplotlib.rc_context(STYLE)


def new_figure(
    nrows: int = 1, ncols: int = 1, *, width: float = 6.4, height: float = 4.2
) -> tuple[Figure, list]:
    """A figure of ``nrows × ncols`` panels (each ``width × height`` inches); returns (fig, flat axes)."""
    fig = Figure(figsize=(width * ncols, height * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, [ax for row in axes for ax in row]


def style_axes(ax: Axes, *, title: str, xlabel: str, ylabel: str) -> None:
    """Title and labelled axes (units in the labels); a legend when the panel has labelled artists."""
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    handles, _ = ax.get_legend_handles_labels()
    if handles:
        ax.legend()


def save_figure(fig: Figure, out_dir: Path, stem: str) -> list[str]:
    """Write ``stem.png`` (150 dpi) and ``stem.svg`` into ``out_dir``, each atomically; returns the names."""
    names = []
    with matplotlib.rc_context(STYLE):
        for ext, kwargs in (("png", {"dpi": 150}), ("svg", {})):
            target = out_dir / f"{stem}.{ext}"
            atomic_write(target, lambda f, ext=ext, kwargs=kwargs: fig.savefig(f, format=ext, **kwargs))
            names.append(target.name)
    return names
