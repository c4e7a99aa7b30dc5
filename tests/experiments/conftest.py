"""Shared checks for the experiment tests: results.json on disk and the plot files beside it."""

import json
from pathlib import Path

import pytest

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _load_results(out: Path) -> dict:
    """results.json as written to disk (what the web lab will read), not the returned dict."""
    return json.loads((out / "results.json").read_text(encoding="utf-8"))


def _check_plots(out: Path, results: dict, stems: list[str]) -> None:
    """Every expected plot exists as a non-empty PNG and SVG, and results.json lists exactly those files."""
    expected = sorted(f"{stem}.{ext}" for stem in stems for ext in ("png", "svg"))
    assert sorted(results["plots"]) == expected
    for stem in stems:
        png, svg = out / f"{stem}.png", out / f"{stem}.svg"
        assert png.read_bytes()[:8] == PNG_SIGNATURE, png
        assert png.stat().st_size > 10_000, png  # a real figure, not an empty canvas
        text = svg.read_text(encoding="utf-8")
        assert "<svg" in text and "</svg>" in text, svg
    leftovers = [p.name for p in out.iterdir() if p.name.startswith(".")]
    assert not leftovers, f"temporary files left behind: {leftovers}"


@pytest.fixture(autouse=True)
def progress_home(tmp_path_factory, monkeypatch):
    """`posenc exp` records the step for `posenc progress`: in a temporary folder, not the user's."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-data")))


@pytest.fixture(scope="session")
def load_results():
    return _load_results


@pytest.fixture(scope="session")
def check_plots():
    return _check_plots
