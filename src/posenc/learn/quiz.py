"""`posenc quiz`: the module quiz in the terminal — five multiple-choice questions, scored and
explained, a recap of the ones you missed with the note that teaches each, then the two open
questions with reference answers, then the completion check.

Answers (a, b, c or d, one per line) are read from standard input, so a pipe works:
``printf 'c\\na\\nd\\nb\\nc\\n' | posenc quiz``. End of input stops with the partial score.
The score and the missed questions are kept for ``posenc progress``.
Content: ``posenc/learn/data/quiz.yaml``.
"""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table
from rich.text import Text

from posenc.learn import progress
from posenc.learn.content import LETTERS, MultipleChoice, Quiz, load_quiz
from posenc.learn.terminal import (
    MAX_LINE,
    EndOfInput,
    Prompter,
    WrappingMarkdown,
    inline,
    make_console,
    markdown_panel,
    next_line,
    path_next_line,
    print_next,
    review_next_line,
)

MAX_ANSWER = MAX_LINE  # every Prompter bounds its reads (posenc.learn.terminal)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--answers", action="store_true", help="print the answer key with explanations and exit"
    )
    parser.add_argument(
        "--no-open",
        action="store_true",
        help="stop after the multiple-choice score (skip the open questions)",
    )


def run(args: argparse.Namespace) -> int:
    quiz = load_quiz()
    console = make_console()
    if args.answers:
        print_key(quiz, console)
        print_next(console, next_line("posenc quiz", "answer them yourself"))
        return 0
    prompter = Prompter(console)  # its reads are bounded: MAX_LINE characters a line
    console.rule(f"[bold]{quiz.title}")
    console.print(inline(quiz.intro))
    answers: list[tuple[MultipleChoice, str]] = []
    try:
        for number, mcq in enumerate(quiz.mcq, 1):
            ask(mcq, number, len(quiz.mcq), console)
            choice = prompter.choice("Your answer (a/b/c/d):", LETTERS)
            answers.append((mcq, choice))
            explain(mcq, choice, console)
    except EndOfInput:
        console.print(f"\nInput ended after {len(answers)} of {len(quiz.mcq)} questions.")
        if not answers:
            console.print("No questions answered.")
            print_next(console, path_next_line("quiz"))
            return 0
        following = recap(quiz, answers, console)
        progress.record_quiz(*_score(answers), _missed(answers))
        print_next(console, following)
        return 0
    console.rule()
    following = recap(quiz, answers, console)
    progress.record_quiz(*_score(answers), _missed(answers))
    if not args.no_open:
        try:
            open_questions(quiz, prompter, console)
            completion_check(quiz, console)
        except EndOfInput:
            pass
    print_next(console, following)
    return 0


def grade(answers: list[tuple[MultipleChoice, str]]) -> tuple[int, int, list[str]]:
    """(right, asked, ids of the questions missed) for (question, chosen letter) pairs: what
    ``posenc quiz`` records, and what the lab records for a quiz taken in the browser."""
    return (*_score(answers), _missed(answers))


def _score(answers: list[tuple[MultipleChoice, str]]) -> tuple[int, int]:
    return sum(choice == mcq.answer for mcq, choice in answers), len(answers)


def _missed(answers: list[tuple[MultipleChoice, str]]) -> list[str]:
    return [mcq.id for mcq, choice in answers if choice != mcq.answer]


def recap(quiz: Quiz, answers: list[tuple[MultipleChoice, str]], console: Console) -> str:
    """The score, and each missed question again with the right answer and the note that teaches
    it; returns the Next: line (the note behind most misses, else the path's next step)."""
    score, asked = _score(answers)
    console.print(Text(f"Score: {score}/{asked}", style="bold"))
    numbers = {mcq.id: n for n, mcq in enumerate(quiz.mcq, 1)}
    missed = [(mcq, choice) for mcq, choice in answers if choice != mcq.answer]
    if not missed:
        return path_next_line("quiz")
    console.print(Text(f"To review ({len(missed)} missed):", style="bold"))
    grid = _grid()
    for mcq, choice in missed:
        right = next(o for o in mcq.options if o.correct)
        text = (
            inline(mcq.question)
            + Text(f"\nyou: {choice}; answer: {mcq.answer}) ", style="dim")
            + inline(right.text, style="dim")
            + Text(f"\n→ posenc notes {mcq.note}", style="cyan")
        )
        grid.add_row(f"Q{numbers[mcq.id]}", text)
    console.print(grid)
    return review_next_line([(f"Q{numbers[mcq.id]}", mcq.note) for mcq, _ in missed])


def ask(mcq: MultipleChoice, number: int, total: int, console: Console) -> None:
    console.print()
    console.print(Text(f"Question {number}/{total}. ", style="bold") + inline(mcq.question))
    grid = _grid()
    for letter, option in zip(LETTERS, mcq.options, strict=True):
        grid.add_row(f"[bold]{letter})[/]", inline(option.text))
    console.print(grid)


def explain(mcq: MultipleChoice, choice: str, console: Console) -> None:
    """The verdict, why the right option is right, and why each wrong option is wrong."""
    right = mcq.answer
    if choice == right:
        console.print(f"[bold green]Correct: {right}.[/]")
    else:
        console.print(f"[bold red]Not quite: you chose {choice}, the answer is {right}.[/]")
    grid = _grid()
    for letter, option in zip(LETTERS, mcq.options, strict=True):
        if option.correct:
            grid.add_row(f"[green]{letter}) right:[/]", inline(option.why))
        else:
            mark = ", yours" if letter == choice else ""
            grid.add_row(f"[red]{letter}) wrong{mark}:[/]", inline(option.why))
    console.print(grid)


def _grid() -> Table:
    """Two columns, label and text, so wrapped lines hang under the text."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column()
    return grid


def open_questions(quiz: Quiz, prompter: Prompter, console: Console) -> None:
    console.print(
        "\n[bold]Open questions.[/] Think (or write) your answer, then press Enter for the reference."
    )
    for number, q in enumerate(quiz.open_questions, 1):
        console.print()
        console.print(Text(f"Open question {number}. ", style="bold") + inline(q.question))
        prompter.line("Press Enter to see the reference answer (q to stop):")
        console.print(markdown_panel(q.reference_answer, "Reference answer", "green"))


def completion_check(quiz: Quiz, console: Console) -> None:
    console.print()
    items = "\n".join(f"- {item}" for item in quiz.completion_check)
    console.print(markdown_panel("You should now be able to:\n\n" + items, "Completion check", "cyan"))


def print_key(quiz: Quiz, console: Console) -> None:
    """The answer key as a list (a four-column table is unreadable at 80 columns)."""
    console.rule(f"[bold]{quiz.title}: answer key")
    for number, mcq in enumerate(quiz.mcq, 1):
        right = next(o for o in mcq.options if o.correct)
        console.print()
        console.print(Text(f"{number}. ", style="bold") + inline(mcq.question, style="bold"))
        grid = _grid()
        grid.add_row("[green]answer:[/]", Text(f"{mcq.answer}) ") + inline(right.text))
        grid.add_row("[green]why:[/]", inline(right.why))
        grid.add_row("[cyan]note:[/]", f"posenc notes {mcq.note}")
        console.print(grid)
    for number, q in enumerate(quiz.open_questions, 1):
        console.print()
        console.print(Text(f"Open question {number}. ", style="bold") + inline(q.question, style="bold"))
        console.print(markdown_panel(q.reference_answer, "Reference answer", "green"))
    console.print()
    items = "\n".join(f"- {c}" for c in quiz.completion_check)
    console.print(WrappingMarkdown(f"**Completion check**\n\n{items}"))
