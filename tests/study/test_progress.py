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
