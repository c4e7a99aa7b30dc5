"""Shared terminal plumbing for ``posenc notes``, ``quiz``, ``grill``, ``cards`` and ``progress``.

Answers are read a line at a time from standard input, so every command can be driven from a
pipe (``printf 'b\\nc\\n' | posenc quiz``) and tested. When standard input is not a terminal the
answer read is echoed, so a piped transcript reads like an interactive one. End of input raises
:class:`EndOfInput`, which each command catches to print its partial result.

Text from the content files is Markdown. Whole answers go through :class:`WrappingMarkdown` (code
blocks and table cells wrap at the terminal's width instead of being cut); one-line fields
(questions, options) through :func:`inline`, so no ``*`` or backtick of the source reaches the screen.
Every command ends with one ``Next:`` line (:func:`next_line`), taken from the learning path.
"""

from __future__ import annotations

import sys
from collections import Counter
from typing import TextIO

from markdown_it import MarkdownIt
from rich.console import Console
from rich.markdown import CodeBlock, Markdown, TableDataElement
from rich.markup import escape
from rich.panel import Panel
from rich.syntax import Syntax
from rich.text import Text

from posenc.learn.math_markdown import inline_markdown, terminal_markdown

QUIT_WORDS = frozenset({"q", "quit", "exit"})
#: characters of one answer line; a longer one is refused (``posenc quiz < /dev/zero`` read one
#: unbounded line: 22 GB in 29 s, and grill and cards read their lines the same way)
MAX_LINE = 4096


class EndOfInput(Exception):
    """Standard input ended (or the user typed q) before the session was over."""


class LineTooLong(ValueError):
    """An answer line longer than :data:`MAX_LINE` characters (or input without line ends): the
    command's one-line error, raised before more than ``MAX_LINE + 1`` characters are read."""


