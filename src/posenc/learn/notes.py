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
lab shows as MathML. For the terminal, ``math_markdown.terminal_markdown`` first turns each formula into
Unicode text (:mod:`posenc.learn.mathtext`): a display formula becomes a code block of its lines, an
inline one its text, so rich never shows a backslash or a dollar sign. The quiz, grill, cards and
practice write their math the same way and print through the same conversion (``learn.terminal``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
from collections.abc import Mapping

from rich.table import Table

from posenc.learn import progress
from posenc.learn.content import NoteTopic, find_topic, load_notes_index
from posenc.learn.figures import terminal_markdown as figure_text
from posenc.learn.math_markdown import math_spans, terminal_markdown  # noqa: F401 (the notes' math, as text)
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
# rendering and paging
# --------------------------------------------------------------------------------------------------


#: rich's Markdown with wrapping code blocks and folding table cells (see learn.terminal)
NoteMarkdown = WrappingMarkdown


def render(markdown: str) -> NoteMarkdown:
    """A note's Markdown (numbers filled in) as the renderable the terminal shows (its math as text:
    :class:`WrappingMarkdown` converts it)."""
    return NoteMarkdown(markdown)


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


def _print(console, renderable) -> None:
    """Print ``renderable``; piped (not a terminal), each line without the spaces rich pads it with."""
    if console.is_terminal:
        console.print(renderable)
        return
    with console.capture() as captured:
        console.print(renderable)
    console.file.write("\n".join(line.rstrip() for line in captured.get().split("\n")))
    console.file.flush()


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
        _print(console, table)
        print_next(console, path_next_line(None))
        return 0
    topics = topics_for(args.topic)
    # a figure keeps its place as text: what it shows and where to see it (the lab page, the command)
    text = "\n\n---\n\n".join(figure_text(t.markdown(), t.id) for t in topics)
    if args.markdown:
        print(text)  # source for another renderer: no Next: line
        return 0
    if args.no_pager or not console.is_terminal:
        _print(console, render(text))
    else:
        colours, extra = pager_settings(os.environ)
        with _environment(extra), console.pager(styles=colours):
            console.print(render(text))
    key = f"note:{topics[-1].id}"
    progress.record_step(key)
    print_next(console, path_next_line(key))  # after the pager closes: left on the screen
    return 0
