"""The playground's, explorer's and inspector's JSON routes: the library's numbers, clear 400s, never a 500.

Expected values come from closed forms (θ_i = base^(−2i/d), the score cos((n − m)θ + β − α) of two unit
vectors) or from the library called directly (``rope.frequencies``, ``inspect_config``), never from the
route's own output.
"""

from __future__ import annotations

import math
import tempfile
import time

import pytest
import torch

from posenc.encodings import rope
from posenc.encodings.rope_scaling import ROPE_TYPES
from posenc.inspector import inspect_config, load_config
from posenc.web.rope_form import form_choices
from tests.encodings.test_rope_registry import TOY_CONFIG

EXPLORER_TYPES = form_choices()["types"]


def _get(client, url: str) -> dict:
    r = client.get(url)
    assert r.status_code == 200, r.text
    return r.json()


def _refused(response, *words: str) -> str:
    """A 400 whose JSON message names the problem (each of ``words``, case-insensitive)."""
    assert response.status_code == 400, (response.status_code, response.text)
    message = response.json()["error"]
    for word in words:
        assert word.lower() in message.lower(), (word, message)
    return message


# --------------------------------------------------------------------------------------------------
# rotation playground
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "m, n, theta, q_angle, k_angle",
    [
        (0, 0, 0.5, 0, 0),
        (3, 7, 0.5, 0, 0),
        (7, 3, 1.3, 30, 80),
        (12, 40, 0.05, -45, 120),
        (64, 1, 3.0, 10, 10),
    ],
)
def test_rotation_score_is_cos_of_offset_angle(client, m, n, theta, q_angle, k_angle):
    d = _get(client, f"/api/rotation?m={m}&n={n}&theta={theta}&q_angle={q_angle}&k_angle={k_angle}")
    theta32 = float(torch.tensor(theta, dtype=torch.float32))  # the library keeps θ in float32
    expected = math.cos((n - m) * theta32 + math.radians(k_angle) - math.radians(q_angle))
    assert d["score"] == pytest.approx(expected, abs=2e-5)
    assert d["offset"] == n - m
    # R_m q is q turned by m·θ
    turned = math.radians(q_angle) + m * theta32
    assert d["rq"] == pytest.approx([math.cos(turned), math.sin(turned)], abs=2e-5)
    unrotated = math.cos(math.radians(k_angle) - math.radians(q_angle))
    assert d["score_unrotated"] == pytest.approx(unrotated, abs=1e-12)


def test_rotation_score_is_invariant_when_m_and_n_shift_together(client):
    scores = [
        _get(client, f"/api/rotation?m={m}&n={m + 5}&theta=0.7&q_angle=20&k_angle=-60")["score"]
        for m in (0, 1, 2, 10, 33, 59)
    ]
    assert max(scores) - min(scores) < 1e-5
    # and changing the offset does change it
    other = _get(client, "/api/rotation?m=0&n=6&theta=0.7&q_angle=20&k_angle=-60")["score"]
    assert abs(other - scores[0]) > 0.1


def test_rotation_reference_is_the_same_offset_from_position_zero(client):
    d = _get(client, "/api/rotation?m=9&n=4&theta=0.4&q_angle=0&k_angle=0")
    assert (d["reference"]["m"], d["reference"]["n"]) == (5, 0)
    assert d["reference"]["score"] == pytest.approx(math.cos(-5 * 0.4), abs=2e-5)
    assert d["reference"]["score"] == pytest.approx(d["score"], abs=1e-5)


def test_rotation_pair_mode_takes_the_pairs_frequency(client):
    for base, head_dim, pair in [(10000, 64, 0), (10000, 64, 5), (500000, 128, 63), (100, 16, 7)]:
        d = _get(client, f"/api/rotation?base={base}&head_dim={head_dim}&pair={pair}&m=2&n=9")
        expected = base ** (-2 * pair / head_dim)
        assert d["theta"] == pytest.approx(expected, rel=1e-6)
        assert d["wavelength"] == pytest.approx(2 * math.pi / expected, rel=1e-6)
        assert d["score"] == pytest.approx(math.cos(7 * expected), abs=2e-5)


def test_rotation_angle_between_the_rotated_vectors(client):
    d = _get(client, "/api/rotation?m=1&n=2&theta=0.5&q_angle=0&k_angle=0")
    assert d["angle_between_degrees"] == pytest.approx(math.degrees(0.5), abs=1e-3)
    first, last = d["arc"][0], d["arc"][-1]
    assert math.atan2(first[1], first[0]) == pytest.approx(0.5, abs=1e-4)  # starts on R_m q
    assert math.atan2(last[1], last[0]) == pytest.approx(1.0, abs=1e-4)  # ends on R_n k


