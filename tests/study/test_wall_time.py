"""Wall time of a study resumed over several sessions: each session adds its own, a killed one too."""

from __future__ import annotations

import json

from posenc.study.run import WALL_FILE, _earlier_wall_time


def test_earlier_sessions_of_the_same_preset_count(tmp_path):
    assert _earlier_wall_time(tmp_path, "full") == (0.0, 0)  # no results.json yet
    (tmp_path / "results.json").write_text(json.dumps({"preset": "full", "wall_time_s": 4248.0}))
    assert _earlier_wall_time(tmp_path, "full") == (4248.0, 1)  # written before totals existed
    (tmp_path / "results.json").write_text(
        json.dumps({"preset": "full", "wall_time_s": 6.0, "wall_time_total_s": 4254.0, "sessions": 2})
    )
    assert _earlier_wall_time(tmp_path, "full") == (4254.0, 2)


def test_another_preset_or_a_broken_file_adds_nothing(tmp_path):
    (tmp_path / "results.json").write_text(json.dumps({"preset": "quick", "wall_time_s": 30.0}))
    assert _earlier_wall_time(tmp_path, "full") == (0.0, 0)
    for broken in (
        "{not json",
        "[]",
        json.dumps({"preset": "full"}),
        json.dumps({"preset": "full", "wall_time_s": "x"}),
    ):
        (tmp_path / "results.json").write_text(broken)
        assert _earlier_wall_time(tmp_path, "full") == (0.0, 0), broken


def test_report_and_cli_state_the_total_when_resumed():
    from posenc.study.report import wall_time_text

    assert (
        wall_time_text({"wall_time_s": 90.0, "wall_time_total_s": 90.0, "sessions": 1}) == "wall time 1.5 min"
    )
    resumed = {"wall_time_s": 6.0, "wall_time_total_s": 4254.0, "sessions": 2}
    assert wall_time_text(resumed) == "wall time 70.9 min over 2 sessions (this one 0.1 min)"
    resumed["trained_this_session"] = ["b"]  # a ledger of every session: nothing went untimed
    resumed["runs"] = {"a": {}, "b": {}}
    assert wall_time_text(resumed) == "wall time 70.9 min over 2 sessions (this one 0.1 min)"


def test_a_study_resumed_before_the_ledger_says_its_wall_time_is_the_last_session_s():
    """The full reference: resumed over sessions before posenc kept wall_time.json, so its "1 session"
    timed only the last one, in which 21 of its 63 models trained."""
    from posenc.study.report import wall_time_text
    from posenc.study.results import untimed_models

    results = {"wall_time_s": 4127.0, "sessions": 1, "runs": {f"m{i}": {} for i in range(63)}}
    results["trained_this_session"] = [f"m{i}" for i in range(42, 63)]
    assert untimed_models(results) == 42
    assert wall_time_text(results) == (
        "wall time 68.8 min of the last session only (42 of the 63 models trained in earlier sessions, "
        "before posenc kept a study's wall time)"
    )
    results["trained_this_session"] = list(results["runs"])
    assert untimed_models(results) == 0 and wall_time_text(results) == "wall time 68.8 min"


def test_a_wall_time_that_is_not_finite_is_refused_where_read_never_printed_as_inf(tmp_path):
    """Issue 37: ``"wall_time_total_s": 1e999`` (JSON reads it as inf) printed "wall time inf min"."""
    import pytest

    from posenc.study.report import wall_time_text
    from posenc.study.results import wall_seconds

    bad = json.loads('{"preset": "full", "wall_time_s": 6.0, "wall_time_total_s": 1e999, "sessions": 2}')
    with pytest.raises(ValueError, match="'wall_time_total_s' is inf, not a finite number"):
        wall_time_text(bad)
    with pytest.raises(ValueError, match="wall_time_total_s"):
        wall_seconds(bad)
    (tmp_path / "results.json").write_text(json.dumps(bad).replace("Infinity", "1e999"))
    assert _earlier_wall_time(tmp_path, "full") == (0.0, 0)  # not carried into the next session's total


def test_the_ledger_counts_before_results_json(tmp_path):
    """OUT/wall_time.json, rewritten as each run ends, is read first: it counts a session that was killed
    before it wrote results.json."""
    (tmp_path / "results.json").write_text(
        json.dumps({"preset": "full", "wall_time_s": 6.0, "wall_time_total_s": 4254.0, "sessions": 2})
    )
    (tmp_path / WALL_FILE).write_text(
        json.dumps({"preset": "full", "wall_time_s": 600.0, "wall_time_total_s": 4854.0, "sessions": 3})
    )
    assert _earlier_wall_time(tmp_path, "full") == (4854.0, 3)
    (tmp_path / WALL_FILE).write_text(json.dumps({"preset": "full", "wall_time_s": "x"}))
    assert _earlier_wall_time(tmp_path, "full") == (0.0, 0)  # broken: not carried on


def test_a_session_killed_mid_study_keeps_its_wall_time(tmp_path, monkeypatch):
    """The quick study, stopped (as by Ctrl-C) at its first evaluation: its training time is on record in
    wall_time.json, and the next session starts its count from there."""
    import pytest

    import posenc.evaluate
    from posenc.study.run import run_study

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(posenc.evaluate, "evaluate_run", killed)
    with pytest.raises(KeyboardInterrupt):
        run_study("quick", tmp_path / "study", progress=False)
    out = tmp_path / "study"
    assert not (out / "results.json").exists()
    ledger = json.loads((out / WALL_FILE).read_text())
    logs = [log.read_text().splitlines() for log in (out / "runs").glob("*/log.jsonl")]
    ends = [json.loads(line) for lines in logs for line in lines]
    trained_s = [e["elapsed_s"] for e in ends if e.get("event") == "end"]
    assert len(trained_s) == 1  # the first model, trained before the kill
    assert ledger["preset"] == "quick" and ledger["sessions"] == 1
    assert ledger["wall_time_total_s"] == ledger["wall_time_s"] >= trained_s[0]
    assert _earlier_wall_time(out, "quick") == (ledger["wall_time_total_s"], 1)
