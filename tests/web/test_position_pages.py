"""The angles page's JSON routes: the library's numbers, the marks where the formulas put them, clear 400s.

Expected values come from closed forms (θ_i = base^(−2i/d); YaRN's dim(β) = d·ln(L/(2πβ))/(2 ln b); the
decay at distance 0) or from the library called directly (``rope.frequencies``, ``rope_decay``), never
from the route's own output.
"""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from posenc.encodings import rope
from posenc.encodings.rope_decay import mean_qk_product, relative_upper_bound
from tests.web.test_tools_api import _get, _library_config, _refused

TWO_PI = 2 * math.pi


def _theta(rope_type: str, head_dim: int, base: float, factor: float, original: int, target: int):
    """θ and the attention factor the library gives for these settings (plain RoPE for "default")."""
    if rope_type == "default":
        return rope.frequencies({"head_dim": head_dim, "rope_theta": base})
    config, seq_len = _library_config(rope_type, head_dim, base, factor, original, target)
    return rope.frequencies(config, seq_len=seq_len)


def _float32_slack(m: int, theta: float) -> float:
    """How far cos(m·θ) may be from float64's when the angle is formed in float32 (as the model does)."""
    return abs(m * theta) * 2**-23 + 2e-6  # + the route's rounding to 6 decimals


# --------------------------------------------------------------------------------------------------
# the angle map
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rope_type", ["default", "linear", "dynamic", "yarn", "llama3", "longrope"])
def test_angle_map_is_cos_of_position_times_the_librarys_theta(client, rope_type):
    head_dim, base, factor, original, target = 32, 10000.0, 4.0, 1024, 4096
    d = _get(
        client,
        f"/api/angles?rope_type={rope_type}&head_dim={head_dim}&base={base}&factor={factor}"
        f"&original={original}&target={target}&length=5000&spacing=linear",
    )
    inv_freq, _ = _theta(rope_type, head_dim, base, factor, original, target)
    theta = inv_freq.double().tolist()
    assert d["theta"] == pytest.approx(theta, rel=1e-12)
    assert d["wavelength"] == pytest.approx([TWO_PI / t for t in theta], rel=1e-12)
    assert len(d["values"]) == head_dim // 2 and all(len(row) == len(d["positions"]) for row in d["values"])
    for i, t in enumerate(theta):
        for j, m in enumerate(d["positions"]):
            assert d["values"][i][j] == pytest.approx(math.cos(m * t), abs=_float32_slack(m, t)), (i, m)


def test_default_theta_is_the_closed_form(client):
    d = _get(client, "/api/angles?rope_type=default&head_dim=64&base=500000&length=300")
    closed = [500000 ** (-2 * i / 64) for i in range(32)]
    assert d["theta"] == pytest.approx(closed, rel=1e-6)  # θ is float32 in the library
    for i in (0, 5, 31):
        for j, m in enumerate(d["positions"]):
            assert d["values"][i][j] == pytest.approx(
                math.cos(m * closed[i]), abs=_float32_slack(m, 1) + 1e-6
            )


def test_angle_view_is_the_angle_mod_two_pi(client):
    d = _get(client, "/api/angles?rope_type=default&head_dim=16&base=10000&length=3000&show=angle")
    closed = [10000 ** (-2 * i / 16) for i in range(8)]
    for i, t in enumerate(closed):
        for j, m in enumerate(d["positions"]):
            value = d["values"][i][j]
            assert 0 <= value < TWO_PI + 1e-6
            gap = (value - m * t) % TWO_PI  # the same angle up to whole turns
            assert min(gap, TWO_PI - gap) < _float32_slack(m, t) + 1e-6, (i, m)


