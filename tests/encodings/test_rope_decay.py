"""RoPE's long-term decay (RoFormer §3.4.3) and the ramp crossings, against independent computations.

References: the paper's definitions evaluated pair by pair in plain Python (``cmath``), values worked out
by hand for tiny heads, a Monte Carlo estimate that rotates random vectors with ``rope.apply``, and the
library's own YaRN frequencies for the crossings.
"""

from __future__ import annotations

import cmath
import math

import pytest
import torch

from posenc.encodings import rope
from posenc.encodings.rope_decay import crossing_pair, mean_qk_product, relative_upper_bound


def _theta(head_dim: int, base: float, scaling: dict | None = None, original: int = 2048):
    """θ and the attention factor from the library for a small config."""
    return rope.frequencies(
        {
            "head_dim": head_dim,
            "rope_theta": base,
            "max_position_embeddings": 4 * original,
            "rope_scaling": scaling,
        }
    )


YARN = {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 2048}


def _paper_bound(theta: list[float], distance: int) -> float:
    """(1/(d/2)) Σ_{j=1}^{d/2} |S_j| with S_j = Σ_{k<j} e^{i·distance·θ_k}, one pair at a time."""
    total, partial = 0.0, 0j
    for t in theta:
        partial += cmath.exp(1j * distance * t)  # S_{j} after adding pair j − 1
        total += abs(partial)
    return total / len(theta)


@pytest.mark.parametrize(
    "head_dim, base, scaling",
    [(8, 10000.0, None), (64, 10000.0, None), (128, 500000.0, None), (64, 10000.0, YARN)],
)
def test_bound_equals_the_papers_definition_pair_by_pair(head_dim, base, scaling):
    inv_freq, attention = _theta(head_dim, base, scaling)
    distances = [0, 1, 2, 7, 50, 250, 2048, 100_000]
    got = relative_upper_bound(inv_freq, torch.tensor(distances), attention)
    theta = [float(t) for t in inv_freq]
    expected = [attention**2 * _paper_bound(theta, r) for r in distances]
    assert got.tolist() == pytest.approx(expected, rel=1e-10, abs=1e-10)


def test_mean_product_equals_the_closed_form_pair_by_pair():
    inv_freq, attention = _theta(64, 10000.0, YARN)
    distances = [0, 3, 100, 5000]
    got = mean_qk_product(inv_freq, torch.tensor(distances), attention)
    expected = [attention**2 * sum(2 * math.cos(r * float(t)) for t in inv_freq) for r in distances]
    assert got.tolist() == pytest.approx(expected, rel=1e-10, abs=1e-9)


@pytest.mark.parametrize("head_dim", [2, 4, 16, 64, 128])
@pytest.mark.parametrize("a", [1.0, 1.25])
def test_distance_zero_known_values(head_dim, a):
    """At distance 0, S_j = j: the bound is a²·mean(1 … d/2) = a²·(d/2 + 1)/2; E|q|² = d, times a²."""
    inv_freq, _ = _theta(head_dim, 10000.0)
    zero = torch.tensor([0])
    assert relative_upper_bound(inv_freq, zero, a).item() == pytest.approx(a**2 * (head_dim / 2 + 1) / 2)
    assert mean_qk_product(inv_freq, zero, a).item() == pytest.approx(head_dim * a**2)


def test_tiny_heads_by_hand():
    # d = 2, θ_0 = 1: S_1 = e^{ir} has modulus 1 at every distance; the mean is 2·cos(r)
    one_pair, _ = _theta(2, 10000.0)
    distances = torch.tensor([0, 1, 3, 10])
    assert relative_upper_bound(one_pair, distances).tolist() == pytest.approx([1.0] * 4)
    assert mean_qk_product(one_pair, distances).tolist() == pytest.approx(
        [2.0, 2 * math.cos(1), 2 * math.cos(3), 2 * math.cos(10)]
    )
    # d = 4, base 100: θ = [1, 0.1]. At r = 10: |S_1| = 1, |S_2| = |e^{10i} + e^{i}| = 2·|cos(4.5)| = 0.42159…
    two_pairs, _ = _theta(4, 100.0)
    at_ten = torch.tensor([10])
    assert relative_upper_bound(two_pairs, at_ten).item() == pytest.approx((1 + 0.4215916) / 2, abs=1e-6)
    # 2·cos(10) + 2·cos(1) = −1.678143 + 1.080605
    assert mean_qk_product(two_pairs, at_ten).item() == pytest.approx(-0.5975384, abs=1e-6)


@pytest.mark.parametrize("scaling", [None, YARN], ids=["plain", "yarn"])
def test_mean_product_matches_monte_carlo_with_the_librarys_rotation(scaling):
    head_dim, samples = 16, 20_000
    inv_freq, a = _theta(head_dim, 10000.0, scaling)
    generator = torch.Generator().manual_seed(0)
    q = torch.randn(samples, 1, 1, head_dim, generator=generator, dtype=torch.float64)  # [b, n_h, s=1, h_d]
    for m, n in [(0, 0), (3, 4), (10, 15), (7, 47), (100, 400), (0, 3000)]:
        cos, sin = rope.cos_sin(torch.tensor([m, n]), inv_freq, a)  # [2, d/2] each
        rotated = rope.apply(q.expand(-1, -1, 2, -1), cos, sin)  # [b, 1, 2, h_d]: R_m q, R_n q
        scores = (rotated[:, 0, 0] * rotated[:, 0, 1]).sum(-1)  # [b]: ⟨R_m q, R_n q⟩
        expected = mean_qk_product(inv_freq, torch.tensor([n - m]), a).item()
        # each pair's q_{2i}² + q_{2i+1}² is χ²₂ (variance 4): the standard error of the mean
        r = n - m
        std_error = math.sqrt(a**4 * sum(4 * math.cos(r * float(t)) ** 2 for t in inv_freq) / samples)
        assert scores.mean().item() == pytest.approx(expected, abs=5 * std_error + 1e-9), (m, n)


