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
    path = ROOT / "src" / "posenc" / "reference" / "study-cpu-default" / "results.json"
    results = json.loads(path.read_text(encoding="utf-8"))
    assert results["preset"] == "default" and results["device"].startswith("cpu (2 logical cores")
    # 32.2 min measured: 11.2 for the perplexity models, 21.0 for the retrieval arm
    training = sum(run.get("seconds") or 0 for run in results["runs"].values()) / 60
    # the evaluation comes on top of the training: the figure is at least the training, and not far above
    assert training <= readme_minutes() <= training * 1.25
