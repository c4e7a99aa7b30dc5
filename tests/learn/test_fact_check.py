"""The corrections of issue 40's independent fact-check, each held to a source that is not our prose.

Where a number can be computed, the test computes it from an independent source (torch's own bf16
cast, a closed form, transformers' code) and checks the text states that number. Where the source is
a document (a paper, MiniMind's repository), the test checks the wording the correction settled on,
and the wrong wording is checked absent.
"""

from __future__ import annotations

import re

import torch

from posenc.learn import content


def note(topic: str) -> str:
    """The note's source with numbers filled in, whitespace collapsed (sentences span lines)."""
    return " ".join(content.find_topic(topic).markdown().split())


def grill(question_id: str) -> str:
    return " ".join(next(q for q in content.load_grill().questions if q.id == question_id).answer.split())


# --------------------------------------------------------------------------------------------------
# 1. bf16 positions collide from 257, not from 2048
# --------------------------------------------------------------------------------------------------


def bf16_integers(stop: int) -> list[int]:
    """Integers 0 … stop − 1 as torch's bf16 cast rounds them (round to nearest, ties to even)."""
    return torch.arange(stop).to(torch.bfloat16).to(torch.int64).tolist()


def first_bf16_collision() -> int:
    """The smallest integer whose bf16 value equals that of a smaller integer (rounding is monotone,
    so a collision with any smaller integer is one with its predecessor)."""
    values = bf16_integers(1 << 12)
    return next(n for n in range(1, len(values)) if values[n] == values[n - 1])


def bf16_spacing(lo: int, hi: int) -> int:
    """The gap between the distinct bf16 values of the integers in [lo, hi)."""
    distinct = sorted(set(bf16_integers(hi)[lo:]))
    gaps = {b - a for a, b in zip(distinct, distinct[1:], strict=False)}
    assert len(gaps) == 1, gaps
    return gaps.pop()


def test_bf16_collision_threshold_is_torchs():
    assert bf16_integers(262)[250:] == [250, 251, 252, 253, 254, 255, 256, 256, 258, 260, 260, 260]
    first = first_bf16_collision()
    text = note("code")
    stated = re.search(r"positions collide from (\d+) on \((\d+) rounds to (\d+);", text)
    assert stated, "note 11 must state where bf16 positions start to collide"
    assert int(stated.group(1)) == int(stated.group(2)) == first
    assert int(stated.group(3)) == bf16_integers(first + 1)[first]
    spacing = re.search(r"above (\d+) only every second integer survives, above (\d+) every fourth", text)
    assert spacing
    two, four = int(spacing.group(1)), int(spacing.group(2))
    assert bf16_spacing(two, 2 * two) == 2 and bf16_spacing(four, 2 * four) == 4
    assert "above 2048 it cannot tell neighbouring positions apart" not in text


def test_other_bf16_statements_agree_with_torch():
    """Note 04 and grill I2 say integers are exact up to 256: the last integer before the first collision."""
    exact_up_to = first_bf16_collision() - 1
    assert f"cannot even represent every integer position above {exact_up_to}" in note("frequencies")
    assert f"integers are exact only up to {exact_up_to}" in grill("I2")