@pytest.mark.parametrize(
    "query, words",
    [
        ("m=-1", ["m", "between"]),
        ("n=70000", ["n", "between"]),
        ("m=1.5", ["m", "integer"]),
        ("theta=nan", ["theta", "finite"]),
        ("theta=inf", ["theta", "finite"]),
        ("theta=-0.1", ["theta"]),
        ("theta=abc", ["theta", "number"]),
        ("q_angle=1e400", ["q_angle", "finite"]),
        ("head_dim=63", ["head_dim", "even"]),
        ("head_dim=4096", ["head_dim"]),
        ("base=1", ["base"]),
        ("base=-inf", ["base", "finite"]),
        ("pair=32&head_dim=64", ["pair", "31"]),
        ("theta=0.5&pair=2", ["theta", "pair"]),
        ("x=1", ["unknown parameter", "x"]),
    ],
)
def test_rotation_bad_parameters_are_400_naming_them(client, query, words):
    _refused(client.get(f"/api/rotation?{query}"), *words)


# --------------------------------------------------------------------------------------------------
# frequency explorer
# --------------------------------------------------------------------------------------------------


def test_explorer_offers_every_rope_type_of_the_library(client):
    assert set(EXPLORER_TYPES) == set(ROPE_TYPES)
    html = client.get("/explorer").text
    for name in ROPE_TYPES:
        assert f'<option value="{name}"' in html, name


def test_default_wavelengths_follow_the_closed_form(client):
    d = _get(client, "/api/frequencies?rope_type=default&head_dim=64&base=10000&original=4096")
    assert d["pairs"] == list(range(32))
    expected = [2 * math.pi * 10000 ** (2 * i / 64) for i in range(32)]
    assert d["wavelength_plain"] == pytest.approx(expected, rel=1e-6)
    assert d["wavelength_scaled"] == pytest.approx(expected, rel=1e-6)
    assert d["scale"] == pytest.approx([1.0] * 32)
    assert d["attention_factor"] == 1.0
    assert [line["tokens"] for line in d["lines"]] == [4096]


def test_linear_divides_every_frequency_by_the_factor(client):
    d = _get(
        client, "/api/frequencies?rope_type=linear&head_dim=32&base=10000&factor=8&original=2048&target=16384"
    )
    assert d["scale"] == pytest.approx([8.0] * 16, rel=1e-6)
    assert d["wavelength_scaled"] == pytest.approx([8 * w for w in d["wavelength_plain"]], rel=1e-6)
    assert d["counts"] == {"untouched": 0, "divided_by_factor": 16, "between": 0}


def _library_config(rope_type: str, head_dim: int, base: float, factor: float, original: int, target: int):
    """The config a user would write for the library, and the seq_len to compute at."""
    half = head_dim // 2
    scaling = {
        "linear": {"rope_type": "linear", "factor": factor},
        "ntk": {"rope_type": "ntk", "factor": factor},
        "dynamic": {"rope_type": "dynamic", "factor": factor},
        "yarn": {
            "rope_type": "yarn",
            "factor": factor,
            "original_max_position_embeddings": original,
            "beta_fast": 32,
            "beta_slow": 1,
        },
        "minimind_yarn": {
            "rope_type": "minimind_yarn",
            "factor": factor,
            "original_max_position_embeddings": original,
            "beta_fast": 32,
            "beta_slow": 1,
        },
        "llama3": {
            "rope_type": "llama3",
            "factor": factor,
            "original_max_position_embeddings": original,
            "low_freq_factor": 1,
            "high_freq_factor": 4,
        },
        "longrope": {
            "rope_type": "longrope",
            "factor": factor,
            "original_max_position_embeddings": original,
            "short_factor": [1.0] * half,
            "long_factor": [factor] * half,
        },
    }[rope_type]
    max_pos = original if rope_type == "dynamic" else target
    seq_len = target if rope_type in ("dynamic", "longrope") else None
    config = {
        "head_dim": head_dim,
        "rope_theta": base,
        "max_position_embeddings": max_pos,
        "rope_scaling": scaling,
    }
    return config, seq_len


