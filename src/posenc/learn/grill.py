"""`posenc grill`: the 45-question interview grill, self-graded.

Shows a question, waits for Enter, reveals the model answer, asks whether you got it (y/n), and
ends with the score, the questions you missed with the note that teaches each, and — for a full
run of all 45 only — the self-grading band: a band read off a few questions would say nothing.
``--section D`` (or ``D,E``) limits the sections, ``--random N`` asks N random questions
(``--seed`` makes the draw repeatable), ``--list`` prints every question with its answer.
Reads from standard input, so a pipe works; end of input stops with the partial score. The last
score per section is kept for ``posenc progress``. Content: ``posenc/learn/data/grill.yaml``.
"""

from __future__ import annotations

import argparse
import random

from rich.console import Console
from rich.table import Table
from rich.text import Text

from posenc.learn import progress
from posenc.learn.content import Grill, GrillQuestion, load_grill
from posenc.learn.terminal import (
    EndOfInput,
    Prompter,
    inline,
    make_console,
    markdown_panel,
    next_line,
    path_next_line,
    print_next,
    review_next_line,
)


def sections_text(grill: Grill) -> str:
    """``A  Foundations (5)`` … one line per section, for ``--help``."""
    return "\n".join(f"  {s.id}  {s.title} ({len(s.questions)})" for s in grill.sections)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    grill = load_grill()
    parser.formatter_class = argparse.RawDescriptionHelpFormatter  # keep the section list's lines
    parser.epilog = (
        f"sections (questions):\n{sections_text(grill)}\n\n"
        f"A band (how ready you are) is given only when all {grill.total} questions are graded."
    )
    parser.add_argument("--section", help="only these sections, e.g. D or D,E (A–J, listed below)")
    parser.add_argument("--random", type=int, metavar="N", help="ask N questions drawn at random")
    parser.add_argument("--seed", type=int, help="seed for --random (the same seed draws the same questions)")
    parser.add_argument("--list", action="store_true", help="print the questions with their answers and exit")


def select(grill: Grill, section: str | None, count: int | None, seed: int | None) -> list[GrillQuestion]:
    """The questions to ask, in grill order unless drawn at random. Bad options raise ``ValueError``."""
    questions = list(grill.questions)
    if section:
        try:
            chosen = {s.id for s in grill.named_sections(section)}
        except ValueError as err:
            raise ValueError(f"--section: {err}") from None
        if not chosen:
            raise ValueError(f"--section needs section letters A–J, got {section!r}")
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
        print_list(grill, questions, console)
        print_next(console, next_line("posenc grill", "grade yourself on them"))
        return 0
    console.rule(f"[bold]{grill.title}")
    console.print(inline(grill.intro))
    graded = session(grill, questions, Prompter(console), console)
    next_text = report(grill, graded, len(questions), console)
    if graded:
        _record(grill, graded)
    print_next(console, next_text)
    return 0


def print_list(grill: Grill, questions: list[GrillQuestion], console: Console) -> None:
    """Each section's letter and title, then its questions (wrapped) with their model answers."""
    chosen = {q.section for q in questions}
    for section in grill.sections:
        if section.id not in chosen:
            continue
        console.print()
        heading = f"{section.id}. {section.title} ({len(section.questions)} questions)"
        console.print(Text(heading, style="bold reverse"))  # wraps; a rule would cut a long title
        console.print(Text(f"taught in posenc notes {section.note}", style="dim"))
        for q in questions:
            if q.section == section.id:
                console.print()
                console.print(Text(f"{q.id}. ", style="bold") + inline(q.question, style="bold"))
                console.print(markdown_panel(q.answer, "Model answer", "green"))


def session(
    grill: Grill, questions: list[GrillQuestion], prompter: Prompter, console: Console
) -> list[tuple[GrillQuestion, bool]]:
    """Ask each question, reveal, self-grade. Returns (question, got it?) for each graded one;
    stops at end of input (or q)."""
    titles = {s.id: s.title for s in grill.sections}
    graded: list[tuple[GrillQuestion, bool]] = []
    try:
        for number, q in enumerate(questions, 1):
            console.print()
            console.print(Text(f"{number}/{len(questions)} · {q.id} · {titles[q.section]}", style="bold"))
            console.print(inline(q.question))
            prompter.line("Press Enter to reveal the answer (q to stop):")
            console.print(markdown_panel(q.answer, "Model answer", "green"))
            graded.append((q, prompter.yes_no("Did you get it (idea and formula)? [y/n]:")))
    except EndOfInput:
        console.print(f"Input ended after {len(graded)} of {len(questions)} questions.")
    return graded


def report(grill: Grill, graded: list[tuple[GrillQuestion, bool]], planned: int, console: Console) -> str:
    """Score, band (full run only), per-section scores and the missed questions; returns the Next: line."""
    console.rule()
    if not graded:
        console.print("No questions graded.")
        return path_next_line("grill")
    score, asked = sum(got for _, got in graded), len(graded)
    console.print(Text(f"Score: {score}/{asked}", style="bold"))
    if asked == grill.total:
        band = grill.band(score)
        console.print(
            Text(f"Band: {band.label}", style="bold")
            + Text(f" ({band.min}–{band.max} of {grill.total}). ")
            + inline(band.advice)
        )
    else:
        console.print(
            f"No band: bands are for all {grill.total} questions, and {asked} "
            f"{'says' if asked == 1 else 'say'} too little. Run posenc grill (all of them) for one."
        )
    per_section = _per_section(graded)
    if len(per_section) > 1:
        titles = {s.id: s.title for s in grill.sections}
        table = Table.grid(padding=(0, 1))
        for justify in ("left", "left", "right"):
            table.add_column(justify=justify)
        for letter, (got, of, _) in per_section.items():
            table.add_row(letter, titles[letter], f"{got}/{of}")
        console.print(table)
    missed = [q for q, got in graded if not got]
    if not missed:
        return path_next_line("grill")
    console.print(Text(f"Missed ({len(missed)}), with the note that teaches each:", style="bold"))
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    for q in missed:
        table.add_row(q.id, inline(q.question) + Text(f"\n→ posenc notes {q.note}", style="cyan"))
    console.print(table)
    return review_next_line([(q.id, q.note) for q in missed])


def _per_section(graded: list[tuple[GrillQuestion, bool]]) -> dict[str, tuple[int, int, list[str]]]:
    """section letter -> (right, asked, missed ids), in grill order."""
    out: dict[str, tuple[int, int, list[str]]] = {}
    for q, got in sorted(graded, key=lambda item: (item[0].section, int(item[0].id[1:]))):
        right, asked, missed = out.get(q.section, (0, 0, []))
        out[q.section] = (right + got, asked + 1, missed if got else [*missed, q.id])
    return out


def _record(grill: Grill, graded: list[tuple[GrillQuestion, bool]]) -> None:
    score = sum(got for _, got in graded)
    full = (score, grill.total, grill.band(score).label) if len(graded) == grill.total else None
    progress.record_grill(_per_section(graded), full, grades={q.id: got for q, got in graded})
