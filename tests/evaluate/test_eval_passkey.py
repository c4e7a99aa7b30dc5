"""Passkey prompts place the key and the question where the design says; scoring with oracle models."""

import re

import pytest
import torch
from torch import nn

from posenc.evaluate.passkey import MIN_LENGTH, build_passkey_prompt, passkey_accuracy, passkey_trials

# 30 lines of 9 bytes: "line 000\n", "line 001\n", ... — newlines at offsets 8, 17, 26, ... (9k + 8)
FILLER_TEXT = "".join(f"line {i:03d}\n" for i in range(30))
FILLER = torch.tensor(list(FILLER_TEXT.encode()), dtype=torch.uint8)


def as_text(tokens: torch.Tensor) -> str:
    return bytes(tokens.tolist()).decode()


def test_prompt_hides_the_key_line_at_the_first_line_start_after_the_middle():
    length = 200
    trial = build_passkey_prompt(FILLER, length, "48213", depth=0.5)
    # filler budget = 200 - 5 (answer) - 16 ("PASSKEY = 48213\n") - 11 ("\nPASSKEY = ") = 168 bytes;
    # its middle is 84, the first newline at or after 84 is at 89 (9·9 + 8), so the key line starts at 90
    expected = FILLER_TEXT[:90] + "PASSKEY = 48213\n" + FILLER_TEXT[90:168] + "\nPASSKEY = "
    assert as_text(trial.prompt) == expected
    assert trial.key_line_start == 90
    assert len(trial.prompt) + 5 == length
    assert as_text(trial.answer) == "48213"
    assert trial.prompt.dtype == torch.long and trial.answer.dtype == torch.long


@pytest.mark.parametrize("length", [MIN_LENGTH, 33, 100, 271])
def test_prompt_plus_answer_is_exactly_the_length_and_ends_with_the_question(length):
    trial = build_passkey_prompt(FILLER, length, "10000")
    text = as_text(trial.prompt)
    assert len(trial.prompt) + len(trial.answer) == length
    assert text.endswith("\nPASSKEY = ")
    assert text.count("PASSKEY = 10000\n") == 1
    assert text.index("PASSKEY = 10000\n") == trial.key_line_start


def test_depth_zero_puts_the_key_first():
    assert as_text(build_passkey_prompt(FILLER, 100, "55555", depth=0.0).prompt).startswith(
        "line 000\nPASSKEY"
    )


@pytest.mark.parametrize(
    "length, key, match",
    [(MIN_LENGTH - 1, "12345", "at least"), (100, "1234", "digits"), (100, "12a45", "digits")],
)
def test_bad_prompt_arguments_raise(length, key, match):
    with pytest.raises(ValueError, match=match):
        build_passkey_prompt(FILLER, length, key)


def test_trials_are_deterministic_per_seed_and_keys_are_five_digits():
    a = passkey_trials(FILLER, 120, 12, seed=3)
    b = passkey_trials(FILLER, 120, 12, seed=3)
    c = passkey_trials(FILLER, 120, 12, seed=4)
    assert [t.key for t in a] == [t.key for t in b]
    assert all(torch.equal(x.prompt, y.prompt) for x, y in zip(a, b, strict=True))
    assert [t.key for t in a] != [t.key for t in c]
    assert all(re.fullmatch(r"[1-9]\d{4}", t.key) for t in a)
    assert all(len(t.prompt) == 115 for t in a)


def test_short_filler_is_repeated_to_fill_long_trials():
    trials = passkey_trials(FILLER, 4 * FILLER.numel(), 3, seed=0)
    assert all(len(t.prompt) == 4 * FILLER.numel() - 5 for t in trials)


class KeyOracle(nn.Module):
    """Reads the key from the prompt on the first (prefill) call, then emits it digit by digit.

    ``wrong_digit``: that digit position is emitted as (digit + 1) mod 10. The cache is a dict.
    """

    def __init__(self, wrong_digit: int | None = None):
        super().__init__()
        self.wrong_digit = wrong_digit
        self.anchor = nn.Parameter(torch.zeros(()))

    def new_cache(self, batch_size):
        return {"keys": None, "step": 0}

    def forward(self, idx, targets=None, cache=None):
        logits = torch.zeros(*idx.shape, 256)
        if cache["keys"] is None:
            cache["keys"] = [re.search(rb"PASSKEY = (\d{5})\n", bytes(row.tolist())).group(1) for row in idx]
        step = cache["step"]
        for i, key in enumerate(cache["keys"]):
            digit = key[step] - ord("0")
            if step == self.wrong_digit:
                digit = (digit + 1) % 10
            logits[i, -1, ord("0") + digit] = 10.0
        cache["step"] += 1
        return logits, None


def test_oracle_that_copies_the_key_scores_one():
    out = passkey_accuracy(KeyOracle(), 150, 7, seed=1, filler=FILLER, batch_size=3)
    assert out["accuracy"] == 1.0 and out["digit_accuracy"] == 1.0 and out["trials"] == 7


def test_one_wrong_digit_fails_the_trial_but_keeps_four_fifths_of_the_digits():
    out = passkey_accuracy(KeyOracle(wrong_digit=2), 150, 5, seed=1, filler=FILLER)
    assert out["accuracy"] == 0.0
    assert out["digit_accuracy"] == pytest.approx(0.8)
