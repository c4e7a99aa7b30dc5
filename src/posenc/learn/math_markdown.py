"""Markdown with math -> Markdown with text, before rich sees it (notes, quiz, grill, cards, practice).

``terminal_markdown(markdown)`` turns each ``$…$`` and ``$$…$$`` formula of a Markdown text into its
readable text (:func:`posenc.learn.mathtext.to_text`), leaving code spans and fences alone;
``inline_markdown(text)`` does the same for one line (a question, an option); ``math_spans(markdown)``
lists the formulas, (latex, display), in order. The web lab renders the same Markdown with MathML.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from posenc.learn.mathtext import letter_subscripts_fit, to_text

__all__ = ["inline_markdown", "math_spans", "terminal_markdown"]

_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})")
_DISPLAY = re.compile(r"^(\s*)\$\$(.*)$")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&#])")


def _fits(latex: str) -> bool:
    try:
        return letter_subscripts_fit(latex)
    except ValueError:
        return True


def _formula_text(latex: str, letters: bool) -> str:
    """The formula as text; one the converter cannot read stays as its source (and a test fails)."""
    try:
        return to_text(latex, letters)
    except ValueError:
        return latex.strip()


def _inline_spans(line: str, replace: Callable[[str], str]) -> str:
    """``line`` with each ``$…$`` (or inline ``$$…$$``) outside code spans replaced."""
    out, i = [], 0
    while i < len(line):
        c = line[i]
        if c == "\\" and i + 1 < len(line):  # an escaped character, \$ included
            out.append(line[i : i + 2])
            i += 2
        elif c == "`":
            ticks = len(line[i:]) - len(line[i:].lstrip("`"))
            end = line.find("`" * ticks, i + ticks)
            stop = len(line) if end < 0 else end + ticks
            out.append(line[i:stop])
            i = stop
        elif c == "$":
            delimiter = "$$" if line.startswith("$$", i) else "$"
            end = line.find(delimiter, i + len(delimiter))
            if end < 0:
                out.append(c)
                i += 1
                continue
            out.append(replace(line[i + len(delimiter) : end]))
            i = end + len(delimiter)
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _convert(
    markdown: str,
    display: Callable[[str, str], list[str]],
    inline: Callable[[list[str]], list[str]],
) -> str:
    """Walk a note's lines: code blocks as they are, each ``$$`` block through
    ``display(latex, indent)``, each run of other non-blank lines through ``inline(lines)``."""
    lines = markdown.split("\n")
    out: list[str] = []
    fence: str | None = None
    block: list[str] = []

    def flush() -> None:
        if block:
            out.extend(inline(block))
            block.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        opened = _FENCE.match(line)
        if fence is not None:  # inside a code block
            if opened and opened.group(2)[0] == fence[0] and len(opened.group(2)) >= len(fence):
                fence = None
            out.append(line)
        elif opened:
            flush()
            fence = opened.group(2)
            out.append(line)
        elif (match := _DISPLAY.match(line)) and not _inline_double(match.group(2)):
            flush()
            indent, rest = match.group(1), match.group(2).rstrip()
            if rest.endswith("$$"):  # $$ … $$ on one line
                body = [rest[:-2]]
            else:
                body = [rest]
                i += 1
                while i < len(lines) and not lines[i].rstrip().endswith("$$"):
                    body.append(lines[i])
                    i += 1
                if i < len(lines):
                    body.append(lines[i].rstrip()[:-2])
            out += display("\n".join(body), indent)
        elif not line.strip():
            flush()
            out.append(line)
        else:
            block.append(line)
        i += 1
    flush()
    return "\n".join(out)


def _inline_double(rest: str) -> bool:
    """``$$x$$ and more`` at the start of a line is inline math, not a display block."""
    rest = rest.rstrip()
    return ("$$" in rest and not rest.endswith("$$")) or rest.count("$$") > 1


def terminal_markdown(markdown: str) -> str:
    """The note's Markdown with its math as Unicode text: each ``$$…$$`` block becomes a fenced
    code block of the formula's lines, each inline ``$…$`` its text (Markdown-escaped); code is left
    alone. A note writes its letter subscripts one way: Unicode (θᵢ, Rₘ) when every one of them has a
    Unicode form, otherwise all as ``_`` (θ_i, R_m next to R_(n−m))."""
    letters = all(_fits(latex) for latex, _ in math_spans(markdown))

    def display(latex: str, indent: str) -> list[str]:
        rows = _formula_text(latex, letters).split("\n")
        return [f"{indent}```text", *(indent + row for row in rows), f"{indent}```"]

    def inline(lines: list[str]) -> list[str]:
        def replace(latex: str) -> str:
            return _MARKDOWN_SPECIAL.sub(r"\\\1", _formula_text(latex, letters).replace("\n", " "))

        return [_inline_spans(line, replace) for line in lines]

    return _convert(markdown, display, inline)


def math_spans(markdown: str) -> list[tuple[str, bool]]:
    """Every formula of a note as (LaTeX, display?), as :func:`terminal_markdown` finds them."""
    spans: list[tuple[str, bool]] = []

    def display(latex: str, indent: str) -> list[str]:
        spans.append((latex, True))
        return []

    def inline(lines: list[str]) -> list[str]:
        for line in lines:
            _inline_spans(line, lambda latex: spans.append((latex, False)) or "")
        return lines

    _convert(markdown, display, inline)
    return spans


def inline_markdown(text: str) -> str:
    """One line of Markdown (a question, an option) with each inline ``$…$`` as its text."""
    letters = all(_fits(latex) for latex, _ in math_spans(text))
    return _inline_spans(
        text, lambda latex: _MARKDOWN_SPECIAL.sub(r"\\\1", _formula_text(latex, letters).replace("\n", " "))
    )
