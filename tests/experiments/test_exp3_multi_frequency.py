"""Experiment 3: wavelength ladder, collisions and decay, against closed forms computed here."""

import cmath
import math

import pytest

from posenc.experiments import exp3_multi_frequency as exp3

D = 64


@pytest.fixture(scope="module")
def run(tmp_path_factory, load_results):
    out = tmp_path_factory.mktemp("exp3")
    exp3.run(out, quick=True)
    return out, load_results(out)


def theta(base: float, i: int, d: int = D) -> float:
    return base ** (-2 * i / d)


@pytest.mark.parametrize("base, key", [(1e4, "1e+04"), (1e6, "1e+06")])
def test_wavelength_ladder(run, base, key):
    entry = run[1]["numbers"]["ladder"][key]
    expected = [2 * math.pi * base ** (2 * i / D) for i in range(D // 2)]
    assert entry["wavelength"] == pytest.approx(expected, rel=1e-6)
    assert entry["shortest"] == pytest.approx(2 * math.pi, rel=1e-6)  # ≈ 6.28 whatever the base
    assert entry["longest"] == pytest.approx(2 * math.pi * base ** (62 / 64), rel=1e-6)


def colliding_offsets(thetas: list[float], n: int, tol: float) -> list[int]:
    """Δ in 1 … n−1 whose angle Δ·θ is within tol of a whole turn for every θ (math.remainder)."""
    return [
        delta
        for delta in range(1, n)
        if all(abs(math.remainder(delta * t, 2 * math.pi)) < tol for t in thetas)
    ]


def test_one_frequency_collides_all_frequencies_do_not(run):
    results = run[1]
    n, tol = results["settings"]["n_positions"], results["settings"]["tolerance_rad"]
    rows = {row["pairs"]: row for row in results["numbers"]["uniqueness"]}

    one = colliding_offsets([theta(1e4, 0)], n, tol)  # θ_0 = 1 rad/token: back near 0 every ≈ 2π·k tokens
    assert one and one[0] == 44  # 44 = 7·2π + 0.018
    assert rows["fastest 1"]["colliding_offsets"] == len(one)
    assert rows["fastest 1"]["first_offsets"] == one[:8]
    assert rows["fastest 1"]["colliding_position_pairs"] == sum(n - delta for delta in one)

    slowest = colliding_offsets([theta(1e4, 31)], n, tol)  # barely turns: every small Δ looks alike
    assert rows["slowest 1"]["colliding_offsets"] == len(slowest) > 100

    all_pairs = colliding_offsets([theta(1e4, i) for i in range(D // 2)], n, tol)
    assert all_pairs == []
    assert rows["all 32"]["colliding_offsets"] == 0
    assert rows["all 32"]["colliding_position_pairs"] == 0


def roformer_bound(base: float, delta: int) -> float:
    """(1/(d/2)) Σ_{j=1}^{d/2} |S_j|,  S_j = Σ_{k<j} e^{iΔθ_k}  (Su et al. 2021, §3.4.3)."""
    partial, total = 0j, 0.0
    for k in range(D // 2):
        partial += cmath.exp(1j * delta * theta(base, k))
        total += abs(partial)
    return total / (D // 2)


@pytest.mark.parametrize("key, base", [("1e+02", 1e2), ("1e+04", 1e4), ("1e+06", 1e6)])
def test_long_term_decay_bound(run, key, base):
    decay = run[1]["numbers"]["decay"]
    distances, bound = decay["distances"], decay["bases"][key]["roformer_bound"]
    assert bound[distances.index(0)] == pytest.approx((D // 2 + 1) / 2)  # all S_j = j at Δ = 0
    for delta in (1, 10, 100, 1000, 4096):
        # θ comes from the library in float32 (relative error ≤ 6e-8): each angle may be off by Δ·6e-8 rad,
        # each |S_j| by up to 32 times that
        tol = 32 * delta * 6e-8 + 1e-9
        assert bound[distances.index(delta)] == pytest.approx(roformer_bound(base, delta), abs=tol), delta


@pytest.mark.parametrize("key, base", [("1e+02", 1e2), ("1e+04", 1e4), ("1e+06", 1e6)])
def test_same_content_score_matches_expectation_and_random_pairs_do_not_decay(run, key, base):
    decay = run[1]["numbers"]["decay"]
    distances, entry, n = decay["distances"], decay["bases"][key], decay["n_samples"]
    # q ~ N(0, I_d): |pair_i|² ~ χ²₂ (variance 4), so <q, R_Δ q> = Σ_i |pair_i|² cos(Δθ_i) has mean
    # 2 Σ_i cos(Δθ_i) and standard deviation ≤ 2·sqrt(d/2); tolerance: 5 standard errors of the mean over n
    same_tol = 5 * 2 * math.sqrt(D / 2) / math.sqrt(n) / D
    for delta in (0, 1, 10, 100, 1000):
        expected = 2 / D * sum(math.cos(delta * theta(base, i)) for i in range(D // 2))
        assert entry["same_content_score"][distances.index(delta)] == pytest.approx(expected, abs=same_tol), (
            delta
        )
    # independent q, k: <q, R_Δ k> ~ N(0, d) at every Δ, so E|score| / d = sqrt(2 / (π d)) ≈ 0.0997, flat;
    # sd of |N(0, d)| is sqrt(d (1 − 2/π)); tolerance: 5 standard errors
    flat = math.sqrt(2 / (math.pi * D))
    flat_tol = 5 * math.sqrt(D * (1 - 2 / math.pi)) / math.sqrt(n) / D
    values = entry["independent_abs_score"]
    assert all(abs(v - flat) < flat_tol for v in values), (min(values), max(values), flat)


def test_larger_base_decays_more_slowly(run):
    decay = run[1]["numbers"]["decay"]
    at = decay["distances"].index(1000)
    scores = [decay["bases"][key]["same_content_score"][at] for key in ("1e+02", "1e+04", "1e+06")]
    assert scores[0] < scores[2]


def test_plots_written(run, check_plots):
    out, results = run
    check_plots(out, results, ["wavelength_ladder", "sine_curves", "clock_hands", "long_term_decay"])


# --------------------------------------------------------------------------------------------------
# the decay's trend: single distances oscillate, the octave mean ranks the bases
# --------------------------------------------------------------------------------------------------


def octave(delta: int) -> range:
    """Every integer Δ' with Δ/√2 ≤ Δ' ≤ Δ·√2."""
    return range(max(1, math.ceil(delta / math.sqrt(2))), math.floor(delta * math.sqrt(2)) + 1)


def test_octave_mean_is_the_mean_over_the_octave():
    import torch

    from posenc.experiments.rope_geometry import octave_mean

    distances = torch.tensor([0, 1, 2, 3, 10, 100, 1000])
    means = octave_mean(lambda d: d.double() ** 2, distances)
    for delta, got in zip(distances.tolist(), means.tolist(), strict=True):
        window = octave(delta) if delta else range(0, 1)
        assert got == pytest.approx(sum(x * x for x in window) / len(window)), delta


def test_random_phase_level_is_the_mean_partial_sum_of_random_unit_steps():
    import torch

    from posenc.experiments.rope_geometry import random_phase_level

    g = torch.Generator().manual_seed(0)
    phases = torch.rand(100_000, D // 2, generator=g, dtype=torch.float64) * 2 * math.pi  # [n, 32]
    simulated = torch.polar(torch.ones_like(phases), phases).cumsum(1).abs().mean().item()
    assert random_phase_level(D // 2) == pytest.approx(simulated, rel=0.01)


@pytest.mark.parametrize("key, base", [("1e+04", 1e4), ("1e+06", 1e6)])
def test_bound_trend_is_the_octave_mean_of_the_bound(run, key, base):
    decay = run[1]["numbers"]["decay"]
    distances, trend = decay["distances"], decay["bases"][key]["roformer_bound_trend"]
    for delta in (10, 100):
        window = octave(delta)
        expected = sum(roformer_bound(base, d) for d in window) / len(window)
        assert trend[distances.index(delta)] == pytest.approx(expected, abs=1e-4), delta


def test_takeaway_says_what_the_numbers_show_at_4096(run):
    """At Δ = 4096 the bound is lower for base 1e6 than for 1e4 (a single point of an oscillating
    curve), while its trend is higher: the takeaway must say both, and conclude from the trend."""
    decay = run[1]["numbers"]["decay"]
    i = decay["distances"].index(4096)
    b4, b6 = decay["bases"]["1e+04"], decay["bases"]["1e+06"]
    assert roformer_bound(1e6, 4096) < roformer_bound(1e4, 4096)  # 3.14 < 5.29: the point misleads
    window = octave(4096)
    trend4 = sum(roformer_bound(1e4, d) for d in window) / len(window)
    trend6 = sum(roformer_bound(1e6, d) for d in window) / len(window)
    assert trend6 > trend4 + 0.5  # 4.48 vs 3.42: the trend does not
    text = " ".join(str(item) for item in exp3.summary(run[1]) if isinstance(item, str))
    assert "oscillates" in text and "single distances mislead" in text
    assert (
        f"at Δ = 4,096 it is {b6['roformer_bound'][i]:.2f} for base 1e6 and {b4['roformer_bound'][i]:.2f}"
        in text
    )
    assert f"its trend there (the mean over Δ/√2 … Δ·√2) is {trend6:.2f} and {trend4:.2f}" in text
    assert "A larger base slows the decay" in text
    assert "e+0" not in text  # bases written 1e4, numbers 4,096


def test_decay_plot_is_labelled(run):
    """The SVG keeps its text: a defined title, labelled axes with units, one legend entry per base."""
    svg = (run[0] / "long_term_decay.svg").read_text(encoding="utf-8")
    for words in (
        "Long-term decay, head_dim 64",
        "thick = trend",
        "RoFormer",
        "relative distance Δ = n − m (tokens, log scale)",
        "base 1e2",
        "base 1e4",
        "base 1e6",
        "level of random phases",
        "value at each Δ (oscillates)",
        "independent q, k",
    ):
        assert words in svg, words
    assert len(set(exp3.LINE_STYLES)) == len(exp3.DECAY_BASES)  # the bases differ in style, not only colour