@pytest.mark.parametrize(
    "rope_type", ["linear", "ntk", "dynamic", "yarn", "minimind_yarn", "llama3", "longrope"]
)
@pytest.mark.parametrize("head_dim, base, factor", [(64, 10000.0, 4.0), (128, 500000.0, 8.0)])
def test_explorer_numbers_equal_the_librarys(client, rope_type, head_dim, base, factor):
    original, target = 2048, int(2048 * factor)
    d = _get(
        client,
        f"/api/frequencies?rope_type={rope_type}&head_dim={head_dim}&base={base}&factor={factor}"
        f"&original={original}&target={target}",
    )
    config, seq_len = _library_config(rope_type, head_dim, base, factor, original, target)
    inv_scaled, attention = rope.frequencies(config, seq_len=seq_len)
    inv_plain, _ = rope.frequencies({"head_dim": head_dim, "rope_theta": base})
    plain, scaled = inv_plain.double(), inv_scaled.double()
    assert d["wavelength_plain"] == pytest.approx((2 * math.pi / plain).tolist(), rel=1e-9)
    assert d["wavelength_scaled"] == pytest.approx((2 * math.pi / scaled).tolist(), rel=1e-9)
    assert d["scale"] == pytest.approx((plain / scaled).tolist(), rel=1e-9)
    assert d["attention_factor"] == pytest.approx(attention, rel=1e-12)
    assert d["scale"][-1] > 1.5  # the slowest pair is scaled by every method here


def test_yarn_attention_factor_and_bands_follow_the_paper(client):
    d = _get(client, "/api/frequencies?rope_type=yarn&factor=4&original=4096&beta_fast=32&beta_slow=1")
    assert d["attention_factor"] == pytest.approx(0.1 * math.log(4) + 1, rel=1e-9)
    assert [b["tokens"] for b in d["bands"]] == pytest.approx([4096 / 32, 4096 / 1])
    # pairs whose wavelength is below L/β_fast are untouched, above L/β_slow divided by s
    for wave, scale in zip(d["wavelength_plain"], d["scale"], strict=True):
        if wave < 4096 / 32 / 1.5:
            assert scale == pytest.approx(1.0)
        if wave > 4096 * 1.5:
            assert scale == pytest.approx(4.0, rel=1e-6)


def test_llama3_bands_are_the_training_length_over_the_freq_factors(client):
    d = _get(
        client,
        "/api/frequencies?rope_type=llama3&factor=8&original=8192&low_freq_factor=1&high_freq_factor=4",
    )
    assert [b["tokens"] for b in d["bands"]] == pytest.approx([8192 / 4, 8192 / 1])
    assert d["counts"]["untouched"] > 0 and d["counts"]["divided_by_factor"] > 0


def test_a_larger_factor_lengthens_the_slow_wavelengths(client):
    small = _get(client, "/api/frequencies?rope_type=yarn&factor=2")
    large = _get(client, "/api/frequencies?rope_type=yarn&factor=16")
    assert large["wavelength_scaled"][-1] == pytest.approx(8 * small["wavelength_scaled"][-1], rel=1e-6)
    assert large["wavelength_scaled"][0] == pytest.approx(small["wavelength_scaled"][0], rel=1e-6)


def test_a_rope_type_registered_in_one_place_is_offered_and_computed_by_the_explorer(toy_rope_type, client):
    """The toy type of tests/encodings/test_rope_registry.py, added to the library's registry alone, is in
    the explorer's menu with its label and its note, and the frequency route computes it as the library."""
    html = client.get("/explorer").text
    assert '<option value="toy"' in html and "square-root interpolation" in html
    got = _get(client, "/api/frequencies?rope_type=toy&factor=4&original=2048&target=16384&head_dim=64")
    assert "every θ_i divided by √s" in got["note"]
    inv_freq, _ = rope.frequencies(TOY_CONFIG)
    wavelengths = [2 * math.pi / f for f in inv_freq.tolist()]
    assert got["wavelength_scaled"] == pytest.approx(wavelengths, rel=1e-6)


def test_explorer_route_is_fast(client):
    client.get("/api/frequencies?rope_type=yarn&head_dim=1024")  # warm
    start = time.perf_counter()
    for rope_type in EXPLORER_TYPES:
        _get(client, f"/api/frequencies?rope_type={rope_type}&head_dim=1024&base=1e6")
    assert (time.perf_counter() - start) / len(EXPLORER_TYPES) < 0.25  # generous for a loaded 2-core machine


