"""The figure of the note "Try it on your model": perplexity against length, without and with yarn:4.

Drawn on the server as a light SVG (``templates/widgets/own-example.html``; no script, no Plotly) from the
worked example's results.json (``posenc.learn.own_example``, the file ``posenc eval`` wrote): last-L
perplexity (solid) and all-positions perplexity (dashed) at each length, one colour per scaling, a log₂
length axis labelled in tokens and multiples of L, a mark at 4 × L where yarn:4's stretch ends.
"""

from __future__ import annotations

import math

from posenc.learn import own_example

WIDTH, HEIGHT = 480, 340  # the viewBox; the page shows it at most 540 px wide (widgets.css)
LEFT, RIGHT, TOP, BOTTOM = 52, 14, 14, 250  # the plot's box in the viewBox
#: (evaluation key, legend name, colour class)
SCALINGS = (("none", "no scaling", "series0"), ("yarn:4", "yarn:4", "series1"))
#: (row field, its name, its legend entry, dashed)
FIELDS = (
    ("last_ppl", "last-L ppl", "last-L ppl (solid)", False),
    ("ppl", "ppl, all positions", "all positions (dashed)", True),
)


def _ticks(lo: float, hi: float) -> list[float]:
    """Round values covering [lo, hi], at most 6 of them."""
    step = next(s for s in (1, 2, 5, 10, 20, 50, 100, 200, 500) if (hi - lo) / s <= 5)
    start = math.floor(lo / step) * step
    return [start + k * step for k in range(int(math.ceil((hi - start) / step)) + 1)]


def own_example_chart(data: dict | None = None) -> dict:
    """What the template draws: the axes' ticks, one polyline and its dots per series, the legend."""
    data = data or own_example.load_example()
    train = data["train_length"]
    rows = {key: own_example.rows(key, data) for key, _, _ in SCALINGS}
    multiples = sorted(rows["none"])
    values = [row[f] for by in rows.values() for row in by.values() for f, _, _, _ in FIELDS]
    yticks = _ticks(min(values) * 0.95, max(values) * 1.02)
    y_lo, y_hi = yticks[0], yticks[-1]
    x_lo, x_hi = math.log2(multiples[0]) - 0.3, math.log2(multiples[-1]) + 0.3

    def x(multiple: float) -> float:
        return LEFT + (math.log2(multiple) - x_lo) / (x_hi - x_lo) * (WIDTH - RIGHT - LEFT)

    def y(value: float) -> float:
        return BOTTOM - (value - y_lo) / (y_hi - y_lo) * (BOTTOM - TOP)

    series = []
    for key, name, colour in SCALINGS:
        for field, suffix, _, dashed in FIELDS:
            dots = []
            for k in multiples:
                row = rows[key][k]
                tip = f"{name}, {suffix}: {row[field]:.2f} at {row['length']} tokens ({k}× L)"
                dots.append((round(x(k), 1), round(y(row[field]), 1), tip))
            series.append(
                {
                    "cls": colour + (" all" if dashed else ""),
                    "label": f"{name}, {suffix}",
                    "points": " ".join(f"{px},{py}" for px, py, _ in dots),
                    "dots": dots,
                }
            )
    factor = 4
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "top": TOP,
        "bottom": BOTTOM,
        "xticks": [(round(x(k), 1), f"{rows['none'][k]['length']}", f"{k}×") for k in multiples],
        "yticks": [(round(y(v), 1), f"{v:g}") for v in yticks],
        "factor_x": round(x(factor), 1) if multiples[0] <= factor <= multiples[-1] else None,
        "factor_label": f"{factor} × L: yarn:4's reach",
        "train_length": train,
        "series": series,
        "colours": [(name, colour) for _, name, colour in SCALINGS],
        "strokes": [(entry, "all" if dashed else "solid") for _, _, entry, dashed in FIELDS],
    }
