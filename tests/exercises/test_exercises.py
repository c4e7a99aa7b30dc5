"""The exercises and their checker: every reference solution passes; every known-wrong solution in
wrong/ fails with the hint of its mistake (or the message of its failure); a learner's file that
raises, hangs, exits or does not parse gets a plain message, never a traceback from the checker.

Each file in wrong/ says what the checker must print about it: ``# expect-hint: KEY`` (the text of
that hint of the exercise) and ``# expect: TEXT`` (a piece of the report).
"""

from __future__ import annotations

import ast
import dataclasses
import io
import re
from pathlib import Path

import pytest
import torch

from posenc.cli import main
from posenc.exercises.catalog import EXERCISES, find
from posenc.exercises.check import check_file, detect, render

WRONG = Path(__file__).with_name("wrong")
WRONG_FILES = sorted(WRONG.glob("*.py"))


def expectations(path: Path) -> tuple[list[str], list[str]]:
    text = path.read_text(encoding="utf-8")
    return re.findall(r"^# expect-hint: (\S+)", text, re.M), re.findall(r"^# expect: (.+)$", text, re.M)


def short(name: str, cases: int = 2):
    """The exercise with only its first ``cases`` cases (for files that cost a time limit per case)."""
    exercise = find(name)
    return dataclasses.replace(exercise, build=lambda: list(exercise.cases[:cases]))


# --------------------------------------------------------------------------------------------------
# reference solutions
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(EXERCISES))
def test_reference_solution_passes_every_case(name):
    """The from-scratch solution agrees with the library (the cases' expected values) everywhere."""
    exercise = EXERCISES[name]
    report = check_file(exercise.solution_path)
    assert report.exercise is exercise
    assert report.passed, render(report)
    assert len(report.results) == len(exercise.cases) >= 5
    assert f"All {len(exercise.cases)} cases pass." in render(report)


def test_the_exercises_cover_the_issue_list():
    """sinusoidal PE, RoPE frequencies, apply in both layouts, the relative-position property, ALiBi
    slopes, NTK and YaRN — plus attention (where v must not be rotated)."""
    functions = {e.function for e in EXERCISES.values()}
    assert {
        "sinusoidal_table",
        "rope_frequencies",
        "rope_apply_half",
        "rope_apply_interleaved",
        "relative_position_scores",
        "alibi_slopes",
        "ntk_frequencies",
        "yarn_frequencies",
        "rope_attention",
    } <= functions


@pytest.mark.parametrize("name", list(EXERCISES))
def test_cases_span_dtypes_lengths_and_head_dims(name):
    labels = " | ".join(c.label for c in EXERCISES[name].cases)
    if name.startswith("rope-apply"):
        for needle in ("fp32", "bf16", "past a 4096 training length", "partial rotary", "odd h_d", "h_d 6"):
            assert needle in labels, needle
    if name in ("sinusoidal", "rope-frequencies"):
        assert "must raise ValueError" in labels  # odd dims are refused


@pytest.mark.parametrize("name", list(EXERCISES))
def test_every_mistake_names_a_hint_and_differs_from_the_answer(name):
    from posenc.exercises.catalog import _close

    exercise = EXERCISES[name]
    for case in exercise.cases:
        for key in case.shape_hints.values():
            assert key in exercise.hints
        for mistake in case.mistakes:
            assert mistake.hint in exercise.hints, (case.label, mistake.hint)
            if mistake.hint != "precision":  # a near miss is the answer within a loose tolerance
                expected = case.expected if mistake.part is None else case.expected[mistake.part]
                assert not _close(mistake.value, expected, case.atol, case.rtol), (case.label, mistake.hint)


# --------------------------------------------------------------------------------------------------
# known-wrong solutions: one per usual mistake, and the files that raise, hang, exit, …
# --------------------------------------------------------------------------------------------------


def test_every_usual_mistake_has_a_wrong_solution():
    hints = {key for path in WRONG_FILES for key in expectations(path)[0]}
    usual = ("pairs_half", "pairs_interleaved", "rotate_v", "swapped", "bf16", "off_by_one", "precision")
    assert set(usual) <= hints, set(usual) - hints


@pytest.mark.parametrize("path", WRONG_FILES, ids=[p.stem for p in WRONG_FILES])
def test_wrong_solution_fails_with_its_hint(path):
    hints, messages = expectations(path)
    assert hints or messages, f"{path.name} says nothing about what to expect"
    source = path.read_text(encoding="utf-8")
    exercise = detect(source, path)
    slow = any(m.startswith(("did not finish", "ended")) for m in messages)
    report = check_file(path, short(exercise.name) if slow else exercise, time_limit=2.0 if slow else 10.0)
    text = render(report)
    assert not report.passed, text
    for key in hints:
        assert " ".join(exercise.hints[key].split()) in " ".join(text.split()), f"{path.name}: {key}\n{text}"
    for message in messages:
        assert message in " ".join(text.split()), f"{path.name}: {message!r}\n{text}"
    assert "Traceback" not in text and "posenc/exercises" not in text, text
    assert text.rstrip().splitlines()[-1].startswith("Next: fix")


def test_a_hanging_case_is_stopped_and_the_next_case_still_runs():
    report = check_file(WRONG / "half_hangs.py", short("rope-apply-half"), time_limit=1.0)
    assert [r.number for r in report.results] == [1, 2]
    assert all("did not finish within 1 s" in r.lines[0] for r in report.results)


