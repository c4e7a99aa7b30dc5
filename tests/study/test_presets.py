"""The study's presets: what it trains, kept in step with what the experiments teach."""

from posenc.experiments.exp_rope_base import BASES
from posenc.study.presets import SWEEP_BASES


def test_the_rope_base_sweep_uses_the_rope_base_experiments_bases():
    assert list(SWEEP_BASES) == BASES


def _reference(name: str) -> dict:
    import json

    import posenc.reference

    path = posenc.reference.root() / name / "results.json"
    return json.loads(path.read_text(encoding="utf-8"))


def _worst_case_minutes(reference: dict, cap: int) -> float:
    """The reference's training time with every retrieval model run to ``cap`` steps (none passing its
    check), at the reference's own seconds per retrieval step (2 CPU cores)."""
    runs = reference["runs"].values()
    lm = sum(r["seconds"] for r in runs if r["role"] != "retrieval")
    arm = [r for r in runs if r["role"] == "retrieval"]
    per_step = sum(r["seconds"] for r in arm) / sum(r["steps"] for r in arm)
    return (lm + len(arm) * cap * per_step) / 60


def test_the_stated_worst_case_times_hold_for_the_caps():
    """README and --help say how long the default and full studies take when no retrieval model meets
    its criterion before its cap: at least the training that takes, and not far above it."""
    import re
    from pathlib import Path

    from posenc.study.presets import PRESETS

    readme = " ".join((Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8").split())
    from tests.study.reference_times import idle_minutes

    # the default reference trained under load: its idle-machine estimate (tests.study.reference_times)
    default = idle_minutes(_reference("study-cpu-default"), PRESETS["default"].retrieval_steps)
    said = int(re.search(r"up to ~(\d+) if no retrieval model passes", PRESETS["default"].description)[1])
    assert f"up to about {said} if no retrieval model passes its check before its cap" in readme
    assert default <= said <= 1.25 * default  # 34 min of training with every arm model at 2000 steps
    full = _worst_case_minutes(_reference("study-cpu-full"), PRESETS["full"].retrieval_steps) / 60
    said = float(re.search(r"up to ~([\d.]+) h if no retrieval model passes", PRESETS["full"].description)[1])
    assert "up to about 5 if no retrieval model passes its check before its cap" in readme and said == 5
    assert full <= said <= 1.25 * full  # 4.5 h of training with every arm model at 3000 steps
