"""The study's figures drawn from a synthetic results file."""

import pytest

from posenc.study import plots

from .synthetic import synthetic_results

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
STEMS = ("ppl_vs_length", "rope_scaling", "passkey", "retrieval_vs_ppl", "rope_base_sweep")


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    out = tmp_path_factory.mktemp("plots")
    results = synthetic_results()
    return out, results, plots.make_plots(results, out)


def test_every_plot_is_written_as_png_and_svg(drawn):
    out, _, names = drawn
    assert sorted(names) == sorted(f"{s}.{ext}" for s in STEMS for ext in ("png", "svg"))
    for stem in STEMS:
        png = (out / f"{stem}.png").read_bytes()
        assert png[:8] == PNG_SIGNATURE and len(png) > 10_000, stem
        svg = (out / f"{stem}.svg").read_text(encoding="utf-8")
        assert "<svg" in svg and "</svg>" in svg
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]  # no temp files left


def test_plots_name_every_encoding_and_method(drawn):
    out, results, _ = drawn
    svg = (out / "ppl_vs_length.svg").read_text(encoding="utf-8")
    for entry in results["encodings"].values():
        assert entry["label"] in svg
    svg = (out / "rope_scaling.svg").read_text(encoding="utf-8")
    for method in ("linear", "ntk", "dynamic", "yarn", "minimind_yarn", "pi-finetune"):
        assert method in svg
    svg = (out / "rope_base_sweep.svg").read_text(encoding="utf-8")
    assert "base 1e2" in svg and "rope-1e6-4L" in svg


def test_only_the_retrieval_panel_counts_the_arm_s_seeds(drawn):
    """'k of n seeds' is how many retrieval-arm seeds learned at L: the left panel shows the language
    models, every seed of them, under their plain labels."""
    out, results, _ = drawn
    svg = (out / "retrieval_vs_ppl.svg").read_text(encoding="utf-8")
    n = len(results["seeds"])
    assert n > 1 and svg.count(f"of {n} seeds)") == len(results["retrieval"])
