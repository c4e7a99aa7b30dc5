"""Passkey prompts place the key and the question where the design says; scoring with oracle models."""

import re

import pytest
import torch
from torch import nn

from posenc.data.passkey import MIN_LENGTH, build_passkey_prompt, passkey_trials
from posenc.evaluate.passkey import passkey_accuracy

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


def test_a_training_batch_is_made_of_trials_in_the_evaluation_format_and_place():
    from posenc.data.passkey import ANSWER, passkey_batch

    tokens = torch.tensor(list(("".join(f"x = {i}\n" for i in range(400))).encode()), dtype=torch.uint8)
    x, y = passkey_batch(tokens, step=3, batch_size=6, seq_len=64, seed=1)
    assert x.shape == y.shape == (6, 64) and x.dtype == y.dtype == torch.long
    assert torch.equal(x[:, 1:], y[:, :-1])  # y is x shifted by one
    for row_x, row_y in zip(x, y, strict=True):
        text = as_text(torch.cat([row_x, row_y[-1:]]))  # the trial of 64 bytes and a newline
        found = re.fullmatch(r"(?s)(.*)PASSKEY = (\d{5})\n(.*)\nPASSKEY = (\d{5})\n", text)
        assert found and found.group(2) == found.group(4)  # the answer is the hidden key
        assert as_text(row_y[ANSWER]) == found.group(2)  # the key's digits among the targets
        # where the evaluation at 1x L asks: the prompt is the first 64 - 5 = 59 bytes, the question
        # its last 11, the digits at positions 59..63 (an absolute encoding learns these places)
        assert as_text(row_x[48:59]) == "\nPASSKEY = " and as_text(row_x[59:64]) == found.group(2)
    again = passkey_batch(tokens, step=3, batch_size=6, seq_len=64, seed=1)
    assert torch.equal(again[0], x)  # a pure function of (seed, step)
    other = passkey_batch(tokens, step=4, batch_size=6, seq_len=64, seed=1)
    assert not torch.equal(other[0], x)
    # rank r of a world of 2 takes rows [3r, 3r + 3) of the global batch of 6
    x1, _ = passkey_batch(tokens, step=3, batch_size=3, seq_len=64, seed=1, rank=1, world_size=2)
    assert torch.equal(x1, x[3:])


def test_a_training_batch_refuses_rows_too_short_for_a_trial():
    from posenc.data.passkey import passkey_batch

    with pytest.raises(ValueError, match="seq_len >= 32"):
        passkey_batch(FILLER, step=0, batch_size=2, seq_len=MIN_LENGTH - 1, seed=0)
    x, _ = passkey_batch(FILLER, step=0, batch_size=2, seq_len=MIN_LENGTH, seed=0)  # a trial, no filler
    assert as_text(x[0, :11]) == "PASSKEY = " + as_text(x[0, 10:11])


def test_the_passkey_loss_adds_the_answer_digits_mean_to_the_mean_of_every_position():
    from posenc.train.loop import passkey_loss

    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 12, 256, generator=gen)
    targets = torch.randint(0, 256, (3, 12), generator=gen)
    every = torch.nn.functional.cross_entropy(logits.reshape(-1, 256), targets.reshape(-1))
    # the answer digits are targets -6..-2 (the last target is the newline after them)
    answer = torch.nn.functional.cross_entropy(
        logits[:, -6:-1].reshape(-1, 256), targets[:, -6:-1].reshape(-1)
    )
    assert passkey_loss(logits, targets).item() == pytest.approx((every + answer).item(), rel=1e-6)
    assert passkey_loss(logits, targets, answer_weight=0.0).item() == pytest.approx(every.item(), rel=1e-6)
