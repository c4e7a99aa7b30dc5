"""The study's progress when stderr is not a terminal (a log file): one plain line per stage."""

from __future__ import annotations

from posenc.study.run import _Bar


def test_stages_are_printed_as_lines_with_percentage_and_eta_when_not_a_terminal(capsys):
    with _Bar(True, total=200.0) as bar:
        bar.describe("training nope-s0 (600 steps)")
        bar.advance(50.0)
        bar.skip(100.0)  # cached work leaves the total: 50 of 100 done
        bar.describe("evaluating nope-s0 (none)")
    lines = [line for line in capsys.readouterr().err.splitlines() if "min elapsed" in line]
    assert len(lines) == 2, lines
    assert "0.0%" in lines[0] and "training nope-s0 (600 steps)" in lines[0] and "ETA" in lines[0]
    assert "50.0%" in lines[1] and lines[1].endswith("evaluating nope-s0 (none)")


def test_disabled_bar_prints_nothing(capsys):
    with _Bar(False, total=10.0) as bar:
        bar.describe("training")
        bar.advance(5.0)
    assert capsys.readouterr().err == ""


def test_eta_is_the_time_left_at_this_session_s_average_rate(capsys):
    # 25 of 100 units in 60 s: 75 units left at 25 units a minute is 3 min, however the work came in
    # (the study advances once per model, so a rate from the last few seconds would swing wildly)
    now = [0.0]
    with _Bar(True, total=125.0, clock=lambda: now[0]) as bar:
        bar.skip(25.0)  # cached: neither work done nor work left
        assert bar.eta_s() is None  # nothing done yet: no rate to go by
        now[0] = 60.0
        bar.advance(25.0)
        assert bar.eta_s() == 180.0
        bar.describe("training t5-s0 (600 steps)")
        now[0] = 120.0  # another minute passes with no work done: the rate halves, the ETA doubles
        assert bar.eta_s() == 360.0
    line = next(line for line in capsys.readouterr().err.splitlines() if "t5-s0" in line)
    assert "25.0%" in line and "ETA 3 min" in line, line