class Prompter:
    """Reads one answer per line from ``stream`` (default: ``sys.stdin`` at call time)."""

    def __init__(self, console: Console, stream: TextIO | None = None):
        self.console, self._stream = console, stream

    @property
    def stream(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stdin

    def line(self, prompt: str, allow_quit: bool = True) -> str:
        """Show ``prompt``, read one line, return it stripped. EOF (or q) raises :class:`EndOfInput`; a
        line longer than :data:`MAX_LINE` characters raises :class:`LineTooLong` (the read is bounded)."""
        self.console.print(f"[bold cyan]{escape(prompt)}[/] ", end="")
        raw = self.stream.readline(MAX_LINE + 1)
        if len(raw) > MAX_LINE and not raw.endswith("\n"):
            self.console.print()
            raise LineTooLong(
                f"an answer on standard input is longer than {MAX_LINE} characters (no line end): answer "
                "with one short line per question, e.g. printf 'b\\nc\\n' | posenc quiz"
            )
        if raw == "":
            self.console.print()
            raise EndOfInput
        answer = raw.strip()
        if not _isatty(self.stream):
            self.console.print(answer, markup=False, highlight=False)
        if allow_quit and answer.lower() in QUIT_WORDS:
            raise EndOfInput
        return answer

    def choice(self, prompt: str, valid: str) -> str:
        """Ask until the answer is one of the letters in ``valid`` (case-insensitive)."""
        while True:
            answer = self.line(prompt).lower()
            if len(answer) == 1 and answer in valid:
                return answer
            self.console.print(f"Please answer one of: {', '.join(valid)} (or q to stop).")

    def pick(self, prompt: str, words: dict[str, str], default: str | None = None) -> str:
        """Ask until the answer is one of ``words`` (answer -> meaning) or empty with a ``default``;
        returns the meaning. ``pick("…", {"a": "again", "g": "got"}, default="got")``."""
        while True:
            answer = self.line(prompt).lower()
            if not answer and default is not None:
                return default
            if answer in words:
                return words[answer]
            self.console.print(f"Please answer one of: {', '.join(dict.fromkeys(words))} (or q to stop).")

    def yes_no(self, prompt: str) -> bool:
        while True:
            answer = self.line(prompt).lower()
            if answer in ("y", "yes"):
                return True
            if answer in ("n", "no"):
                return False
            self.console.print("Please answer y or n (or q to stop).")


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def make_console() -> Console:
    """A console on the current ``sys.stdout``; no syntax highlighting of numbers in answers."""
    return Console(highlight=False)


# --------------------------------------------------------------------------------------------------
# Markdown that fits the terminal
# --------------------------------------------------------------------------------------------------


class _WrappingCodeBlock(CodeBlock):
    """A code block whose long lines wrap instead of being cut at the terminal's edge."""

    def __rich_console__(self, console, options):
        yield Syntax(str(self.text).rstrip(), self.lexer_name, theme=self.theme, word_wrap=True, padding=1)


class _FoldingCell(TableDataElement):
    """A table cell whose words longer than the column fold onto the next line instead of being cut
    with an ellipsis (a formula such as 10000^(2i/d) must show whole)."""

    def __init__(self, justify) -> None:
        super().__init__(justify)
        self.content = Text("", justify=justify, overflow="fold")


class WrappingMarkdown(Markdown):
    """rich's Markdown, with its math as text (``$…$`` and ``$$…$$``, :func:`~posenc.learn.math_markdown.
    terminal_markdown`), code blocks (and so display formulas) that wrap and table cells that fold:
    nothing is cut at the terminal's width."""

    def __init__(self, markup: str, *args, **kwargs) -> None:
        super().__init__(terminal_markdown(markup), *args, **kwargs)

    elements = {
        **Markdown.elements,
        "fence": _WrappingCodeBlock,
        "code_block": _WrappingCodeBlock,
        "td_open": _FoldingCell,
        "th_open": _FoldingCell,
    }


def markdown_panel(text: str, title: str | None = None, style: str = "white") -> Panel:
    """``text`` (Markdown) in a panel. Keep ``title`` short: a panel cuts a title wider than itself,
    so a question goes above the panel (:func:`inline`), not into its title."""
    return Panel(WrappingMarkdown(text), title=title, title_align="left", border_style=style)


_INLINE = MarkdownIt("commonmark")
_INLINE_STYLES = {"strong": "bold", "em": "italic", "s": "strike", "link": "underline"}


def inline(text: str, style: str = "") -> Text:
    """One paragraph of Markdown as styled text: **bold**, *italic* and `code` lose their marks
    (code shows in cyan), links keep their text, ``$…$`` math becomes its text; the text wraps like
    any other."""
    out = Text(style=style)
    open_styles: list[str] = []
    for token in _INLINE.parseInline(inline_markdown(" ".join(text.split())))[0].children or []:
        kind = token.type
        if kind.endswith("_open") and kind[: -len("_open")] in _INLINE_STYLES:
            open_styles.append(_INLINE_STYLES[kind[: -len("_open")]])
        elif kind.endswith("_close") and kind[: -len("_close")] in _INLINE_STYLES:
            if open_styles:
                open_styles.pop()
        elif kind == "code_inline":
            out.append(token.content, style=" ".join([*open_styles, "cyan"]))
        elif kind in ("softbreak", "hardbreak"):
            out.append(" ")
        elif token.content:
            out.append(token.content, style=" ".join(open_styles))
    return out


# --------------------------------------------------------------------------------------------------
# the one "Next:" line every command ends with
# --------------------------------------------------------------------------------------------------

#: the width a Next: line must fit in (the narrowest terminal the commands are made for)
NEXT_WIDTH = 80


def next_line(command: str, why: str = "", width: int = NEXT_WIDTH) -> str:
    """``Next: COMMAND — WHY`` in one line of at most ``width`` characters: the reason is left out
    when the two do not fit together (the command never is)."""
    command = " ".join(command.split())
    line = f"Next: {command}"
    return f"{line} — {why}" if why and len(line) + 3 + len(why) <= width else line


def path_next_line(key: str | None) -> str:
    """The ``Next:`` line for the learning-path step after ``key`` (``"note:clock"``, ``"quiz"``);
    ``None`` or an unknown key: the path's first step. After the last step: the study's report."""
    from posenc.learn.path import load_path, next_step

    try:
        step = next_step(key) if key else load_path()[0]
    except ValueError:
        step = load_path()[0]
    if step is None:
        return next_line("posenc progress", "see where you stand; every step is done")
    return next_line(step.command, step.why)


def review_next_line(missed: list[tuple[str, str]]) -> str:
    """The ``Next:`` line after a quiz or grill with misses: ``missed`` is (question label, note id)
    in the order asked. The note behind most misses, or the first miss's when no note has two."""
    counts = Counter(note for _, note in missed)
    note, count = counts.most_common(1)[0]
    if len(missed) == 1:
        why = f"it teaches {missed[0][0]}, the one you missed"
    elif count > 1:
        why = f"it teaches {count} of the {len(missed)} you missed"
    else:
        label, note = missed[0]
        why = f"for {label}, the first of the {len(missed)} you missed"
    return next_line(f"posenc notes {note}", why)


def print_next(console: Console, line: str) -> None:
    """Print the ``Next:`` line as one unbroken line (rich would otherwise wrap a long command)."""
    console.print()
    console.print(Text(line, style="bold"), overflow="ignore", crop=False, soft_wrap=True)
