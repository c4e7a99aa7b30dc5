"""Experiment 2: the 2D walk-through and relative-only scores, checked against closed forms."""

import math

import pytest

from posenc.experiments import exp2_rope_basics as exp2

TOL = 1e-6  # float32 angles (the library's cos_sin) on unit vectors


@pytest.fixture(scope="module")
def run(tmp_path_factory, load_results):
    out = tmp_path_factory.mktemp("exp2")
    exp2.run(out, quick=True)
    return out, load_results(out)


@pytest.mark.parametrize("position", range(8))
def test_rotated_unit_vector_is_cos_sin_of_position_times_theta(run, position):
    x, y = run[1]["numbers"]["rotated_2d"][str(position)]
    assert x == pytest.approx(math.cos(position * math.pi / 4), abs=TOL)
    assert y == pytest.approx(math.sin(position * math.pi / 4), abs=TOL)


def test_practice_page_positions(run):
    rotated = run[1]["numbers"]["rotated_2d"]
    assert rotated["1"] == pytest.approx([math.sqrt(0.5), math.sqrt(0.5)], abs=TOL)
    assert rotated["2"] == pytest.approx([0.0, 1.0], abs=TOL)
    assert rotated["4"] == pytest.approx([-1.0, 0.0], abs=TOL)


def test_dot_products_depend_only_on_distance(run):
    dots = run[1]["numbers"]["dot_products"]
    for pair in ("(1,2)", "(3,4)", "(10,11)"):
        assert dots[pair] == pytest.approx(math.cos(math.pi / 4), abs=TOL), pair
    assert dots["(1,5)"] == pytest.approx(-1.0, abs=TOL)


def test_norms_preserved(run):
    numbers = run[1]["numbers"]
    assert numbers["norms"] == pytest.approx([1.0] * 8, abs=TOL)
    assert numbers["max_norm_change"] < TOL


def closed_form_score(q: list, k: list, offset: int, base: float = 1e4) -> float:
    """<R_m q, R_n k> with n − m = offset, half layout (pair i = features i and i + d/2):
    Σ_i (q_a k_a + q_b k_b) cos(Δθ_i) + (q_b k_a − q_a k_b) sin(Δθ_i),  θ_i = base^(−2i/d)
    (Re[(q_a + i q_b)·conj(k_a + i k_b)·e^{−iΔθ_i}]; check: q = (0, 1), k = (1, 0), Δ = 1 gives sin θ)."""
    d = len(q)
    total = 0.0
    for i in range(d // 2):
        theta = base ** (-2 * i / d)
        qa, qb, ka, kb = q[i], q[i + d // 2], k[i], k[i + d // 2]
        total += (qa * ka + qb * kb) * math.cos(offset * theta) + (qb * ka - qa * kb) * math.sin(
            offset * theta
        )
    return total


def test_head_dim_64_scores_match_the_relative_closed_form(run):
    h = run[1]["numbers"]["head_dim_64"]
    assert len(h["q"]) == 64
    for sample in h["samples"]:
        expected = closed_form_score(h["q"], h["k"], sample["n"] - sample["m"])
        assert sample["score"] == pytest.approx(expected, abs=1e-4 * h["max_abs_score"]), sample
    for offset in (0, 1, 7, 31, len(h["score_by_offset"]) - 1):
        expected = closed_form_score(h["q"], h["k"], offset)
        assert h["score_by_offset"][offset] == pytest.approx(expected, abs=1e-4 * h["max_abs_score"])


def test_score_matrix_constant_along_diagonals(run):
    h = run[1]["numbers"]["head_dim_64"]
    assert h["relative_diagonal_deviation"] < 1e-5
    assert h["max_diagonal_deviation"] == pytest.approx(h["relative_diagonal_deviation"] * h["max_abs_score"])


def test_plots_written(run, check_plots):
    out, results = run
    check_plots(out, results, ["rotations_2d", "score_diagonals"])
