"""Wall time of a study resumed over several sessions: each session adds its own to results.json's."""

from __future__ import annotations

import json

from posenc.study.run import _earlier_wall_time


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
