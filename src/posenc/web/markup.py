"""Markdown and math to HTML for the lab's pages, from the same Markdown the terminal shows.

* Markdown by ``markdown-it-py`` (CommonMark + tables; the renderer rich uses in the terminal),
  with raw HTML in the source escaped, never passed through.
* Math written ``$…$`` (inline) or ``$$…$$`` (display) becomes MathML on the server
  (``latex2mathml``), which Chromium and Firefox render natively: no script, no network.
* A note's figure markers (``::: figure NAME key=value …``) become the figure's HTML
  (:func:`markdown_with_figures`; the page module renders each from ``templates/widgets/``).
* Commands the notes quote become links to the lab page that does the same thing:
  `posenc notes clock` -> /notes/clock, `posenc exp 2` -> /experiments/2, `posenc quiz` -> /quiz.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable

from markupsafe import Markup

from posenc.learn.figures import FigureRef, replace_markers

# command quoted in a code span -> lab address (the first group, when present, is appended)
_COMMAND_LINKS = [
    (re.compile(r"posenc notes ([a-z0-9-]+)"), "/notes/{}"),
    (re.compile(r"posenc notes"), "/notes"),
    (re.compile(r"posenc exp ([0-9]|rope-base)\b"), "/experiments/{}"),
    (re.compile(r"posenc quiz\b"), "/quiz"),
    (re.compile(r"posenc grill\b"), "/grill"),
    (re.compile(r"posenc cards\b"), "/practice"),
    (re.compile(r"posenc study\b"), "/study"),
    (re.compile(r"posenc inspect\b"), "/inspector"),
]
_CODE_SPAN = re.compile(r"<code>(posenc [^<]*)</code>")
_MATH_HREF = re.compile(r'\s+href="[^"]*"')


def math_html(latex: str, display: bool) -> str:
    """One formula as MathML; a formula latex2mathml cannot read is shown as its source."""
    from latex2mathml.converter import convert

    try:
        mathml = convert(latex.strip(), display="block" if display else "inline")
    except Exception:  # a malformed formula in content must not take the page down
        return f'<code class="math-source">{html.escape(latex)}</code>'
    # \href{URL}{x} becomes a MathML href, a link a report could aim anywhere (javascript: included);
    # formulas here link nowhere, so every href goes (latex2mathml escapes the value's quotes)
    return _MATH_HREF.sub("", mathml)


@functools.cache
def _parser():
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    md = MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table")
    md.use(dollarmath_plugin, allow_space=True, double_inline=True)
    md.add_render_rule(
        "math_inline", lambda self, tokens, idx, options, env: math_html(tokens[idx].content, False)
    )
    md.add_render_rule(
        "math_block",
        lambda self, tokens, idx, options, env: (
            f'<div class="math">{math_html(tokens[idx].content, True)}</div>\n'
        ),
    )
    md.add_render_rule(
        "math_block_label",
        lambda self, tokens, idx, options, env: (
            f'<div class="math">{math_html(tokens[idx].content, True)}</div>\n'
        ),
    )
    return md


def _link_command(match: re.Match[str]) -> str:
    command = html.unescape(match.group(1))
    for pattern, url in _COMMAND_LINKS:
        found = pattern.match(command)
        if found:
            target = url.format(*found.groups())
            return f'<a class="cmd" href="{target}">{match.group(0)}</a>'
    return match.group(0)


def markdown_html(text: str) -> Markup:
    """Markdown (with ``$`` math) -> safe HTML; quoted ``posenc`` commands link to their lab page."""
    rendered = _parser().render(text)
    return Markup(_CODE_SPAN.sub(_link_command, rendered))


def inline_html(text: str) -> Markup:
    """One paragraph of Markdown without the surrounding ``<p>`` (for list items, buttons, options)."""
    rendered = str(markdown_html(text)).strip()
    if rendered.startswith("<p>") and rendered.endswith("</p>") and rendered.count("<p>") == 1:
        rendered = rendered[3:-4]
    return Markup(rendered)


_FIGURE_SLOT = re.compile(r"(?:<p>)?POSENCFIGURE(\d+)END(?:</p>)?")


def markdown_with_figures(
    text: str, figure_html: Callable[[FigureRef, int], str], where: str = "a note"
) -> Markup:
    """A note's Markdown -> HTML with each figure marker (``::: figure NAME …``, :mod:`posenc.learn.figures`)
    replaced by ``figure_html(ref, k)``, k = 0, 1, … in the note's order (the figure's HTML is trusted:
    it comes from the lab's templates, never from the note)."""
    refs: list[FigureRef] = []

    def slot(ref: FigureRef, k: int) -> str:
        refs.append(ref)
        return f"\nPOSENCFIGURE{k}END\n"

    rendered = str(markdown_html(replace_markers(text, slot, where)))
    return Markup(_FIGURE_SLOT.sub(lambda m: figure_html(refs[int(m.group(1))], int(m.group(1))), rendered))
