"""The 2D rotation walk-through's answers equal their closed forms (math.cos / math.sin).

Position m rotates q = (q_x, q_y) by θ_m = m·step: (q_x cos θ − q_y sin θ, q_x sin θ + q_y cos θ).
Unit vectors rotated to positions m and n have dot product cos((n − m)·step).
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from posenc.learn.cards import number, walkthrough_deck
from posenc.learn.content import load_practice

W = load_practice().walkthrough
STEP = math.pi / 4


def rotate(q: tuple[float, float], angle: float) -> tuple[float, float]:
    c, s = math.cos(angle), math.sin(angle)
    return q[0] * c - q[1] * s, q[0] * s + q[1] * c


def angle_text_to_fraction_of_pi(text: str) -> Fraction:
    """'0' -> 0, 'π/4' -> 1/4, '3π/4' -> 3/4, 'π' -> 1, '3π/2' -> 3/2."""
    if text == "0":
        return Fraction(0)
    head, _, denominator = text.partition("/")
    numerator = head.replace("π", "") or "1"
    return Fraction(int(numerator), int(denominator or 1))


def test_walkthrough_is_q_1_0_with_step_pi_over_4():
    assert W.q == (1.0, 0.0)
    assert W.step_over_pi * math.pi == pytest.approx(STEP)


@pytest.mark.parametrize("step", W.part_one, ids=lambda s: f"m{s.position}")
def test_part_one_rotation_equals_closed_form(step):
    tolerance = 0.5 * 10 ** (-W.decimals) + 1e-12
    expected = rotate(W.q, step.position * STEP)
    assert step.answer == pytest.approx(expected, abs=tolerance)
    assert math.hypot(*step.answer) == pytest.approx(1.0, abs=2 * tolerance)  # rotation keeps the length
    assert angle_text_to_fraction_of_pi(step.angle) == Fraction(step.position, 4)


def test_part_one_brief_values():
    answers = {s.position: s.answer for s in W.part_one}
    assert answers[1] == (0.707, 0.707)
    assert answers[2] == (0.0, 1.0)
    assert answers[4] == (-1.0, 0.0)


@pytest.mark.parametrize("pair", W.part_two, ids=lambda p: f"{p.m}-{p.n}")
def test_part_two_dot_product_equals_closed_form(pair):
    a, b = rotate(W.q, pair.m * STEP), rotate(W.q, pair.n * STEP)
    direct = a[0] * b[0] + a[1] * b[1]
    assert direct == pytest.approx(math.cos((pair.n - pair.m) * STEP), abs=1e-12)
    assert pair.dot == pytest.approx(direct, abs=0.5 * 10 ** (-W.decimals) + 1e-12)


def test_part_two_brief_pairs():
    dots = {(p.m, p.n): p.dot for p in W.part_two}
    for pair in [(1, 2), (3, 4), (10, 11)]:
        assert dots[pair] == pytest.approx(math.cos(math.pi / 4), abs=5e-4)
    assert dots[(1, 5)] == -1.0


def test_walkthrough_cards_hide_answers_on_the_front():
    _, cards = walkthrough_deck(load_practice())
    assert len(cards) == len(W.part_one) + len(W.part_two)
    step1 = next(c for c in cards if "position m = 1," in c.front)
    assert "0.707" not in step1.front and step1.back.startswith("(0.707, 0.707)")
    assert number(-0.707, 3) == "−0.707" and number(-0.0, 3) == "0" and number(1.0, 3) == "1"
