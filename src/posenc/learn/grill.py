"""`posenc grill`: the 45-question interview grill, self-graded.

Shows a question, waits for Enter, reveals the model answer, asks whether you got it (y/n), and
ends with the score and the self-grading band (scaled to 45 when fewer questions were asked).
``--section D`` (or ``D,E``) limits the sections, ``--random N`` asks N random questions
(``--seed`` makes the draw repeatable), ``--list`` prints every question with its answer.
Reads from standard input, so a pipe works; end of input stops with the partial score.
Content: ``posenc/learn/data/grill.yaml``.
"""

from __future__ import annotations

import argparse
import random

from rich.console import Console

from posenc.learn.content import Grill, GrillQuestion, load_grill
from posenc.learn.terminal import EndOfInput, Prompter, make_console, markdown_panel


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--section", help="only these sections, e.g. D or D,E (A–J)")
    parser.add_argument("--random", type=int, metavar="N", help="ask N questions drawn at random")
    parser.add_argument("--seed", type=int, help="seed for --random (the same seed draws the same questions)")
    parser.add_argument("--list", action="store_true", help="print the questions with their answers and exit")


def select(grill: Grill, section: str | None, count: int | None, seed: int | None) -> list[GrillQuestion]:
    """The questions to ask, in grill order unless drawn at random. Bad options raise ``ValueError``."""
    questions = list(grill.questions)
    if section:
        letters = [s.strip() for s in section.split(",") if s.strip()]
        if not letters:
            raise ValueError(f"--section needs section letters A–J, got {section!r}")
        try:
            chosen = {grill.section(letter).id for letter in letters}
        except ValueError as err:
            raise ValueError(f"--section: {err}") from None
        questions = [q for q in questions if q.section in chosen]
    if count is not None:
        if count <= 0:
            raise ValueError(f"--random must be a positive number of questions, got {count}")
        questions = random.Random(seed).sample(questions, min(count, len(questions)))
    return questions


def run(args: argparse.Namespace) -> int:
    grill = load_grill()
    questions = select(grill, args.section, args.random, args.seed)
    console = make_console()
    if args.list:
        for q in questions:
            console.print(markdown_panel(q.answer, f"{q.id}. {q.question}", "green"))
        return 0
    console.rule(f"[bold]{grill.title}")
    console.print(grill.intro)
    score, asked = session(grill, questions, Prompter(console), console)
    report(grill, score, asked, len(questions), console)
    return 0


def session(
    grill: Grill, questions: list[GrillQuestion], prompter: Prompter, console: Console
) -> tuple[int, int]:
    """Ask each question, reveal, self-grade. Returns (score, questions graded); stops at end of input."""
    titles = {s.id: s.title for s in grill.sections}
    score = asked = 0
    try:
        for number, q in enumerate(questions, 1):
            console.print()
            console.print(f"[bold]{number}/{len(questions)} · {q.id} · {titles[q.section]}[/]")
            console.print(q.question)
            prompter.line("Press Enter to reveal the answer (q to stop):")
            console.print(markdown_panel(q.answer, "Model answer", "green"))
            score += prompter.yes_no("Did you get it (idea and formula)? [y/n]:")
            asked += 1
    except EndOfInput:
        console.print(f"Input ended after {asked} of {len(questions)} questions.")
    return score, asked


def report(grill: Grill, score: int, asked: int, planned: int, console: Console) -> None:
    console.rule()
    if asked == 0:
        console.print("No questions graded.")
        return
    band = grill.band(score, asked)
    scaled = (
        "" if asked == grill.total else f" (scaled to {grill.total}: {round(score * grill.total / asked)})"
    )
    console.print(f"[bold]Score: {score}/{asked}[/]{scaled}")
    console.print(f"[bold]Band: {band.label}[/] ({band.min}–{band.max} of {grill.total}). {band.advice}")
