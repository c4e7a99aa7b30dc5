"""The ``posenc`` command.

Each sub-command lives in its own module that defines ``HELP`` (one line),
``add_arguments(parser)`` and ``run(args) -> int``. Modules are imported only when their
command is used, so ``posenc --help`` stays fast and one broken part cannot break another.

A module that is a step of the learning path also defines ``path_step(args) -> str | None`` (the
step's key, ``"experiment:2"``): after a successful run this boundary records the step for ``posenc
progress`` and prints the path's ``Next:`` line, so the library below never imports ``posenc.learn``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
import warnings

# command name -> (module, one-line help); the module holds add_arguments() and run()
COMMANDS: dict[str, tuple[str, str]] = {
    "lab": ("posenc.web.cli", "the web lab: the whole module in a browser, offline (start here)"),
    "encodings": ("posenc.encodings.table", "table of the implemented position encodings"),
    "notes": ("posenc.learn.notes", "read the teaching notes (list topics, or render one in a pager)"),
    "quiz": ("posenc.learn.quiz", "the module quiz: five multiple-choice questions, scored and explained"),
    "grill": ("posenc.learn.grill", "the 45-question interview grill, self-graded with bands"),
    "cards": ("posenc.learn.cards", "flip through the flashcards, the self-check and the walk-through"),
    "progress": ("posenc.learn.progress", "your last quiz, grill scores per section and cards to redo"),
    "exercise": ("posenc.exercises.cli", "implement RoPE & co. yourself; a checker says what is wrong"),
    "train": ("posenc.train.cli", "train a tiny LM with a chosen position encoding"),
    "eval": ("posenc.evaluate.cli", "perplexity and passkey retrieval vs length for a trained run"),
    "generate": ("posenc.evaluate.generate_cli", "sample text from a trained run with the KV cache"),
    "exp": ("posenc.experiments.cli", "run the module's experiments: 1, 2, 3, 4, rope-base"),
    "inspect": ("posenc.inspector.cli", "explain and check the RoPE set-up of a Hugging Face config.json"),
    "study": (
        "posenc.study.cli",
        "the extrapolation study: every encoding trained here, measured from 1x to 16x its length",
    ),
}


def _top_parser() -> argparse.ArgumentParser:
    lines = "\n".join(f"  {name:<12} {help_}" for name, (_, help_) in COMMANDS.items())
    parser = argparse.ArgumentParser(
        prog="posenc",
        description="Positional encoding in transformers: learning lab and reference library.",
        epilog=f"commands:\n{lines}\n\nRun `posenc COMMAND --help` for a command's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument("command", nargs="?", choices=list(COMMANDS), metavar="COMMAND")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    top = _top_parser()
    if not argv:  # a learner who types just `posenc`: where to start, the path, what next
        from posenc.learn.start import show

        show()
        return 0
    if argv[0] not in COMMANDS:
        args = top.parse_args(argv[:1])  # exits with a clear message on an unknown command
        if args.version:
            from posenc import __version__

            print(__version__)
            return 0
        top.print_help()
        return 0
    name, rest = argv[0], argv[1:]
    module = importlib.import_module(COMMANDS[name][0])
    parser = argparse.ArgumentParser(prog=f"posenc {name}", description=COMMANDS[name][1])
    module.add_arguments(parser)
    args = parser.parse_args(rest)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = lambda message, *rest: _warn(name, message)
            rc = int(module.run(args) or 0)
            if rc == 0 and hasattr(module, "path_step"):
                _step_done(module.path_step(args))
            return rc
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _closed_pipe()
    except Exception as err:
        message = user_error(err)
        if message is None or debug():
            raise
        try:
            print(f"posenc {name}: error: {message}", file=sys.stderr)  # POSENC_DEBUG=1: the traceback
        except BrokenPipeError:
            pass
        return 2


def _step_done(key: str | None) -> None:
    """Record learning-path step ``key`` as done and print the path's ``Next:`` line after it."""
    if key is None:
        return
    from rich.console import Console

    from posenc.learn import progress
    from posenc.learn.terminal import path_next_line, print_next

    progress.record_step(key)
    print_next(Console(), path_next_line(key))


def _warn(name: str, message) -> None:
    """A warning the library raised for the user (``CheckpointFallback``, too few windows): one line."""
    try:
        print(f"posenc {name}: warning: {_first_line(message)}", file=sys.stderr)
    except BrokenPipeError:
        pass


def debug() -> bool:
    """``POSENC_DEBUG`` set to a yes-like value ("1", "true", "yes", "on"): show tracebacks."""
    return os.environ.get("POSENC_DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}


def _first_line(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    return text.splitlines()[0]


def user_error(err: BaseException) -> str | None:
    """The one-line message for an error a user's input can cause, or None for a bug (re-raised).

    Classes, not examples: every ``OSError`` (missing, unreadable, too long a name, a folder where a
    file was meant, symlink loops), numbers too large (``OverflowError``), input nested too deeply
    (``RecursionError``), allocations that fail (``MemoryError`` and torch's allocator errors), and the
    ``ValueError``/``RuntimeError`` the library raises with a message naming the bad argument."""
    if isinstance(err, OSError):
        what = err.strerror or _first_line(err)
        where = f": {err.filename}" if err.filename else ""
        return f"{what}{where}"
    if isinstance(err, OverflowError):
        return f"a number is too large to use: {_first_line(err)}"
    if isinstance(err, RecursionError):
        return "the input is nested too deeply to read"
    if isinstance(err, MemoryError) or (
        isinstance(err, RuntimeError) and re.search(r"allocate|out of memory", str(err), re.IGNORECASE)
    ):
        return "out of memory: make the model, batch or length smaller (--batch-size, --d-model, --lengths)"
    if isinstance(err, (ValueError, RuntimeError)):
        return _first_line(err)
    return None


def _closed_pipe() -> int:
    """The reader went away (``posenc inspect X --json | head``): stop quietly, as Unix tools do."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # the interpreter's final flush must not fail again
    except (OSError, ValueError):
        pass
    return 141  # 128 + SIGPIPE, what a shell reports for a tool stopped by a closed pipe


if __name__ == "__main__":
    raise SystemExit(main())
