"""`posenc quiz`: the module quiz in the terminal — five multiple-choice questions, scored and
explained, then the two open questions with reference answers, then the completion check.

Answers (a, b, c or d, one per line) are read from standard input, so a pipe works:
``printf 'b\\nc\\nd\\nb\\na\\n' | posenc quiz``. End of input stops with the partial score.
Content: ``posenc/learn/data/quiz.yaml``.
"""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.markdown import Markdown
from rich.table import Table

from posenc.learn.content import LETTERS, MultipleChoice, Quiz, load_quiz
from posenc.learn.terminal import EndOfInput, Prompter, make_console, markdown_panel


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
        return 0
    prompter = Prompter(console)
    console.rule(f"[bold]{quiz.title}")
    console.print(quiz.intro)
    score, asked = 0, 0
    try:
        for number, mcq in enumerate(quiz.mcq, 1):
            ask(mcq, number, len(quiz.mcq), console)
            choice = prompter.choice("Your answer (a/b/c/d):", LETTERS)
            asked += 1
            score += choice == mcq.answer
            explain(mcq, choice, console)
    except EndOfInput:
        console.print(f"\nInput ended after {asked} of {len(quiz.mcq)} questions.")
        console.print(f"[bold]Score: {score}/{asked}[/]" if asked else "No questions answered.")
        return 0
    console.rule()
    console.print(f"[bold]Score: {score}/{len(quiz.mcq)}[/]")
    if args.no_open:
        return 0
    try:
        open_questions(quiz, prompter, console)
    except EndOfInput:
        return 0
    completion_check(quiz, console)
    return 0


def ask(mcq: MultipleChoice, number: int, total: int, console: Console) -> None:
    console.print()
    console.print(f"[bold]Question {number}/{total}.[/] {mcq.question}")
    grid = _grid()
    for letter, option in zip(LETTERS, mcq.options, strict=True):
        grid.add_row(f"[bold]{letter})[/]", option.text)
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
            grid.add_row(f"[green]{letter}) right:[/]", option.why)
        else:
            mark = ", yours" if letter == choice else ""
            grid.add_row(f"[red]{letter}) wrong{mark}:[/]", option.why)
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
        console.print(f"[bold]Open question {number}.[/] {q.question}")
        prompter.line("Press Enter to see the reference answer (q to stop):")
        console.print(markdown_panel(q.reference_answer, "Reference answer", "green"))


def completion_check(quiz: Quiz, console: Console) -> None:
    console.print()
    items = "\n".join(f"- [ ] {item}" for item in quiz.completion_check)
    console.print(markdown_panel("You should now be able to:\n\n" + items, "Completion check", "cyan"))


def print_key(quiz: Quiz, console: Console) -> None:
    table = Table(title=f"{quiz.title}: answer key", show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("question")
    table.add_column("answer")
    table.add_column("why")
    for number, mcq in enumerate(quiz.mcq, 1):
        right = next(o for o in mcq.options if o.correct)
        table.add_row(str(number), mcq.question, f"{mcq.answer}) {right.text}", right.why)
    console.print(table)
    for number, q in enumerate(quiz.open_questions, 1):
        console.print(markdown_panel(q.reference_answer, f"Open question {number}: {q.question}", "green"))
    console.print(Markdown("**Completion check**\n\n" + "\n".join(f"- {c}" for c in quiz.completion_check)))
