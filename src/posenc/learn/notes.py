"""`posenc notes [TOPIC]`: the teaching notes in the terminal.

Without a topic, lists the topics in reading order. With one (an id such as ``rope-scaling``, a
unique prefix, its number, or ``all``), renders its Markdown with rich in a pager (``--no-pager``
prints it; output that is not a terminal is never paged), then prints the ``Next:`` step of the
learning path, which stays on the screen when the pager closes. ``--markdown`` prints the Markdown
source with the library's numbers filled in and the math as LaTeX (for copying, or for another
renderer). Content: ``posenc/learn/data/notes/`` (``index.yaml`` + one Markdown file per topic).

A note's figure (a ``::: figure`` line, :mod:`posenc.learn.figures`) is printed as a short quoted
paragraph: what it shows, the lab page where it is interactive, and the command that draws it.

The notes write formulas as LaTeX — ``$…$`` inline, ``$$…$$`` on lines of their own — which the web
lab shows as MathML. For the terminal, :func:`terminal_markdown` first turns each formula into
Unicode text (:mod:`posenc.learn.mathtext`): a display formula becomes a code block of its lines, an
inline one its text, so rich never shows a backslash or a dollar sign.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shlex
from collections.abc import Callable, Mapping

from rich.table import Table

from posenc.learn import progress
from posenc.learn.content import NoteTopic, find_topic, load_notes_index
from posenc.learn.figures import terminal_markdown as figure_text
from posenc.learn.mathtext import letter_subscripts_fit, to_text
from posenc.learn.terminal import WrappingMarkdown, inline, make_console, path_next_line, print_next


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "topic", nargs="?", help="topic id, unique prefix, number, or 'all'; omit to list them"
    )
    parser.add_argument("--no-pager", action="store_true", help="print instead of opening a pager")
    parser.add_argument(
        "--markdown",
        action="store_true",
        help="print the Markdown source: numbers filled in, formulas as LaTeX ($…$, $$…$$)",
    )


def topics_for(name: str) -> tuple[NoteTopic, ...]:
    return load_notes_index() if name.strip().lower() == "all" else (find_topic(name),)


# --------------------------------------------------------------------------------------------------
# math -> text, before rich sees the Markdown
# --------------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------------
# rendering and paging
# --------------------------------------------------------------------------------------------------


#: rich's Markdown with wrapping code blocks and folding table cells (see learn.terminal)
NoteMarkdown = WrappingMarkdown


def render(markdown: str) -> NoteMarkdown:
    """A note's Markdown (numbers filled in) as the renderable the terminal shows."""
    return NoteMarkdown(terminal_markdown(markdown))


def pager_settings(environ: Mapping[str, str]) -> tuple[bool, dict[str, str]]:
    """(colours on?, environment to add) for the pager pydoc will start.

    ``less`` shows colour escape codes as raw text unless it runs with ``-R`` (or ``-r``): when
    ``LESS`` is unset it gets ``-R``; when the user set ``LESS`` without either, their setting stays
    and the page goes without colour. Another pager (``PAGER``/``MANPAGER``) gets colours as is."""
    command = environ.get("MANPAGER") or environ.get("PAGER") or "less"
    try:
        program = os.path.basename(shlex.split(command)[0]) if command.strip() else "less"
    except ValueError:
        program = command
    if program != "less":
        return True, {}
    options = environ.get("LESS")
    if options is None:
        return True, {"LESS": "-R"}
    flags = "".join(word.lstrip("-") for word in options.split() if not word.startswith("--"))
    passes_colour = "R" in flags or "r" in flags or "--RAW-CONTROL-CHARS" in options
    return passes_colour, {}


@contextlib.contextmanager
def _environment(extra: Mapping[str, str]):
    old = {key: os.environ.get(key) for key in extra}
    os.environ.update(extra)
    try:
        yield
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run(args: argparse.Namespace) -> int:
    console = make_console()
    if not args.topic:
        table = Table(
            title="The notes, in reading order",
            caption="posenc notes TOPIC shows one: its id, its number or a unique prefix; all: every note",
        )
        for column in ("#", "topic", "title", "summary"):
            table.add_column(column, overflow="fold")
        for t in load_notes_index():
            table.add_row(str(t.number), t.id, inline(t.title), inline(t.summary))
        console.print(table)
        print_next(console, path_next_line(None))
        return 0
    topics = topics_for(args.topic)
    # a figure keeps its place as text: what it shows and where to see it (the lab page, the command)
    text = "\n\n---\n\n".join(figure_text(t.markdown(), t.id) for t in topics)
    if args.markdown:
        print(text)  # source for another renderer: no Next: line
        return 0
    if args.no_pager or not console.is_terminal:
        console.print(render(text))
    else:
        colours, extra = pager_settings(os.environ)
        with _environment(extra), console.pager(styles=colours):
            console.print(render(text))
    key = f"note:{topics[-1].id}"
    progress.record_step(key)
    print_next(console, path_next_line(key))  # after the pager closes: left on the screen
    return 0
