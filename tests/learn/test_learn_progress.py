"""`posenc progress` and its file: where it lives, what it keeps, and that a bad file never stops a
learner (reported, moved aside, replaced), and a write is all or nothing."""

from __future__ import annotations

import io
import json
import os
import sys

import pytest

from posenc.cli import main
from posenc.learn import progress
from posenc.learn.content import load_grill, load_quiz


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")


def run(argv: list[str], stdin: str, monkeypatch, capsys) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    rc = main(argv)
    out, err = capsys.readouterr()
    return rc, " ".join(out.split()), err


def saved(home) -> dict:
    return json.loads((home / "posenc" / "progress.json").read_text(encoding="utf-8"))


# --------------------------------------------------------------------------------------------------
# where the file lives
# --------------------------------------------------------------------------------------------------


def test_file_is_under_xdg_data_home(tmp_path):
    assert progress.progress_file({"XDG_DATA_HOME": str(tmp_path)}) == tmp_path / "posenc" / "progress.json"


@pytest.mark.parametrize("value", ["", "relative/dir"])  # unset, empty or relative: the XDG default
def test_file_defaults_to_local_share(value, monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    expected = tmp_path / ".local" / "share" / "posenc" / "progress.json"
    assert progress.progress_file({"XDG_DATA_HOME": value}) == expected
    assert progress.progress_file({}) == expected


# --------------------------------------------------------------------------------------------------
# what the commands record
# --------------------------------------------------------------------------------------------------


def test_quiz_records_the_score_and_the_missed_questions(progress_home, monkeypatch, capsys):
    quiz = load_quiz()
    answers = [q.answer for q in quiz.mcq]
    wrong = next(letter for letter in "abcd" if letter != answers[2])
    answers[2] = wrong
    run(["quiz", "--no-open"], "\n".join(answers) + "\n", monkeypatch, capsys)
    entry = saved(progress_home)["quiz"]
    assert (entry["score"], entry["asked"], entry["missed"]) == (4, 5, [quiz.mcq[2].id])


def test_grill_records_the_last_score_per_section_and_a_band_only_for_a_full_run(
    progress_home, monkeypatch, capsys
):
    grill = load_grill()
    d = grill.section("D").questions
    answers = "".join("\ny\n" if k == 0 else "\nn\n" for k in range(len(d)))
    run(["grill", "--section", "D"], answers, monkeypatch, capsys)
    data = saved(progress_home)
    entry = data["grill"]["sections"]["D"]
    assert (entry["score"], entry["asked"]) == (1, len(d))
    assert entry["missed"] == [q.id for q in d[1:]]
    assert data["grill"]["full"] is None

    run(["grill"], "\ny\n" * grill.total, monkeypatch, capsys)  # then the whole grill, all right
    data = saved(progress_home)
    assert data["grill"]["sections"]["D"]["score"] == len(d)  # the last score replaces the earlier one
    assert (
        data["grill"]["full"]["score"] == grill.total and data["grill"]["full"]["band"] == "Interview ready"
    )


def test_notes_and_experiments_record_the_last_step(progress_home, monkeypatch, capsys, tmp_path):
    run(["notes", "clock", "--no-pager"], "", monkeypatch, capsys)
    assert saved(progress_home)["last_step"] == "note:clock"
    run(["exp", "2", "--quick", "--out", str(tmp_path / "exp2")], "", monkeypatch, capsys)
    assert saved(progress_home)["last_step"] == "experiment:2"


def test_progress_command_shows_every_section_the_quiz_and_the_cards(progress_home, monkeypatch, capsys):
    progress.record_quiz(3, 5, ["advantage"])
    progress.record_grill({"E": (1, 7, ["E2", "E3", "E4", "E5", "E6", "E7"])}, None)
    progress.record_cards("flashcards", [7, 3])
    rc, out, err = run(["progress"], "", monkeypatch, capsys)
    assert rc == 0 and err == ""
    assert str(progress_home / "posenc" / "progress.json") in out
    assert "Quiz: 3/5" in out and "missed: question 5." in out  # `advantage` is the fifth question
    for section in load_grill().sections:
        assert f"{section.id} {section.title}" in out
    assert "1/7" in out
    assert 'Cards marked "again" in flashcards: 3, 7' in out
    # the weakest section (1 of 7) sends you back to the note that teaches it
    assert out.rstrip().endswith("Next: posenc notes rope-scaling — then posenc grill --section E")


def test_progress_with_no_file_says_nothing_is_done_and_points_at_step_one(
    progress_home, monkeypatch, capsys
):
    rc, out, err = run(["progress"], "", monkeypatch, capsys)
    assert rc == 0 and err == ""
    assert "Quiz: not taken yet" in out and "No full grill yet" in out
    assert out.rstrip().endswith("Next: posenc notes why-position — attention alone cannot see word order")
    assert not (progress_home / "posenc" / "progress.json").exists()  # showing it writes nothing


def test_progress_reset_removes_the_file(progress_home, monkeypatch, capsys):
    progress.record_step("note:clock")
    rc, out, _ = run(["progress", "--reset"], "", monkeypatch, capsys)
    assert rc == 0 and "Progress forgotten" in out
    assert not (progress_home / "posenc" / "progress.json").exists()


# --------------------------------------------------------------------------------------------------
# a bad file: reported, set aside, never a crash
# --------------------------------------------------------------------------------------------------

CORRUPT = [
    b"{not json",
    b"\xff\xfe\x00 not utf-8",
    b"[1, 2, 3]",
    json.dumps({"format": "posenc-progress/1", "quiz": {"score": 9, "asked": 5}}).encode(),
    json.dumps({"format": "posenc-progress/1", "cards": {"flashcards": {"missed": ["x"]}}}).encode(),
    json.dumps({"format": "something-else/7"}).encode(),
    b"",
]


@pytest.mark.parametrize("content", CORRUPT)
def test_a_corrupt_file_is_reported_moved_aside_and_replaced(content, progress_home, monkeypatch, capsys):
    folder = progress_home / "posenc"
    folder.mkdir(parents=True)
    (folder / "progress.json").write_bytes(content)
    rc, out, err = run(["grill", "--random", "1", "--seed", "0"], "\ny\n", monkeypatch, capsys)
    assert rc == 0 and "Score: 1/1" in out and "Traceback" not in err
    assert "your progress file" in err and "could not be read" in err and "started afresh" in err
    aside = [p for p in folder.iterdir() if p.name.startswith("progress.json.corrupt-")]
    assert len(aside) == 1 and aside[0].read_bytes() == content  # kept, for whoever wants it back
    assert progress.problem(saved(progress_home)) is None  # a fresh, valid file took its place
    assert len(saved(progress_home)["grill"]["sections"]) == 1


def test_progress_command_reports_a_corrupt_file_instead_of_crashing(progress_home, monkeypatch, capsys):
    folder = progress_home / "posenc"
    folder.mkdir(parents=True)
    (folder / "progress.json").write_text("{oops")
    rc, out, err = run(["progress"], "", monkeypatch, capsys)
    assert rc == 0 and "could not be read" in err and "Quiz: not taken yet" in out


def test_an_unwritable_folder_is_reported_and_the_quiz_still_ends(progress_home, monkeypatch, capsys):
    progress_home.mkdir(parents=True)
    (progress_home / "posenc").write_text("a file where the folder should be")
    answers = "\n".join(q.answer for q in load_quiz().mcq) + "\n"
    rc, out, err = run(["quiz", "--no-open"], answers, monkeypatch, capsys)
    assert rc == 0 and "Score: 5/5" in out and "Next:" in out
    assert "could not save your progress" in err and "Traceback" not in err


# --------------------------------------------------------------------------------------------------
# atomic writes
# --------------------------------------------------------------------------------------------------


def test_a_write_that_fails_halfway_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    file = tmp_path / "posenc" / "progress.json"
    progress.record_step("note:clock", file)
    before = file.read_bytes()

    def crash(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", crash)  # the new text is written, then the flush to disk fails
    warnings = []
    data = progress.load(file)
    data["last_step"] = "quiz"
    assert progress.save(data, file, warn=warnings.append) is False
    assert "No space left on device" in warnings[0]
    assert file.read_bytes() == before  # the old file, whole
    assert [p.name for p in file.parent.iterdir()] == ["progress.json"]  # no temporary file left


def test_a_write_replaces_the_file_in_one_step(tmp_path, monkeypatch):
    """The new content goes to a temporary file in the same folder, then ``os.replace`` onto the file."""
    file = tmp_path / "progress.json"
    replaced = []
    real_replace = os.replace

    def spy(src, dst):
        replaced.append((os.path.dirname(src), os.path.basename(src), dst))
        assert json.loads(open(src, encoding="utf-8").read())["last_step"] == "quiz"  # complete already
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    progress.record_step("quiz", file)
    assert len(replaced) == 1
    folder, name, target = replaced[0]
    assert folder == str(tmp_path) and name.startswith(".progress.json.") and str(target) == str(file)


# --------------------------------------------------------------------------------------------------
# one store for the terminal and the lab (issue 34): steps done, grill grades, exercises
# --------------------------------------------------------------------------------------------------


def test_terminal_steps_count_as_done_and_progress_shows_the_path(progress_home, monkeypatch, capsys):
    answers = "\n".join(q.answer for q in load_quiz().mcq) + "\n"
    run(["quiz", "--no-open"], answers, monkeypatch, capsys)
    progress.record_step("note:why-position")
    assert saved(progress_home)["steps"] == ["quiz", "note:why-position"]
    rc, out, _ = run(["progress"], "", monkeypatch, capsys)
    assert rc == 0 and "Path: 2 of" in out and "steps done" in out


def test_a_terminal_grill_keeps_each_questions_grade_for_the_lab(progress_home, monkeypatch, capsys):
    section = load_grill().section("D")
    answers = "".join("\ny\n" if k == 0 else "\nn\n" for k in range(len(section.questions)))
    run(["grill", "--section", "d"], answers, monkeypatch, capsys)
    grades = saved(progress_home)["grill"]["grades"]
    assert grades == {q.id: k == 0 for k, q in enumerate(section.questions)}


def test_exercises_are_kept_and_shown_and_a_pass_stays_a_pass(progress_home, monkeypatch, capsys):
    progress.record_exercise("sinusoidal", True, 8, 8)
    progress.record_exercise("sinusoidal", False, 5, 8)
    progress.record_exercise("yarn", False, 2, 6)
    data = saved(progress_home)
    assert data["exercises"]["sinusoidal"]["passed"] and data["steps"] == ["exercises"]
    rc, out, _ = run(["progress"], "", monkeypatch, capsys)
    assert "Exercises passed: sinusoidal." in out and "Exercise yarn: 2/6 cases passed" in out


def test_a_file_from_before_steps_grades_and_exercises_still_loads(progress_home):
    folder = progress_home / "posenc"
    folder.mkdir(parents=True)
    old = {"format": "posenc-progress/1", "last_step": "quiz", "quiz": None, "grill": {"sections": {}}}
    (folder / "progress.json").write_text(json.dumps(old))
    data = progress.load()
    assert data["steps"] == [] and data["exercises"] == {} and data["grill"]["grades"] == {}
    assert progress.problem({**old, "steps": [3]}) == "steps[0] is the number 3, not text"
    assert "exercises.x" in progress.problem({**old, "exercises": {"x": {"passed": "yes"}}})


def test_forget_removes_everything(progress_home):
    progress.record_exercise("yarn", True, 6, 6)
    progress.record_grill_grades({"D1": True})
    assert progress.forget() is True
    assert progress.load() == progress.empty() and progress.forget() is False


@pytest.mark.parametrize(
    "change",
    [
        {"quiz": {"score": 1, "asked": 2}},  # no when, no missed: the checker accepts it
        {"grill": {"sections": {"D": {"score": 1, "asked": 2, "missed": []}}}},  # a section without when
        {"grill": {"sections": {}, "full": {"score": 3, "band": "Strong"}}},  # grill.full without of
        {"cards": {"[/x]": {"missed": [1]}}},  # a deck named like rich markup
        {"cards": {"[bold]deck": {"missed": []}}, "quiz": {"score": 0, "asked": 1, "missed": ["[/red]"]}},
        {"exercises": {"[/x]": {"passed": False, "score": 0, "of": 1}}},
    ],
    ids=["quiz-bare", "section-no-when", "full-no-of", "deck-markup", "markup-everywhere", "exercise-markup"],
)
def test_progress_shows_every_file_its_checker_accepts(change, progress_home, monkeypatch, capsys):
    data = {
        "format": progress.FORMAT,
        "last_step": None,
        "quiz": None,
        "grill": {"sections": {}},
        "steps": [],
        "exercises": {},
        "cards": {},
    } | change
    assert progress.problem(data) is None  # the checker accepts it, so the command must show it
    folder = progress_home / "posenc"
    folder.mkdir(parents=True)
    (folder / "progress.json").write_text(json.dumps(data))
    rc, out, err = run(["progress"], "", monkeypatch, capsys)
    assert rc == 0, err
    for name in change.get("cards", {}) | change.get("exercises", {}):
        assert name in out  # shown as written, not read as markup


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('"quiz": {"score": 1, "asked": 2, "when": NaN}', "not valid JSON (NaN is not a JSON number"),
        ('"grill": {"full": {"score": 3, "band": "Strong", "of": 1e999}}', "1e999 is too large"),
        ('"cards": {"d": {"missed": [1], "when": ' + "[" * 40 + "]" * 40 + "}}", "cards.d.when is a list"),
        ('"notes": ' + "[" * 40 + "]" * 40, "nested deeper than 32 levels"),
    ],
    ids=["nan-when", "overflowing-of", "list-when", "deep-extra"],
)
def test_non_finite_numbers_and_deep_nesting_are_refused_naming_the_field(
    text, field, progress_home, monkeypatch, capsys
):
    """Issue 37: the progress file is parsed strictly against its schema; before, NaN and 1e999 were
    read as floats and shown ("on nan", "/inf") and any nesting was kept and written back."""
    folder = progress_home / "posenc"
    folder.mkdir(parents=True)
    (folder / "progress.json").write_text('{"format": "posenc-progress/1", ' + text + "}")
    rc, out, err = run(["progress"], "", monkeypatch, capsys)
    assert rc == 0 and "Traceback" not in err
    line = [x for x in err.splitlines() if "could not be read" in x]
    assert len(line) == 1 and field in line[0], err
    assert any(p.name.startswith("progress.json.corrupt-") for p in folder.iterdir())
