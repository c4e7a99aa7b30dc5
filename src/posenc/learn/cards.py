"""`posenc cards`: flip through flashcards — Enter shows the back, Enter again the next card.

Decks (``--deck``):
    flashcards    the ten flashcards (default)                    data/cards.yaml
    self-check    the five self-check questions, answers hidden   data/practice.yaml
    walkthrough   the 2D rotation walk-through, q = (1, 0), θ_m = m·π/4, parts one and two
``--shuffle`` (with ``--seed``) shuffles the flashcards and self-check decks; the walk-through
keeps its order because each step builds on the last. Type q (or end the input) to stop.
"""

from __future__ import annotations

import argparse
import random

from posenc.learn.content import Card, Practice, load_cards, load_practice
from posenc.learn.terminal import EndOfInput, Prompter, make_console, markdown_panel

DECKS = ("flashcards", "self-check", "walkthrough")


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
    if args.shuffle:
        if args.deck == "walkthrough":
            console.print("(The walk-through keeps its order: each step builds on the last.)")
        else:
            random.Random(args.seed).shuffle(cards)
    prompter = Prompter(console)
    console.rule(f"[bold]{args.deck}")
    console.print(intro)
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
    console.rule()
    console.print(f"Went through {seen} of {len(cards)} cards.")
    return 0
