"""`posenc cards`: flip through flashcards — Enter shows the back, then "again" or "got it".

Decks (``--deck``):
    flashcards    the ten flashcards (default)                    data/cards.yaml
    self-check    the five self-check questions, answers hidden   data/practice.yaml
    walkthrough   the 2D rotation walk-through, q = (1, 0), θ_m = m·π/4, parts one and two

In the flashcards and self-check decks each card is graded after its back is shown: ``g`` (or
Enter) "got it" puts it away for this session, ``a`` "again" brings it back :data:`AGAIN_LATER`
cards later — the session ends when every card is got. The cards marked again are kept (``posenc
progress``) and come first next time, as in the web lab's practice page. ``--shuffle`` (with
``--seed``) shuffles those two decks; the walk-through keeps its order because each step builds on
the last, and is not graded. Type q (or end the input) to stop.
"""

from __future__ import annotations

import argparse
import random

from rich.console import Console

from posenc.learn import progress
from posenc.learn.content import Card, Practice, load_cards, load_practice
from posenc.learn.terminal import (
    EndOfInput,
    Prompter,
    make_console,
    markdown_panel,
    next_line,
    path_next_line,
    print_next,
)

DECKS = ("flashcards", "self-check", "walkthrough")
GRADED = ("flashcards", "self-check")  # the walk-through is a sequence of steps, not cards to recall
#: "again" puts a card back this many cards later in the session (the web lab's practice page too)
AGAIN_LATER = 3
GRADES = {"a": "again", "again": "again", "g": "got", "got": "got", "got it": "got"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--deck", choices=DECKS, default="flashcards", help="which deck (default: flashcards)"
    )
    parser.add_argument("--shuffle", action="store_true", help="shuffle the cards")
    parser.add_argument("--seed", type=int, help="seed for --shuffle")


def number(x: float, decimals: int) -> str:
    """0.707, 0, −1: rounded, trailing zeros dropped, a real minus sign."""
    text = f"{x:.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text.replace("-", "−")


def walkthrough_deck(practice: Practice) -> tuple[str, list[Card]]:
    """The walk-through as (intro, cards); each part's last card carries that part's takeaway."""
    w = practice.walkthrough
    q = f"({number(w.q[0], w.decimals)}, {number(w.q[1], w.decimals)})"
    cards = []
    for step in w.part_one:
        x, y = (number(v, w.decimals) for v in step.answer)
        where = f"q = {q}, position m = {step.position}, θ = {step.angle}"
        cards.append(Card(f"**Part one.** {w.part_one_prompt}\n\n{where}", f"({x}, {y})"))
    cards[-1] = Card(cards[-1].front, f"{cards[-1].back}\n\n*Takeaway:* {w.part_one_takeaway}")
    for pair in w.part_two:
        cards.append(
            Card(
                f"**Part two.** {w.part_two_prompt}\n\npositions m = {pair.m}, n = {pair.n}",
                f"{number(pair.dot, w.decimals)} — {pair.why}",
            )
        )
    cards[-1] = Card(cards[-1].front, f"{cards[-1].back}\n\n*Takeaway:* {w.part_two_takeaway}")
    return w.intro, cards


def deck(name: str) -> tuple[str, list[Card]]:
    """(intro, cards) for the deck ``name``; ``ValueError`` naming ``--deck`` for an unknown one."""
    if name == "flashcards":
        return "Ten flashcards. Recall the back before you flip.", list(load_cards())
    if name == "self-check":
        return "Five self-check questions. Answer, then flip.", list(load_practice().self_check)
    if name == "walkthrough":
        return walkthrough_deck(load_practice())
    raise ValueError(f"--deck must be one of {', '.join(DECKS)}, got {name!r}")


def run(args: argparse.Namespace) -> int:
    intro, cards = deck(args.deck)
    console = make_console()
    order = list(range(1, len(cards) + 1))  # card numbers, 1-based, in the deck's own order
    if args.shuffle:
        if args.deck == "walkthrough":
            console.print("(The walk-through keeps its order: each step builds on the last.)")
        else:
            random.Random(args.seed).shuffle(order)
    prompter = Prompter(console)
    console.rule(f"[bold]{args.deck}")
    console.print(intro)
    if args.deck not in GRADED:
        seen = flip_through(cards, prompter, console)
        console.rule()
        console.print(f"Went through {seen} of {len(cards)} cards.")
        print_next(console, path_next_line("practice") if seen == len(cards) else _again_line(args))
        return 0
    before = [n for n in progress.missed_cards(args.deck) if 1 <= n <= len(cards)]
    if before:
        order = [n for n in order if n in before] + [n for n in order if n not in before]
        verb = "comes" if len(before) == 1 else "come"
        console.print(f"{_cards(len(before))} you marked again last time {verb} first.")
    done, again, missed = session(cards, order, set(before), prompter, console)
    progress.record_cards(args.deck, sorted(missed))
    console.rule()
    console.print(f"Went through {len(done)} of {len(cards)} cards.")
    if again:
        listed = ", ".join(str(n) for n in sorted(again))
        console.print(f"You marked {_cards(len(again))} again ({listed}): they come first next time.")
    elif len(done) == len(cards):
        console.print("None needed a second go.")
    print_next(console, path_next_line("practice") if len(done) == len(cards) else _again_line(args))
    return 0


def _cards(n: int) -> str:
    return f"{n} card{'' if n == 1 else 's'}"


def _again_line(args: argparse.Namespace) -> str:
    return next_line(f"posenc cards --deck {args.deck}", "finish the deck")


def flip_through(cards: list[Card], prompter: Prompter, console: Console) -> int:
    """Front, Enter, back, Enter, in order; returns how many backs were seen."""
    seen = 0
    try:
        for n, card in enumerate(cards, 1):
            console.print()
            console.print(markdown_panel(card.front, f"Card {n}/{len(cards)}", "cyan"))
            prompter.line("Enter to flip (q to stop):")
            console.print(markdown_panel(card.back, "Back", "green"))
            seen += 1
            if n < len(cards):
                prompter.line("Enter for the next card (q to stop):")
    except EndOfInput:
        pass
    return seen


def session(
    cards: list[Card], order: list[int], missed: set[int], prompter: Prompter, console: Console
) -> tuple[list[int], set[int], set[int]]:
    """Show the cards in ``order`` (numbers, 1-based) until each is got; "again" re-queues a card
    :data:`AGAIN_LATER` cards later. ``missed``: the cards marked again before this session.

    Returns (cards got, cards marked again this session, cards still to redo): a card leaves the
    redo list when it is got without an "again" this session; unseen cards keep their mark."""
    queue, done, again, missed = list(order), [], set(), set(missed)
    try:
        while queue:
            number = queue[0]
            console.print()
            title = f"Card {number} of {len(cards)} · {len(done)} got, {len(queue)} to go"
            console.print(markdown_panel(cards[number - 1].front, title, "cyan"))
            prompter.line("Enter to flip (q to stop):")
            console.print(markdown_panel(cards[number - 1].back, "Back", "green"))
            grade = prompter.pick("Again, or got it? [a/g, Enter: got it]:", GRADES, default="got")
            queue.pop(0)
            if grade == "again":
                again.add(number)
                missed.add(number)
                queue.insert(min(AGAIN_LATER, len(queue)), number)
                later = f"{AGAIN_LATER} cards later" if len(queue) > AGAIN_LATER else "at the end"
                console.print(f"Card {number} comes back {later}.")
            else:
                done.append(number)
                if number not in again:
                    missed.discard(number)
    except EndOfInput:
        pass
    return done, again, missed
