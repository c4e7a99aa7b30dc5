"""rope-base: the analytic part against closed forms; the trained part end to end (tiny, --quick)."""

import cmath
import math

import pytest

from posenc.experiments import exp_rope_base

BASES = {"1e+02": 1e2, "1e+04": 1e4, "1e+05": 1e5, "1e+06": 1e6}


@pytest.fixture(scope="module")
def analytic(tmp_path_factory, load_results):
    out = tmp_path_factory.mktemp("rope-base-no-train")
    exp_rope_base.run(out, quick=True, train=False)
    return out, load_results(out)


@pytest.mark.parametrize("key", BASES)
def test_wavelengths_and_pairs_that_turn_within_the_training_length(analytic, key):
    results = analytic[1]
    d, length, base = results["settings"]["head_dim"], results["settings"]["train_length"], BASES[key]
    entry = results["numbers"]["wavelengths"][key]
    expected = [2 * math.pi * base ** (2 * i / d) for i in range(d // 2)]
    assert entry["wavelength"] == pytest.approx(expected, rel=1e-6)
    assert entry["longest"] == pytest.approx(2 * math.pi * base ** ((d - 2) / d), rel=1e-6)
    assert entry["pairs_full_turn_within_L"] == sum(lam <= length for lam in expected)
    assert entry["max_angle_at_L_slowest_pair"] == pytest.approx(length * base ** (-(d - 2) / d), rel=1e-6)


@pytest.mark.parametrize("key", BASES)
def test_decay_bound(analytic, key):
    decay = analytic[1]["numbers"]["decay"]
    d, base = decay["head_dim"], BASES[key]
    for delta in (1, 64, 1024):
        partial, total = 0j, 0.0
        for k in range(d // 2):
            partial += cmath.exp(1j * delta * base ** (-2 * k / d))
            total += abs(partial)
        tol = (d // 2) * delta * 6e-8 + 1e-9  # float32 θ from the library: angles off by ≤ Δ·6e-8 rad
        assert decay["bases"][key]["roformer_bound"][decay["distances"].index(delta)] == pytest.approx(
            total / (d // 2), abs=tol
        )


def test_no_train_skips_perplexity(analytic, check_plots):
    out, results = analytic
    assert results["settings"]["trained"] is False
    assert results["numbers"]["perplexity"] is None
    check_plots(out, results, ["wavelengths_and_decay"])


def test_quick_run_trains_one_model_per_base_and_evaluates_beyond_the_training_length(
    tmp_path, load_results, check_plots
):
    results = exp_rope_base.run(tmp_path, quick=True)
    on_disk = load_results(tmp_path)
    assert on_disk == results
    length = results["settings"]["train_length"]
    ppl = results["numbers"]["perplexity"]
    assert set(ppl) == set(BASES)
    for key, entry in ppl.items():
        assert entry["steps"] == results["settings"]["train"]["steps"], key
        assert [row["length"] for row in entry["rows"]] == [length, 2 * length, 4 * length]
        at_l = entry["rows"][0]
        assert math.isclose(at_l["ppl"], math.exp(at_l["loss"]), rel_tol=1e-6)
        assert 1 < at_l["ppl"] < 256, key  # it learned something: better than uniform over 256 bytes
        for row in entry["rows"]:
            assert math.isfinite(row["last_ppl"]) and row["last"] == length
    check_plots(tmp_path, results, ["wavelengths_and_decay", "perplexity_vs_length"])
    # a quick run is a smoke test, and its plot says so
    assert "SMOKE TEST" in (tmp_path / "perplexity_vs_length.svg").read_text(encoding="utf-8")


def test_both_panels_at_the_trained_head_dim_with_a_trend(analytic):
    out, results = analytic
    decay, d = results["numbers"]["decay"], results["settings"]["head_dim"]
    assert decay["head_dim"] == d  # the decay panel is about the model that was trained, like the ladder
    for key, entry in decay["bases"].items():
        assert len(entry["roformer_bound_trend"]) == len(decay["distances"]), key
    svg = (out / "wavelengths_and_decay.svg").read_text(encoding="utf-8")
    assert svg.count(f"head_dim {d}") >= 2 and "head_dim 64" not in svg
    text = " ".join(str(item) for item in exp_rope_base.summary(results) if isinstance(item, str))
    assert "compare trends" in text and "within 10 % of it" in text


def _earlier_trained_results(out, load_results, **changes) -> dict:
    """results.json as a trained run in ``out`` would have left it (perplexities made up, settings real)."""
    import json

    results = load_results(out)
    results["settings"] |= {"trained": True, **changes}
    rows = [{"length": 64, "multiple": 1.0, "windows": 8, "loss": 3.0, "ppl": 20.1, "last": 64,
             "last_loss": 3.0, "last_ppl": 20.1}]  # fmt: skip
    results["numbers"]["perplexity"] = {key: {"run": "runs/x", "rows": rows} for key in BASES}
    (out / "results.json").write_text(json.dumps(results))
    for ext in ("png", "svg"):
        (out / f"perplexity_vs_length.{ext}").write_text("an earlier plot")
    return results


def test_no_train_keeps_the_perplexities_of_an_earlier_run_with_the_same_settings(tmp_path, load_results):
    exp_rope_base.run(tmp_path, quick=True, train=False)
    earlier = _earlier_trained_results(tmp_path, load_results)
    results = exp_rope_base.run(tmp_path, quick=True, train=False)
    assert load_results(tmp_path)["numbers"]["perplexity"] == earlier["numbers"]["perplexity"]
    assert "perplexity_vs_length.png" in results["plots"]
    assert (tmp_path / "perplexity_vs_length.svg").read_text() != "an earlier plot"  # redrawn from them
    text = " ".join(str(item) for item in exp_rope_base.summary(results) if isinstance(item, str))
    assert "measured by the earlier trained run in this folder" in text


def test_no_train_after_a_run_with_other_settings_leaves_no_stale_plot(tmp_path, load_results):
    exp_rope_base.run(tmp_path, quick=True, train=False)
    _earlier_trained_results(tmp_path, load_results, eval_windows=999)
    results = exp_rope_base.run(tmp_path, quick=True, train=False)
    assert results["numbers"]["perplexity"] is None
    assert not (tmp_path / "perplexity_vs_length.png").exists()
    assert not (tmp_path / "perplexity_vs_length.svg").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix in (".png", ".svg")) == sorted(
        results["plots"]
    )
