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


def test_the_stated_worst_case_times_hold_for_the_caps():
    """README and --help say how long the default and full studies take when no retrieval model meets
    its criterion before its cap: at least the training that takes, and not far above it."""
    import re
    from pathlib import Path

    from posenc.study.presets import PRESETS

    readme = " ".join((Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8").split())
    from tests.study.reference_times import FULL_EVAL_MINUTES, idle_minutes

    # the default reference trained under load: its idle-machine estimate (tests.study.reference_times)
    default = idle_minutes(_reference("study-cpu-default"), PRESETS["default"].retrieval_steps)
    said = int(re.search(r"up to ~(\d+) if no retrieval model passes", PRESETS["default"].description)[1])
    assert f"up to about {said} if no retrieval model passes its check before its cap" in readme
    assert default <= said <= 1.25 * default  # 34 min of training with every arm model at 2000 steps
    # the full reference trained over several sessions, in parts: its steps at the default's idle rates
    full_runs = _reference("study-cpu-full")
    rates = _reference("study-cpu-default")
    full = (idle_minutes(full_runs, PRESETS["full"].retrieval_steps, rates) + FULL_EVAL_MINUTES) / 60
    said = float(re.search(r"up to ~([\d.]+) h if no retrieval model passes", PRESETS["full"].description)[1])
    assert f"up to about {said:g} if no retrieval model passes its check before its cap" in readme
    assert full <= said <= 1.25 * full  # 2.8 h with every arm model at its cap of 3000 steps
    typical = (idle_minutes(full_runs, None, rates) + FULL_EVAL_MINUTES) / 60
    said = float(re.search(r"; ~([\d.]+) h, 2 cores", PRESETS["full"].description)[1])
    assert f"length, the retrieval arm per seed; about {said:g} hours on 2 CPU cores" in readme
    assert abs(said - typical) <= 0.25 * typical  # 1.8 h as the reference's models took to criterion
