"""Perplexity against closed forms: dummy models whose loss at every position is known by hand."""

import math

import pytest
import torch
from torch import nn

from posenc.evaluate.perplexity import perplexity, window_batch_size

VOCAB = 256


class UniformLogits(nn.Module):
    """Every logit 0: p(byte) = 1/256 everywhere, so the loss is ln 256 and the perplexity 256."""

    def __init__(self):
        super().__init__()
        self.anchor = nn.Parameter(torch.zeros(()))  # gives the evaluator a device

    def forward(self, idx, targets=None, cache=None):
        return torch.zeros(*idx.shape, VOCAB), None


class PositionalLoss(nn.Module):
    """Logits at position t: a·t on byte 0, 0 on the 255 others. With every target byte 1 the loss
    at t is  l_t = log(exp(a·t) + 255) - 0  — it grows with t, so each position has its own value."""

    def __init__(self, a: float):
        super().__init__()
        self.a = a
        self.anchor = nn.Parameter(torch.zeros(()))

    def forward(self, idx, targets=None, cache=None):
        b, s = idx.shape
        logits = torch.zeros(b, s, VOCAB)
        logits[:, :, 0] = self.a * torch.arange(s, dtype=torch.float32)
        return logits, None


def hand_loss(a: float, t: int) -> float:
    return math.log(math.exp(a * t) + 255.0)


@pytest.mark.parametrize("n_windows, length, batch_size", [(1, 1, 1), (5, 64, 2), (8, 128, 16), (7, 33, 3)])
def test_uniform_logits_give_perplexity_256_and_count_every_position(n_windows, length, batch_size):
    windows = torch.randint(0, VOCAB, (n_windows, length + 1), generator=torch.Generator().manual_seed(0))
    out = perplexity(UniformLogits(), windows, batch_size=batch_size, last=length)
    assert out["tokens"] == n_windows * length
    assert out["windows"] == n_windows and out["length"] == length
    assert out["loss"] == pytest.approx(math.log(256), rel=1e-6)
    assert out["ppl"] == pytest.approx(256.0, rel=1e-6)
    assert out["last_ppl"] == pytest.approx(256.0, rel=1e-6)
    assert out["last_tokens"] == n_windows * length


def test_last_positions_loss_averages_exactly_the_last_positions():
    a, n, length, last = 0.05, 3, 48, 16
    windows = torch.ones(n, length + 1, dtype=torch.long)  # every target is byte 1
    out = perplexity(PositionalLoss(a), windows, batch_size=2, last=last)
    expected_last = sum(hand_loss(a, t) for t in range(length - last, length)) / last
    expected_first = sum(hand_loss(a, t) for t in range(last)) / last
    expected_all = sum(hand_loss(a, t) for t in range(length)) / length
    assert out["last_loss"] == pytest.approx(expected_last, rel=1e-6)
    assert out["last_loss"] != pytest.approx(expected_first, rel=1e-3)  # the test can tell the two apart
    assert out["loss"] == pytest.approx(expected_all, rel=1e-6)
    assert out["last_ppl"] == pytest.approx(math.exp(expected_last), rel=1e-6)
    assert out["last_tokens"] == n * last
    segments = [sum(hand_loss(a, t) for t in range(k * last, (k + 1) * last)) / last for k in range(3)]
    assert out["segment_loss"] == pytest.approx(segments, rel=1e-6)


def test_last_segment_is_shorter_when_length_is_not_a_multiple():
    a, length, last = 0.1, 10, 4  # segments [0, 4), [4, 8), [8, 10)
    out = perplexity(PositionalLoss(a), torch.ones(2, length + 1, dtype=torch.long), last=last)
    assert out["segment_loss"][-1] == pytest.approx((hand_loss(a, 8) + hand_loss(a, 9)) / 2, rel=1e-6)


@pytest.mark.parametrize("budget", [1, 10**5, 10**9])
def test_result_does_not_depend_on_the_memory_budget(budget):
    windows = torch.ones(6, 21, dtype=torch.long)
    a = perplexity(PositionalLoss(0.2), windows, batch_size=6, last=5, memory_budget=budget)
    b = perplexity(PositionalLoss(0.2), windows, batch_size=1, last=5)
    assert a["loss"] == pytest.approx(b["loss"], rel=1e-12)
    assert a["last_loss"] == pytest.approx(b["last_loss"], rel=1e-12)


def test_batch_shrinks_with_length_under_a_memory_budget():
    model = UniformLogits()
    assert window_batch_size(model, 128, 16, 2**30) == 16
    assert window_batch_size(model, 4096, 16, 2**26) < window_batch_size(model, 1024, 16, 2**26)
    assert window_batch_size(model, 10**5, 16, 2**20) == 1  # never 0


@pytest.mark.parametrize(
    "windows, last, match",
    [
        (torch.ones(2, 1, dtype=torch.long), None, "windows"),
        (torch.ones(2, 9, dtype=torch.long), 9, "last"),
        (torch.ones(0, 9, dtype=torch.long), None, "empty"),
    ],
)
def test_bad_arguments_raise_naming_them(windows, last, match):
    with pytest.raises(ValueError, match=match):
        perplexity(UniformLogits(), windows, last=last)


def test_model_training_mode_is_restored():
    model = UniformLogits().train()
    perplexity(model, torch.ones(1, 5, dtype=torch.long))
    assert model.training