def test_the_bound_holds_for_random_queries_and_keys():
    """|⟨R_m q, R_n k⟩| ≤ (max_i |h_{i+1} − h_i|) · Σ_j |S_j| with h_i = q_i·conj(k_i), h_{d/2} = 0."""
    head_dim, half = 32, 16
    inv_freq, _ = _theta(head_dim, 10000.0)
    generator = torch.Generator().manual_seed(1)
    for _ in range(20):
        q, k = torch.randn(2, head_dim, generator=generator, dtype=torch.float64)
        # pair i of the "half" layout is features (i, i + d/2): the complex number x_i + i·x_{i+d/2}
        qc, kc = torch.complex(q[:half], q[half:]), torch.complex(k[:half], k[half:])
        h = torch.cat([qc * kc.conj(), torch.zeros(1, dtype=torch.complex128)])  # [d/2 + 1]
        for m, n in [(0, 5), (20, 3), (0, 200), (1000, 4000)]:
            cos, sin = rope.cos_sin(torch.tensor([m, n]), inv_freq)
            rotated = rope.apply(torch.stack([q, k]).view(1, 1, 2, head_dim), cos, sin)[0, 0]  # [2, h_d]
            score = float(rotated[0] @ rotated[1])
            phase = torch.polar(torch.ones(half, dtype=torch.float64), (m - n) * inv_freq.double())
            paper = float((h[:half] * phase).sum().real)  # the paper's form of the score
            assert score == pytest.approx(paper, abs=1e-3)  # cos/sin are float32: angles to ~2e-4 rad
            total = half * relative_upper_bound(inv_freq, torch.tensor([n - m])).item()  # Σ_j |S_j|
            assert abs(score) <= float((h[1:] - h[:-1]).abs().max()) * total + 1e-6


def test_the_bound_decays_with_distance_for_the_papers_setting():
    """RoFormer's Figure 2 (θ_i = 10000^(−2i/d)): the curve falls as the distance grows (on average;
    it oscillates)."""
    inv_freq, _ = _theta(128, 10000.0)
    curve = relative_upper_bound(inv_freq, torch.arange(0, 1001))
    windows = [curve[start : start + 50].mean().item() for start in (0, 50, 200, 500, 950)]
    assert windows == sorted(windows, reverse=True)
    assert curve[0].item() == pytest.approx(32.5)


@pytest.mark.parametrize(
    "head_dim, base, length", [(64, 10000.0, 2048), (128, 500000.0, 8192), (96, 1e6, 4096)]
)
@pytest.mark.parametrize("turns", [1.0, 4.0, 32.0])
def test_crossing_pair_turns_exactly_that_often(head_dim, base, length, turns):
    i = crossing_pair(turns, length, base, head_dim)
    theta = base ** (-2 * i / head_dim)  # plain RoPE's θ at the fractional pair index
    assert length * theta / (2 * math.pi) == pytest.approx(turns, rel=1e-12)


@pytest.mark.parametrize(
    "head_dim, base, factor", [(64, 10000.0, 4.0), (128, 500000.0, 8.0), (64, 1e6, 16.0)]
)
def test_yarn_ramp_runs_between_the_crossings(head_dim, base, factor):
    """The library's YaRN leaves the pairs up to floor(dim(β_fast)) alone and divides those from
    ceil(dim(β_slow)) on by s."""
    scaling = dict(YARN, factor=factor)
    scaled, _ = _theta(head_dim, base, scaling)
    plain, _ = _theta(head_dim, base)
    ratio = (plain.double() / scaled.double()).tolist()
    low = math.floor(crossing_pair(32, 2048, base, head_dim))
    high = math.ceil(crossing_pair(1, 2048, base, head_dim))
    assert ratio[: low + 1] == pytest.approx([1.0] * (low + 1), rel=1e-6)
    assert ratio[high:] == pytest.approx([factor] * (head_dim // 2 - high), rel=1e-6)
    assert all(1.0 + 1e-6 < r < factor - 1e-6 for r in ratio[low + 1 : high])


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: relative_upper_bound(torch.ones(2, 3), torch.tensor([1])), "inv_freq"),
        (lambda: relative_upper_bound(torch.tensor([], dtype=torch.float32), torch.tensor([1])), "inv_freq"),
        (lambda: mean_qk_product(torch.ones(3), torch.tensor([1.5])), "distances must be integers"),
        (lambda: mean_qk_product(torch.ones(3), torch.tensor([[1]])), "distances"),
        (lambda: crossing_pair(0, 2048, 10000, 64), "turns > 0"),
        (lambda: crossing_pair(1, 2048, 1.0, 64), "base > 1"),
    ],
)
def test_bad_arguments_are_refused_by_name(call, words):
    with pytest.raises(ValueError, match=words.replace("(", r"\(")):
        call()
