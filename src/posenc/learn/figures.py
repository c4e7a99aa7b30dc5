"""The notes' figures and widgets: one marker line in a note's Markdown, one entry here.

A note places a figure with a line of its own::

    ::: figure NAME key=value key="a value with spaces" ...

``NAME`` is a key of :data:`FIGURES`; the ``key=value`` pairs are the figure's starting settings (a
widget's controls, e.g. ``::: figure rotation m=3 n=7 theta=0.5``) and, for every figure, ``caption``.
The web lab (``posenc.web.markup.note_with_figures``) turns the line into the figure itself: a widget
is the same component as the lab's tool page, its numbers from the library through the lab's JSON
routes. The terminal (``posenc notes``) keeps text: the line becomes a short paragraph naming the
figure and saying how to see it (:func:`terminal_markdown`): the lab page, and the command that draws
it where there is one.

A note with no figure says why in ``notes/index.yaml`` (``text_only: REASON``); the tests check that
every note has one or the other.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["FIGURES", "Figure", "FigureRef", "figure_refs", "replace_markers", "terminal_markdown"]


@dataclass(frozen=True)
class Figure:
    """A figure a note can place: what it shows and where else to see it."""

    title: str  # the caption, unless the marker gives one
    params: tuple[str, ...]  # the marker keys it reads besides caption
    tool: str | None = None  # the lab page that holds the same component as a tool of its own
    draws: str | None = None  # the command that draws it (or its numbers) in the terminal's world
    widget: bool = True  # interactive (False: a picture)


FIGURES: dict[str, Figure] = {
    "shuffle": Figure(
        "Shuffle the words: one word's attention output without position and with RoPE",
        ("sentence", "token", "order"),
        draws="posenc exp 1",
    ),
    "rotation": Figure(
        "One pair of q and k turned by m·θ and n·θ, and their dot product",
        ("m", "n", "theta", "q_angle", "k_angle", "compact"),
        tool="/playground",
        draws="posenc exp 2",
    ),
    "ladder": Figure(
        "The wavelength ladder: 2π/θ per pair, on a log scale",
        ("head_dim", "base"),
        tool="/explorer",
        draws="posenc exp 3",
    ),
    "clock": Figure(
        "Pairs as clock hands, turning with the position",
        ("head_dim", "base", "pairs", "position"),
        draws="posenc exp 3",
    ),
    "scaling": Figure(
        "What each scaling method does to each pair: scale factor and wavelength",
        ("rope_type", "factor", "original", "head_dim", "base"),
        tool="/explorer",
    ),
    "bias": Figure(
        "The bias explorer: ALiBi's slopes and reach, T5's buckets, xPos's decay",
        ("family", "heads", "head", "length"),
        tool="/bias",
    ),
    "study-plot": Figure(
        "A plot of the reference study", ("run", "file"), tool="/study", draws="posenc study", widget=False
    ),
    "attention": Figure("Where position enters one attention head", (), widget=False),
    "own-example": Figure(
        "The worked example's perplexity against length, without and with yarn:4",
        (),
        draws="posenc eval MODEL",
        widget=False,
    ),
}

#: ``::: figure NAME key=value ...`` on a line of its own
MARKER = re.compile(r"^::: figure ([a-z0-9-]+)((?:\s+[a-z_]+=(?:\"[^\"]*\"|\S+))*)\s*$")
_PAIR = re.compile(r"([a-z_]+)=(\"[^\"]*\"|\S+)")


@dataclass(frozen=True)
class FigureRef:
    """One marker: the figure's name, its settings and its caption."""

    name: str
    params: dict[str, str] = field(default_factory=dict)
    caption: str = ""

    @property
    def figure(self) -> Figure:
        return FIGURES[self.name]


def parse_marker(line: str, where: str = "a note") -> FigureRef | None:
    """The figure a marker line places, or None for any other line; a marker naming an unknown figure
    or key raises ``ValueError`` naming ``where``."""
    found = MARKER.match(line.strip())
    if not found:
        if line.strip().startswith("::: figure"):
            raise ValueError(f"{where}: malformed figure marker {line.strip()!r}")
        return None
    name = found.group(1)
    if name not in FIGURES:
        raise ValueError(f"{where}: unknown figure {name!r}; known: {', '.join(FIGURES)}")
    params = {k: v.strip('"') for k, v in _PAIR.findall(found.group(2))}
    caption = params.pop("caption", "")
    unknown = sorted(set(params) - set(FIGURES[name].params))
    if unknown:
        raise ValueError(
            f"{where}: figure {name!r} reads no {unknown[0]!r}; it reads: {', '.join(FIGURES[name].params)}"
        )
    return FigureRef(name, params, caption or FIGURES[name].title)


def _lines_outside_code(markdown: str):
    """(index, line, inside a fenced code block?) for each line."""
    fence = None
    for i, line in enumerate(markdown.split("\n")):
        stripped = line.lstrip()
        opened = re.match(r"(`{3,}|~{3,})", stripped)
        if fence is not None:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
            yield i, line, True
        elif opened:
            fence = opened.group(1)
            yield i, line, True
        else:
            yield i, line, False


def figure_refs(markdown: str, where: str = "a note") -> list[FigureRef]:
    """Every figure a note's Markdown places, in order (markers inside code blocks are text)."""
    refs = []
    for _, line, in_code in _lines_outside_code(markdown):
        ref = None if in_code else parse_marker(line, where)
        if ref is not None:
            refs.append(ref)
    return refs


def replace_markers(markdown: str, replace: Callable[[FigureRef, int], str], where: str = "a note") -> str:
    """``markdown`` with each marker line replaced by ``replace(ref, k)`` (k = 0, 1, … in order)."""
    lines = markdown.split("\n")
    k = 0
    for i, line, in_code in _lines_outside_code(markdown):
        ref = None if in_code else parse_marker(line, where)
        if ref is not None:
            lines[i] = replace(ref, k)
            k += 1
    return "\n".join(lines)


def terminal_text(ref: FigureRef, note_id: str) -> str:
    """What the terminal shows in a figure's place: its caption and how to see it (Markdown)."""
    figure = ref.figure
    where = [f"`posenc lab`, page /notes/{note_id}"]
    if figure.tool:
        where.append(f"the tool page {figure.tool}")
    text = (
        f"> **Figure: {ref.caption}.** {'Interactive' if figure.widget else 'Shown'} in {' and '.join(where)}"
    )
    if ref.name == "study-plot":
        run = ref.params.get("run", "reference-full").removeprefix("reference-")
        text += (
            f"; the picture is `posenc/reference/study-cpu-{run}/{ref.params.get('file', '')}.png` "
            "in the package, "
            "and `posenc study` draws it for a run of your own"
        )
    elif ref.name == "own-example":
        text += f"; `{figure.draws}` draws it for your model, as `results/eval/NAME/ppl_vs_length.png`"
    elif figure.draws:
        text += f"; `{figure.draws}` draws it"
    return text + "."


def terminal_markdown(markdown: str, note_id: str) -> str:
    """A note's Markdown for the terminal: each figure marker becomes :func:`terminal_text`."""
    return replace_markers(markdown, lambda ref, k: terminal_text(ref, note_id), f"notes/{note_id}")
