"""The README and `posenc study --help` state one figure for how long the default study takes, and it
agrees with the training time measured in the committed reference run (2 CPU cores)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from posenc.study.presets import PRESETS

ROOT = Path(__file__).resolve().parents[2]


def readme_minutes() -> int:
    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    found = re.search(r"`posenc study` \(default preset, about (\d+) minutes on 2 CPU cores", text)
    assert found, "README: the default study's duration sentence moved"
    return int(found.group(1))


def help_minutes() -> int:
    found = re.search(r"~(\d+) min, 2 cores", PRESETS["default"].description)
    assert found, PRESETS["default"].description
    return int(found.group(1))


def test_readme_and_help_give_the_same_duration_for_the_default_study():
    assert readme_minutes() == help_minutes()


def test_the_duration_is_the_measured_one():
    """The figure against the committed reference's idle-machine estimate (tests.study.reference_times:
    that reference trained under load); the evaluation comes on top of the training, so the figure is at
    least the estimate, not far above it, and below the loaded total."""
    from tests.study.reference_times import idle_minutes, loaded_minutes

    path = ROOT / "src" / "posenc" / "reference" / "study-cpu-default" / "results.json"
    results = json.loads(path.read_text(encoding="utf-8"))
    assert results["preset"] == "default" and results["device"].startswith("cpu (2 logical cores")
    idle, loaded = idle_minutes(results), loaded_minutes(results)
    assert idle <= readme_minutes() <= min(1.5 * idle, loaded), (idle, readme_minutes(), loaded)


def test_the_lab_pages_give_the_help_s_durations():
    """The study and models pages say how long the presets take in a terminal: the figures of --help."""
    templates = ROOT / "src" / "posenc" / "web" / "templates"
    study = " ".join((templates / "study.html").read_text(encoding="utf-8").split())
    full = re.search(r"; ~(\d+) h, 2 cores", PRESETS["full"].description)
    assert full, PRESETS["full"].description
    assert f"--preset default</code> (about {help_minutes()} min on 2 cores)" in study
    assert f"<code>--preset full</code> (about {full.group(1)} hours on 2 cores)" in study
    models = " ".join((templates / "models.html").read_text(encoding="utf-8").split())
    assert f"in a terminal (about {help_minutes()} min on 2 cores)" in models
