"""``posenc exercise``: implement it yourself, then let the checker say precisely what is wrong.

    posenc exercise list                    the exercises, in the order of the learning path
    posenc exercise show NAME               the function to write: signature and docstring
    posenc exercise start NAME [DIR]        write DIR/<function>.py: signature, docstring, no body
    posenc exercise check FILE              run it on every case against the library (exit 0: all pass)
    posenc exercise solution NAME [--yes]   the reference solution, after a confirmation

Every command ends with one ``Next:`` line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from posenc.exercises.catalog import EXERCISES, find
from posenc.exercises.template import TODO, signature

HELP = "implement RoPE & co. yourself: start an exercise, check your file, see the solution"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    sub.add_parser("list", help="list the exercises")
    show = sub.add_parser("show", help="print an exercise's signature and docstring")
    show.add_argument("name", help="exercise name (see `posenc exercise list`)")
    start = sub.add_parser("start", help="write the exercise's file: signature, docstring, no body")
    start.add_argument("name", help="exercise name (see `posenc exercise list`)")
    start.add_argument("dir", nargs="?", default=".", help="folder to write it in (default: here)")
    start.add_argument("--force", action="store_true", help="overwrite the file if it exists")
    check = sub.add_parser("check", help="check your file against the library on every case")
    check.add_argument("file", help="your file (written by `posenc exercise start`)")
    check.add_argument("--exercise", help="which exercise the file is (default: read from the file)")
    check.add_argument(
        "--time-limit", type=float, default=10.0, help="seconds each case may run, in (0, 3600] (default 10)"
    )
    solution = sub.add_parser("solution", help="show the reference solution (asks first)")
    solution.add_argument("name", help="exercise name")
    solution.add_argument("--yes", action="store_true", help="show it without asking (for scripts)")


def _list() -> int:
    width = max(len(name) for name in EXERCISES)
    print("posenc exercises, in the order of the learning path:\n")
    for n, e in enumerate(EXERCISES.values(), 1):
        print(f"  {n}. {e.name:<{width}}  {e.title}")
        print(f"     {'':<{width}}  {e.summary}")
    first = next(iter(EXERCISES))
    print(f"\nNext: `posenc exercise start {first}` writes the first one (`posenc exercise show NAME`: any).")
    return 0


def _show(name: str) -> int:
    e = find(name)
    print(f"{e.title} ({e.name}): write {signature(e.solution(), e.function)}\n")
    print(e.template(), end="")
    print(f"\nNext: `posenc exercise start {e.name}` writes this to {e.function}.py.")
    return 0


def _start(name: str, folder: str, force: bool) -> int:
    e = find(name)
    target = Path(folder) / f"{e.function}.py"
    if Path(folder).exists() and not Path(folder).is_dir():
        raise NotADirectoryError(f"{folder} is not a folder")
    if target.exists() and not force:
        raise ValueError(
            f"{target} already exists: check it with `posenc exercise check {target}`, "
            "or pass --force to start over"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    text = e.template().replace(TODO.format(file="THIS_FILE"), TODO.format(file=target))
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target}: {signature(e.solution(), e.function)}")
    print(f"The docstring gives the shapes and the formula; `posenc notes {e.note}` teaches it.")
    print(f"Next: write the body, then run `posenc exercise check {target}`.")
    return 0


def _check(file: str, exercise: str | None, time_limit: float) -> int:
    from posenc.exercises.check import check_file, render, validate_time_limit

    validate_time_limit(time_limit)  # finite and positive: NaN would turn the limit off
    report = check_file(file, exercise, time_limit=time_limit)
    print(render(report, file), end="")
    return 0 if report.passed else 1


def _solution(name: str, yes: bool) -> int:
    e = find(name)
    if not yes:
        question = f"Show the reference solution of {e.name}? Trying first teaches more. [y/N] "
        print(question, end="", flush=True)
        answer = sys.stdin.readline()
        if not sys.stdin.isatty():
            print(answer.strip())  # piped: echo it, so the transcript reads like a terminal session
        if answer.strip().lower() not in ("y", "yes"):
            print("Not shown (pass --yes to show it without asking).")
            print(f"Next: `posenc exercise start {e.name}`, or `posenc exercise check` your file.")
            return 0
    print(f"\n{e.solution_path.name}: {e.title} (checked against posenc.encodings by the tests)\n")
    print(e.solution(), end="")
    print(f"\nNext: `posenc exercise check {e.function}.py` on your own version, or try another exercise.")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.action == "list":
        return _list()
    if args.action == "show":
        return _show(args.name)
    if args.action == "start":
        return _start(args.name, args.dir, args.force)
    if args.action == "check":
        return _check(args.file, args.exercise, args.time_limit)
    return _solution(args.name, args.yes)