def test_positions_every_integer_while_they_fit_else_sampled(client):
    every = _get(client, "/api/angles?length=200&spacing=linear&head_dim=8")
    assert every["positions"] == list(range(201))
    assert every["aliased_from"] == [None] * 4  # a column per token aliases nothing
    linear = _get(client, "/api/angles?length=8192&spacing=linear&head_dim=8")["positions"]
    assert linear[0] == 0 and linear[-1] == 8192 and len(linear) == 256
    assert {b - a for a, b in itertools.pairwise(linear)} <= {32, 33}  # 8192/255 = 32.1, rounded
    log = _get(client, "/api/angles?length=8192&spacing=log&head_dim=8")["positions"]
    assert log[0] == 1 and log[-1] == 8192 and len(log) <= 256 and log == sorted(set(log))
    assert log[:10] == list(range(1, 11))  # small positions: every one
    ratios = [b / a for a, b in itertools.pairwise(log[-50:])]
    assert max(ratios) == pytest.approx(min(ratios), rel=0.01)  # far out: geometric


def test_aliasing_marks_where_columns_are_more_than_half_a_wavelength_apart(client):
    d = _get(client, "/api/angles?rope_type=default&head_dim=64&base=10000&length=8192&spacing=linear")
    for wave, start in zip(d["wavelength"], d["aliased_from"], strict=True):
        if wave < 2 * 32:  # every gap (32 or 33 tokens) exceeds λ/2: aliased from the first column
            assert start == 0
        elif wave > 2 * 33:
            assert start is None


def test_training_length_marks_the_pairs_whose_wavelength_exceeds_it(client):
    d = _get(client, "/api/angles?rope_type=default&head_dim=64&base=10000&original=2048")
    assert d["training_length"] == 2048
    # λ_i = 2π·10000^(i/32) > 2048 from i = ceil(32·ln(2048/2π)/ln 10000) = 21 on
    first = math.ceil(32 * math.log(2048 / TWO_PI) / math.log(10000))
    assert first == 21 and d["beyond_training"] == list(range(first, 32))
    assert d["beyond_training_plain"] == d["beyond_training"]
    yarn = _get(client, "/api/angles?rope_type=yarn&head_dim=64&base=10000&original=2048&factor=4")
    inv_freq, _ = _theta("yarn", 64, 10000.0, 4.0, 2048, 8192)
    assert yarn["beyond_training"] == [i for i, t in enumerate(inv_freq.tolist()) if TWO_PI / t > 2048]
    assert yarn["beyond_training_plain"] == d["beyond_training"]
    assert len(yarn["beyond_training"]) > len(d["beyond_training"])  # YaRN stretches the slow pairs