def test_a_file_that_does_not_parse_names_the_line(tmp_path):
    bad = tmp_path / "mine.py"
    bad.write_text("# posenc exercise: rope-apply-half\n\ndef rope_apply_half(x, positions, inv_freq):\n"
                   "    return x[..., :half\n")  # fmt: skip
    report = check_file(bad)
    assert report.problem.startswith("mine.py line 4: SyntaxError") and not report.results
    assert "Traceback" not in render(report)


def test_a_missing_function_is_named_with_its_arguments(tmp_path):
    other = tmp_path / "mine.py"
    other.write_text("# posenc exercise: alibi-slopes\n\ndef slopes(n):\n    return n\n")
    report = check_file(other)
    assert report.problem == "mine.py defines no function alibi_slopes(n_heads)"


def test_the_exercise_is_found_by_header_or_by_function_name(tmp_path):
    plain = tmp_path / "plain.py"
    plain.write_text("def ntk_frequencies(head_dim, base, factor):\n    return None\n")
    assert detect(plain.read_text(), plain).name == "ntk-frequencies"
    unknown = tmp_path / "unknown.py"
    unknown.write_text("def something():\n    pass\n")
    with pytest.raises(ValueError, match="cannot tell which exercise unknown.py is"):
        detect(unknown.read_text(), unknown)


def test_report_lines_fit_80_columns():
    report = check_file(WRONG / "yarn_minimind.py")
    for line in render(report).splitlines():
        assert len(line) <= 80 or line.startswith("Next:"), line


# --------------------------------------------------------------------------------------------------
# templates and the command
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(EXERCISES))
def test_template_is_signature_and_docstring_without_a_body(name):
    exercise = EXERCISES[name]
    tree = ast.parse(exercise.template())
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef))
    assert fn.name == exercise.function
    docstring = ast.get_docstring(fn)
    assert "Returns" in docstring and ("[" in docstring or "float" in docstring)  # shapes stated
    assert len(fn.body) == 2 and isinstance(fn.body[1], ast.Raise)
    assert exercise.template().startswith(f"# posenc exercise: {name}\n")


def run_cli(argv, monkeypatch, capsys, stdin: str = ""):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(["exercise", *argv])
    out = capsys.readouterr().out
    return code, out


def test_list_shows_every_exercise_then_next(monkeypatch, capsys):
    code, out = run_cli(["list"], monkeypatch, capsys)
    assert code == 0
    for name in EXERCISES:
        assert name in out
    assert out.rstrip().splitlines()[-1].startswith("Next: `posenc exercise start sinusoidal`")


def test_start_writes_the_template_and_check_says_it_is_not_written_yet(tmp_path, monkeypatch, capsys):
    code, out = run_cli(["start", "alibi-slopes", str(tmp_path)], monkeypatch, capsys)
    target = tmp_path / "alibi_slopes.py"
    assert code == 0 and target.is_file()
    next_line = f"Next: write the body, then run `posenc exercise check {target}`."
    assert out.rstrip().splitlines()[-1] == next_line
    assert f"posenc exercise check {target}" in target.read_text()
    code, out = run_cli(["start", "alibi-slopes", str(tmp_path)], monkeypatch, capsys)
    assert code == 2  # refuses to overwrite the learner's work
    code, out = run_cli(["check", str(target)], monkeypatch, capsys)
    assert code == 1
    assert "not written yet: it raises NotImplementedError" in out and "the same as case 1" in out
    assert out.rstrip().splitlines()[-1].startswith("Next: fix case 1")


def test_check_exits_0_only_when_every_case_passes(monkeypatch, capsys):
    code, out = run_cli(["check", str(find("alibi-slopes").solution_path)], monkeypatch, capsys)
    assert code == 0 and "All 11 cases pass." in out
    assert out.rstrip().splitlines()[-1] == "Next: `posenc exercise start ntk-frequencies`"
    code, _ = run_cli(["check", str(WRONG / "alibi_from_zero.py")], monkeypatch, capsys)
    assert code == 1


def test_solution_asks_first_and_yes_skips_the_question(monkeypatch, capsys):
    code, out = run_cli(["solution", "yarn"], monkeypatch, capsys, stdin="n\n")
    assert code == 0 and "def yarn_frequencies" not in out and "Not shown" in out
    assert out.rstrip().splitlines()[-1].startswith("Next:")
    code, out = run_cli(["solution", "yarn"], monkeypatch, capsys, stdin="")  # end of input: no
    assert "def yarn_frequencies" not in out
    code, out = run_cli(["solution", "yarn"], monkeypatch, capsys, stdin="y\n")
    assert code == 0 and "def yarn_frequencies" in out and "[y/N]" in out
    code, out = run_cli(["solution", "yarn", "--yes"], monkeypatch, capsys)
    assert "[y/N]" not in out and find("yarn").solution() in out
    assert out.rstrip().splitlines()[-1].startswith("Next:")


def test_unknown_exercise_is_a_one_line_error(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["exercise", "start", "nope"]) == 2
    assert "unknown exercise 'nope'" in capsys.readouterr().err


def test_show_prints_the_template(monkeypatch, capsys):
    code, out = run_cli(["show", "rope-apply-interleaved"], monkeypatch, capsys)
    assert code == 0 and find("rope-apply-interleaved").template() in out


def test_cases_do_not_share_inputs_with_expected_values():
    """The worker gets copies of the inputs (saved to files): a function that changes its input cannot
    change what it is compared with."""
    case = find("rope-apply-half").cases[0]
    x = case.args[0]
    assert isinstance(x, torch.Tensor) and x.data_ptr() != case.expected.data_ptr()