@pytest.mark.parametrize(
    "query, words",
    [
        ("head_dim=63", ["head_dim", "even"]),
        ("head_dim=0", ["head_dim", "between"]),
        ("head_dim=2048", ["head_dim", "1024"]),
        ("head_dim=sixty", ["head_dim", "integer"]),
        ("base=nan", ["base", "finite"]),
        ("base=inf", ["base", "finite"]),
        ("base=1", ["base", "between"]),
        ("base=1e13", ["base"]),
        ("factor=0.5", ["factor", "between 1"]),
        ("factor=inf", ["factor", "finite"]),
        ("factor=NaN", ["factor", "finite"]),
        ("rope_type=nope", ["rope_type", "yarn", "llama3"]),
        ("original=8", ["original", "16"]),
        ("target=1e9", ["target", "integer"]),
        ("target=99999999999", ["target", "16777216"]),
        ("rope_type=yarn&beta_fast=0.5&beta_slow=2", ["beta_fast", "beta_slow"]),
        ("rope_type=yarn&beta_slow=-1", ["beta_slow"]),
        ("rope_type=llama3&low_freq_factor=4&high_freq_factor=4", ["low_freq_factor", "high_freq_factor"]),
        ("rope_type=llama3&high_freq_factor=inf", ["high_freq_factor", "finite"]),
        ("fator=4", ["unknown parameter", "fator"]),
    ],
)
def test_explorer_bad_parameters_are_400_naming_them(client, query, words):
    _refused(client.get(f"/api/frequencies?{query}"), *words)


# --------------------------------------------------------------------------------------------------
# inspector
# --------------------------------------------------------------------------------------------------


def test_inspect_a_bundled_config_says_what_inspect_config_says(client):
    r = client.post("/api/inspect", json={"name": "llama-3.1-8b"})
    assert r.status_code == 200, r.text
    d = r.json()
    name, path, config = load_config("llama-3.1-8b")
    expected = inspect_config(config, name, path=str(path))
    got = d["report"]
    for key in ("family", "rope_type", "rotary_dim", "base", "training_length", "target_length", "factor"):
        assert got[key] == expected[key], key
    assert got["critical_dimension"]["d_extra"] == expected["critical_dimension"]["d_extra"]
    assert [p["wavelength"] for p in got["pairs"]] == pytest.approx(
        [p["wavelength"] for p in expected["pairs"]]
    )
    assert [p["code"] for p in got["pitfalls"]] == [p["code"] for p in expected["pitfalls"]]
    figures = {f["label"]: f["value"] for f in d["figures"]}
    assert figures["rope_type"] == "llama3"
    assert figures["training length (tokens)"] == 8192 and figures["target length (tokens)"] == 131072
    assert figures["scaling factor"] == 8
    # the terminal report: the same text posenc inspect prints
    assert "posenc inspect" in d["text"] and "llama3" in d["text"]
    assert expected["scaling"]["summary"].split(":")[0] in d["text"]


def test_inspect_a_posted_config(client):
    config = {
        "_name_or_path": "my-model",
        "hidden_size": 1024,
        "num_attention_heads": 16,
        "rope_theta": 10000.0,
        "max_position_embeddings": 2048,
        "rope_scaling": {"rope_type": "linear", "factor": 2.0},
    }
    r = client.post("/api/inspect", json={"config": config, "target_length": 4096})
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["name"] == "my-model" and d["family"] == "rope"
    report = d["report"]
    assert report["target_length"] == 4096 and report["rotary_dim"] == 64
    # PI: every wavelength is twice plain RoPE's 2π·base^(2i/d)
    expected = [2 * 2 * math.pi * 10000 ** (2 * i / 64) for i in range(32)]
    assert [p["wavelength"] for p in report["pairs"]] == pytest.approx(expected, rel=1e-6)
    direct = inspect_config(config, "my-model", target_length=4096)
    assert report["critical_dimension"] == direct["critical_dimension"]


def test_inspect_a_config_without_rope(client):
    d = client.post(
        "/api/inspect", json={"config": {"model_type": "bloom", "hidden_size": 1024, "n_head": 16}}
    ).json()
    assert d["family"] == "none"
    assert "alibi" in d["report"]["message"].lower()
    assert "not RoPE" in d["text"]


def test_inspect_plot_is_svg_drawn_in_a_temporary_folder_that_is_removed(client, tmp_path, monkeypatch):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    r = client.post("/api/inspect", json={"name": "qwen2.5-7b-yarn", "plot": True})
    assert r.status_code == 200, r.text
    svg = r.json()["plot_svg"]
    assert "<svg" in svg and "wavelength" in svg
    assert list(scratch.iterdir()) == []  # nothing of the request stays on disk


def test_every_bundled_config_is_one_click_away(client):
    from posenc.inspector import bundled_configs

    html = client.get("/inspector").text
    for name in bundled_configs():
        assert f'data-name="{name}"' in html, name


NESTED = b'{"config": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"