@pytest.mark.parametrize(
    "head_dim, base, original, beta_fast, beta_slow",
    [(64, 10000.0, 2048, 32.0, 1.0), (128, 500000.0, 8192, 32.0, 1.0), (64, 1e6, 4096, 16.0, 2.0)],
)
def test_yarn_marks_are_the_ramp_boundaries(client, head_dim, base, original, beta_fast, beta_slow):
    d = _get(
        client,
        f"/api/angles?rope_type=yarn&head_dim={head_dim}&base={base}&factor=8&original={original}"
        f"&target={8 * original}&beta_fast={beta_fast}&beta_slow={beta_slow}",
    )

    def dim(beta: float) -> float:  # YaRN: the pair index where L/λ_i = β (Peng et al. 2023)
        return head_dim * math.log(original / (TWO_PI * beta)) / (2 * math.log(base))

    ramp = d["ramp"]
    assert ramp["fast"]["pair"] == pytest.approx(dim(beta_fast), rel=1e-12)
    assert ramp["slow"]["pair"] == pytest.approx(dim(beta_slow), rel=1e-12)
    assert (ramp["fast"]["turns"], ramp["slow"]["turns"]) == (beta_fast, beta_slow)
    low, high = math.floor(dim(beta_fast)), math.ceil(dim(beta_slow))
    assert ramp["ramp"] == [low, high]
    # and the library's frequencies ramp exactly there: untouched up to low, divided by s from high on
    inv_freq, _ = _theta("default", head_dim, base, 1, original, original)
    scale = (inv_freq.double() / torch.tensor(d["theta"], dtype=torch.float64)).tolist()
    assert scale[: low + 1] == pytest.approx([1.0] * (low + 1), rel=1e-6)
    assert scale[high:] == pytest.approx([8.0] * (head_dim // 2 - high), rel=1e-6)


def test_llama3_marks_are_its_band_edges(client):
    d = _get(client, "/api/angles?rope_type=llama3&factor=8&original=8192&base=500000&head_dim=128")
    for key, beta in (("fast", 4.0), ("slow", 1.0)):  # high_freq_factor 4, low_freq_factor 1
        i = d["ramp"][key]["pair"]
        wavelength = TWO_PI * 500000 ** (2 * i / 128)
        assert wavelength == pytest.approx(8192 / beta, rel=1e-12)  # λ = L / factor at the crossing
    assert "ramp" not in d["ramp"]  # Llama 3.1 blends by wavelength, no integer ramp
    assert _get(client, "/api/angles?rope_type=linear")["ramp"] is None


# --------------------------------------------------------------------------------------------------
# the long-term decay
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rope_type", ["default", "yarn", "longrope", "llama3", "dynamic"])
def test_decay_numbers_equal_the_librarys(client, rope_type):
    head_dim, base, factor, original, target = 64, 10000.0, 4.0, 2048, 8192
    d = _get(
        client,
        f"/api/decay?rope_type={rope_type}&head_dim={head_dim}&base={base}&factor={factor}"
        f"&original={original}&target={target}&distance=3000&spacing=linear",
    )
    inv_freq, a = _theta(rope_type, head_dim, base, factor, original, target)
    assert d["attention_factor"] == pytest.approx(a, rel=1e-12)
    grid = torch.tensor(d["distances"])
    assert d["scaled"]["bound"] == pytest.approx(relative_upper_bound(inv_freq, grid, a).tolist(), rel=1e-12)
    assert d["scaled"]["mean_dot"] == pytest.approx(
        mean_qk_product(inv_freq, grid, a).tolist(), rel=1e-12, abs=1e-9
    )
    at_l = d["scaled"]["at"]["L"]
    assert at_l["distance"] == original
    assert at_l["bound"] == pytest.approx(relative_upper_bound(inv_freq, torch.tensor([original]), a).item())
    if rope_type == "default":
        assert d["plain"] is None and "N" not in d["scaled"]["at"]
    else:
        plain, _ = _theta("default", head_dim, base, 1, original, original)
        assert d["plain"]["bound"] == pytest.approx(relative_upper_bound(plain, grid).tolist(), rel=1e-12)
        assert d["scaled"]["at"]["N"]["distance"] == target


@pytest.mark.parametrize("head_dim", [2, 16, 64, 128])
@pytest.mark.parametrize("rope_type, factor", [("default", 1.0), ("yarn", 4.0), ("yarn", 16.0)])
def test_decay_at_distance_zero_by_hand(client, head_dim, rope_type, factor):
    d = _get(client, f"/api/decay?rope_type={rope_type}&head_dim={head_dim}&factor={factor}")
    a = 1.0 if rope_type == "default" else 0.1 * math.log(factor) + 1  # YaRN's √(1/t)
    at0 = d["scaled"]["at"]["0"]
    assert at0["bound"] == pytest.approx(a**2 * (head_dim / 2 + 1) / 2, rel=1e-12)  # mean of 1 … d/2
    assert at0["mean_dot"] == pytest.approx(head_dim * a**2, rel=1e-12)  # E|q|² = d, times a²


def test_distances_sampling(client):
    every = _get(client, "/api/decay?distance=250&spacing=linear")
    assert every["distances"] == list(range(251)) and every["scaled"]["bound"][0] == pytest.approx(
        every["scaled"]["at"]["0"]["bound"]
    )
    log = _get(client, "/api/decay?distance=100000&spacing=log")["distances"]
    assert log[0] == 1 and log[-1] == 100000 and len(log) <= 1000 and log == sorted(set(log))


def test_decay_moves_with_base_and_factor(client):
    small = _get(client, "/api/decay?rope_type=default&base=10000")["scaled"]["at"]["L"]
    large = _get(client, "/api/decay?rope_type=default&base=1000000")["scaled"]["at"]["L"]
    assert large["mean_dot"] > small["mean_dot"] + 1  # a larger base: slow pairs still agree at L
    two = _get(client, "/api/decay?rope_type=yarn&factor=2")
    eight = _get(client, "/api/decay?rope_type=yarn&factor=8")
    assert eight["attention_factor"] > two["attention_factor"]
    assert eight["scaled"]["at"]["L"]["mean_dot"] != pytest.approx(two["scaled"]["at"]["L"]["mean_dot"])


def test_extreme_settings_give_finite_json(client):
    for route in ("angles", "decay"):
        r = client.get(
            f"/api/{route}?rope_type=yarn&head_dim=1024&base=1e12&factor=1000&original=16&target=16777216"
        )
        assert r.status_code == 200, r.text
        assert "NaN" not in r.text and "Infinity" not in r.text


def test_the_largest_head_and_longest_range_are_sampled_not_enumerated(client):
    # what keeps these routes quick: the map samples at most MAP_COLUMNS positions and the decay at most
    # DECAY_POINTS distances whatever the request (the answer times are in benchmarks/lab_latency.py)
    from posenc.web.position_pages import DECAY_POINTS, MAP_COLUMNS

    m = _get(client, "/api/angles?head_dim=1024&spacing=linear&length=16777216")
    d = _get(client, "/api/decay?head_dim=1024&spacing=linear&distance=16777216")
    assert len(m["positions"]) <= MAP_COLUMNS and m["positions"][-1] >= 16777215 - 16777216 // MAP_COLUMNS
    assert len(d["distances"]) <= DECAY_POINTS and d["distances"][-1] == 16777216


def test_the_page_offers_every_rope_type_and_both_plots(client):
    html = client.get("/angles").text
    for name in ("default", "yarn", "llama3", "minimind_yarn"):
        assert f'<option value="{name}"' in html
    assert 'id="angle-plot"' in html and 'id="decay-plot"' in html and "/static/angles.js" in html


@pytest.mark.parametrize(
    "route, query, words",
    [
        ("angles", "length=0", ["length", "between 1"]),
        ("angles", "length=16777217", ["length", "16777216"]),
        ("angles", "length=1e3", ["length", "integer"]),
        ("angles", "show=sin", ["show", "cos", "angle"]),
        ("angles", "spacing=cubic", ["spacing", "linear", "log"]),
        ("angles", "distance=10", ["unknown parameter", "distance"]),
        ("angles", "lenght=10", ["unknown parameter", "lenght"]),
        ("angles", "head_dim=63", ["head_dim", "even"]),
        ("angles", "base=nan", ["base", "finite"]),
        ("angles", "factor=inf", ["factor", "finite"]),
        ("angles", "rope_type=alibi", ["rope_type", "yarn"]),
        ("angles", "rope_type=yarn&beta_fast=0.5&beta_slow=2", ["beta_fast", "beta_slow"]),
        ("decay", "distance=-5", ["distance", "between 1"]),
        ("decay", "distance=abc", ["distance", "integer"]),
        ("decay", "spacing=", ["spacing"]),
        ("decay", "show=cos", ["unknown parameter", "show"]),
        ("decay", "head_dim=2048", ["head_dim", "1024"]),
        ("decay", "original=8", ["original", "16"]),
        ("decay", "rope_type=llama3&low_freq_factor=4&high_freq_factor=4", ["low_freq_factor"]),
    ],
)
def test_bad_parameters_are_400_naming_them(client, route, query, words):
    _refused(client.get(f"/api/{route}?{query}"), *words)
