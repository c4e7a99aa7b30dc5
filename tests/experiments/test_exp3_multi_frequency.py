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