@pytest.mark.parametrize(
    "body, words",
    [
        (b'{"config": {"hidden_size": 4096,', ["not valid JSON", "line 1"]),
        (b"", ["not valid JSON"]),
        (NESTED, ["nested"]),
        (b'{"config": {"a": ' + b"[" * 40 + b"]" * 40 + b"}}", ["nested", "32"]),
        (b"[1, 2]", ["JSON object", "array"]),
        (b'"llama"', ["JSON object", "string"]),
        (b'{"config": [1, 2]}', ["config", "JSON object", "array"]),
        (b'{"config": {"rope_theta": NaN}}', ["NaN"]),
        (b'{"config": {"rope_theta": Infinity}}', ["Infinity"]),
        (b'{"config": {"rope_theta": 1e999}}', ["1e999", "finite"]),
        (b'{"name": "llama-3.1-8b", "config": {}}', ["exactly one"]),
        (b"{}", ["exactly one"]),
        (b'{"name": "no-such-model"}', ["no-such-model", "llama-3.1-8b"]),
        (b'{"name": "../../etc/passwd"}', ["no bundled config"]),
        (b'{"name": "llama-3.1-8b", "target_length": 0}', ["target_length"]),
        (b'{"name": "llama-3.1-8b", "target_length": 1.5}', ["target_length"]),
        (b'{"name": "llama-3.1-8b", "target_length": 99999999999}', ["target_length"]),
        (b'{"name": "llama-3.1-8b", "plot": "yes"}', ["plot"]),
        (b'{"name": "llama-3.1-8b", "colour": 1}', ["unknown field", "colour"]),
        (b"\xff\xfe{}", ["UTF-8"]),
    ],
)
def test_inspect_refuses_bad_bodies_with_a_message(client, body, words):
    _refused(client.post("/api/inspect", content=body, headers={"content-type": "application/json"}), *words)


LLAMA = {
    "hidden_size": 4096,
    "num_attention_heads": 32,
    "rope_theta": 500000.0,
    "max_position_embeddings": 8192,
}


@pytest.mark.parametrize(
    "change, words",
    [
        ({"rope_scaling": {"rope_type": "linear", "factor": 0.5}}, ["factor"]),
        ({"rope_scaling": {"rope_type": "yarn", "factor": 4}}, ["original_max_position_embeddings"]),
        ({"rope_scaling": {"rope_type": "warp", "factor": 4}}, ["warp"]),
        ({"rope_scaling": "yarn"}, ["rope_scaling"]),
        ({"rope_theta": -5}, ["rope_theta"]),
        ({"hidden_size": 4095}, ["not divisible by the head count"]),
        ({"max_position_embeddings": 2**40}, ["max_position_embeddings", "2^24"]),
        ({"rope_scaling": {"rope_type": "linear", "factor": 1e300}}, ["factor"]),
        ({"hidden_size": 10**9}, ["hidden_size"]),
        ({"text_config": {"hidden_size": 10**7}}, ["hidden_size", "65536"]),
    ],
)
def test_inspect_refuses_configs_it_cannot_analyse_quickly_and_clearly(client, change, words):
    start = time.perf_counter()
    r = client.post("/api/inspect", json={"config": LLAMA | change})
    _refused(r, *words)
    assert time.perf_counter() - start < 5


def test_oversized_inspect_body_is_refused_by_the_guard(client):
    body = b'{"config": {"pad": "' + b"x" * (300 * 1024) + b'"}}'
    r = client.post("/api/inspect", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 413 and "larger than" in r.json()["error"]


def test_tool_pages_render_with_their_scripts(client):
    for path, script in [
        ("/playground", "/static/widgets/rotation.js"),
        ("/explorer", "/static/explorer.js"),
        ("/inspector", "/static/inspector.js"),
    ]:
        r = client.get(path)
        assert r.status_code == 200, path
        assert f'<script src="{script}"></script>' in r.text
        assert "<script>" not in r.text  # no inline code: the CSP allows only the lab's own files
        assert client.get(script).status_code == 200


def test_a_long_nominal_length_is_inspected_when_a_target_length_is_given(client):
    start = time.perf_counter()
    r = client.post(
        "/api/inspect", json={"config": LLAMA | {"max_position_embeddings": 2**30}, "target_length": 4096}
    )
    assert r.status_code == 200, r.text
    assert r.json()["report"]["target_length"] == 4096
    assert time.perf_counter() - start < 5


def test_a_factor_that_would_overflow_the_wavelengths_is_refused_by_name(client):
    # a factor of 1e300 would drive θ to 0 in float32 (an infinite wavelength): refused where it enters
    config = LLAMA | {"rope_scaling": {"rope_type": "linear", "factor": 1e300}}
    r = client.post("/api/inspect", json={"config": config, "target_length": 4096})
    assert r.status_code == 400, r.text
    assert "factor" in r.json()["error"]
