"""Shared terminal plumbing for ``posenc quiz``, ``grill`` and ``cards``.

Answers are read a line at a time from standard input, so every command can be driven from a
pipe (``printf 'b\\nc\\n' | posenc quiz``) and tested. When standard input is not a terminal the
answer read is echoed, so a piped transcript reads like an interactive one. End of input raises
:class:`EndOfInput`, which each command catches to print its partial result.
"""

from __future__ import annotations

import sys
from typing import TextIO

from rich.console import Console
from rich.markdown import Markdown
from rich.markup import escape
from rich.panel import Panel

QUIT_WORDS = frozenset({"q", "quit", "exit"})


class EndOfInput(Exception):
    """Standard input ended (or the user typed q) before the session was over."""


class Prompter:
    """Reads one answer per line from ``stream`` (default: ``sys.stdin`` at call time)."""

    def __init__(self, console: Console, stream: TextIO | None = None):
        self.console, self._stream = console, stream

    @property
    def stream(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stdin

    def line(self, prompt: str, allow_quit: bool = True) -> str:
        """Show ``prompt``, read one line, return it stripped. EOF (or q) raises :class:`EndOfInput`."""
        self.console.print(f"[bold cyan]{escape(prompt)}[/] ", end="")
        raw = self.stream.readline()
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


def markdown_panel(text: str, title: str | None = None, style: str = "white") -> Panel:
    return Panel(Markdown(text), title=title, title_align="left", border_style=style)
