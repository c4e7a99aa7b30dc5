"""`posenc quiz`, `grill`, `cards` and `notes` driven from a pipe, as a user would.

The commands read answers line by line from standard input; here stdin is a StringIO (and one
test uses a real pipe through a subprocess). COLUMNS is widened so rich does not wrap the text
the tests look for.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys

import pytest

from posenc.cli import main
from posenc.learn.content import LETTERS, load_grill, load_notes_index, load_quiz


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")


def run(argv: list[str], stdin: str, monkeypatch, capsys) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    rc = main(argv)
    out, err = capsys.readouterr()
    return rc, " ".join(out.split()), err  # collapse whitespace: rich pads and wraps


def flat(text: str) -> str:
    return " ".join(text.split())


def plain(markdown: str) -> str:
    """One line of content Markdown as the terminal shows it: emphasis and code marks dropped, $…$ math
    as its text (the content writes formulas as LaTeX, like the notes)."""
    from posenc.learn.terminal import inline

    return flat(inline(markdown).plain)


RIGHT = [q.answer for q in load_quiz().mcq]
WRONG = [next(letter for letter in LETTERS if letter != right) for right in RIGHT]


def test_quiz_all_right_scores_5_of_5(monkeypatch, capsys):
    rc, out, err = run(["quiz", "--no-open"], "\n".join(RIGHT) + "\n", monkeypatch, capsys)
    assert rc == 0 and err == ""
    assert "Score: 5/5" in out
    assert out.count("Correct:") == 5


def test_quiz_all_wrong_scores_0_and_explains_every_option(monkeypatch, capsys):
    rc, out, _ = run(["quiz", "--no-open"], "\n".join(WRONG) + "\n", monkeypatch, capsys)
    assert rc == 0
    assert "Score: 0/5" in out
    for mcq, wrong in zip(load_quiz().mcq, WRONG, strict=True):
        assert f"you chose {wrong}, the answer is {mcq.answer}" in out
        for option in mcq.options:
            assert plain(option.why) in out, option.why[:40]
    assert "*" not in out and "`" not in out  # no raw Markdown on the screen


def test_quiz_reasks_on_invalid_answer_and_accepts_upper_case(monkeypatch, capsys):
    answers = ["x", "", RIGHT[0].upper()] + RIGHT[1:]
    _, out, _ = run(["quiz", "--no-open"], "\n".join(answers) + "\n", monkeypatch, capsys)
    assert out.count("Please answer one of: a, b, c, d") == 2
    assert "Score: 5/5" in out


def test_quiz_end_of_input_gives_partial_score(monkeypatch, capsys):
    rc, out, err = run(["quiz"], f"{RIGHT[0]}\n{WRONG[1]}\n", monkeypatch, capsys)
    assert rc == 0 and "Traceback" not in out + err
    assert "Input ended after 2 of 5 questions." in out
    assert "Score: 1/2" in out


def test_quiz_open_questions_and_completion_check_follow(monkeypatch, capsys):
    _, out, _ = run(["quiz"], "\n".join(RIGHT) + "\n\n\n", monkeypatch, capsys)
    quiz = load_quiz()
    assert "Score: 5/5" in out
    assert "Reference answer" in out and "Completion check" in out
    assert plain(quiz.completion_check[0]) in out


def test_quiz_answers_prints_the_key(monkeypatch, capsys):
    rc, out, _ = run(["quiz", "--answers"], "", monkeypatch, capsys)
    assert rc == 0
    for mcq in load_quiz().mcq:
        right = next(o for o in mcq.options if o.correct)
        assert f"{mcq.answer}) {flat(right.text)[:30]}" in out


def test_quiz_from_a_real_pipe():
    answers = "\n".join(RIGHT) + "\n"
    proc = subprocess.run(
        [sys.executable, "-m", "posenc", "quiz", "--no-open"],
        input=answers,
        capture_output=True,
        text=True,
        timeout=120,
        env={"COLUMNS": "200", "PATH": "", "PYTHONIOENCODING": "utf-8"},
    )
    assert proc.returncode == 0, proc.stderr
    assert "Score: 5/5" in proc.stdout


def test_grill_section_from_pipe_scores_lists_the_missed_and_gives_no_band(monkeypatch, capsys):
    section = load_grill().section("D")
    n = len(section.questions)
    answers = "".join("\ny\n" if k % 2 == 0 else "\nn\n" for k in range(n))
    rc, out, _ = run(["grill", "--section", "d"], answers, monkeypatch, capsys)
    score = (n + 1) // 2
    assert rc == 0
    assert f"Score: {score}/{n}" in out
    assert "Band:" not in out and "scaled to" not in out  # a band is for all 45 questions only
    assert f"No band: bands are for all 45 questions, and {n} say too little" in out
    assert all(f"· {q.id} ·" in out for q in section.questions)
    assert "block diagonal" in out  # the first model answer was revealed
    missed = [q for k, q in enumerate(section.questions) if k % 2 == 1]
    listed = out.split("Missed (")[1]
    assert listed.startswith(f"{len(missed)}), with the note that teaches each:")
    for q in missed:  # each missed question, in full, then the note that teaches it
        assert f"{q.id} {plain(q.question)} → posenc notes {q.note}" in listed
    for q in section.questions[::2]:
        assert f"{q.id} {plain(q.question)}" not in listed


def test_grill_full_run_reaches_top_band(monkeypatch, capsys):
    rc, out, _ = run(["grill"], "\ny\n" * 45, monkeypatch, capsys)
    assert rc == 0
    assert "Score: 45/45 Band: Interview ready" in out
    assert "Missed" not in out


@pytest.mark.parametrize("right", [0, 1, 3])
def test_grill_random_3_gives_no_band_whatever_the_score(right, monkeypatch, capsys):
    answers = "".join("\ny\n" if k < right else "\nn\n" for k in range(3))
    rc, out, _ = run(["grill", "--random", "3", "--seed", "5"], answers, monkeypatch, capsys)
    assert rc == 0 and f"Score: {right}/3" in out
    assert "Band:" not in out and "scaled to" not in out
    assert not any(band.label in out for band in load_grill().bands)


def test_grill_end_of_input_gives_partial_score(monkeypatch, capsys):
    rc, out, err = run(["grill"], "\ny\n\nmaybe\nn\n\n", monkeypatch, capsys)
    assert rc == 0 and "Traceback" not in out + err
    assert "Please answer y or n" in out
    assert "Input ended after 2 of 45 questions." in out
    assert "Score: 1/2" in out


def test_grill_random_is_repeatable_with_a_seed(monkeypatch, capsys):
    from posenc.learn.grill import select

    grill = load_grill()
    first = [q.id for q in select(grill, None, 5, 7)]
    assert first == [q.id for q in select(grill, None, 5, 7)]
    assert len(set(first)) == 5
    assert all(q.section in "EF" for q in select(grill, "E,F", 100, 1))
    _, out, _ = run(["grill", "--random", "2", "--seed", "7"], "\ny\n\ny\n", monkeypatch, capsys)
    assert f"1/2 · {first[0]} ·" in out and "Score: 2/2" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["grill", "--section", "Z"], "unknown grill section 'Z'"),
        (["grill", "--random", "0"], "--random must be"),
    ],
)
def test_grill_bad_options_give_one_line_errors(argv, message, monkeypatch, capsys):
    rc, _, err = run(argv, "", monkeypatch, capsys)
    assert rc == 2 and message in err and "Traceback" not in err


def test_grill_list_prints_every_question(monkeypatch, capsys):
    rc, out, _ = run(["grill", "--list"], "", monkeypatch, capsys)
    assert rc == 0 and all(f"{q.id}." in out for q in load_grill().questions)


@pytest.mark.parametrize(("deck", "count"), [("flashcards", 10), ("self-check", 5), ("walkthrough", 14)])
def test_cards_flip_through_a_deck(deck, count, monkeypatch, capsys):
    # flip with Enter, then Enter again: "got it" (graded decks) or the next card (the walk-through)
    rc, out, _ = run(["cards", "--deck", deck], "\n" * (2 * count), monkeypatch, capsys)
    assert rc == 0
    assert f"Went through {count} of {count} cards." in out
    assert f"Card {count} of {count}" in out or f"Card {count}/{count}" in out


def test_cards_end_of_input_and_quit(monkeypatch, capsys):
    _, out, err = run(["cards", "--shuffle", "--seed", "1"], "\n\n\n", monkeypatch, capsys)
    assert "Went through 1 of 10 cards." in out and "Traceback" not in err
    _, out, _ = run(["cards"], "q\n", monkeypatch, capsys)
    assert "Went through 0 of 10 cards." in out


def test_cards_again_brings_a_card_back_in_the_session_and_first_next_time(
    progress_home, monkeypatch, capsys
):
    # card 1: again; cards 2, 3, 4: got it; card 1 is back after three cards: got it; then the rest
    answers = "\na\n" + "\ng\n" * 3 + "\ng\n" + "\n\n" * 6
    rc, out, _ = run(["cards"], answers, monkeypatch, capsys)
    assert rc == 0
    assert "Card 1 comes back 3 cards later." in out
    order = re.findall(r"Card (\d+) of 10 ·", out)
    assert order[:6] == ["1", "2", "3", "4", "1", "5"]
    assert "Went through 10 of 10 cards." in out
    assert "You marked 1 card again (1): they come first next time." in out
    saved = json.loads((progress_home / "posenc" / "progress.json").read_text())
    assert saved["cards"]["flashcards"]["missed"] == [1]
    # next session: card 1 first; got at once, it leaves the list
    _, out, _ = run(["cards", "--shuffle", "--seed", "3"], "\n\n" * 10, monkeypatch, capsys)
    assert "1 card you marked again last time comes first." in out
    assert re.findall(r"Card (\d+) of 10 ·", out)[0] == "1"
    saved = json.loads((progress_home / "posenc" / "progress.json").read_text())
    assert saved["cards"]["flashcards"]["missed"] == []


def test_cards_reask_on_an_unknown_grade(monkeypatch, capsys):
    _, out, _ = run(["cards", "--deck", "self-check"], "\nmaybe\ngot it\n", monkeypatch, capsys)
    assert "Please answer one of: a, again, g, got, got it (or q to stop)." in out
    assert "Went through 1 of 5 cards." in out


def test_notes_lists_topics(monkeypatch, capsys):
    rc, out, _ = run(["notes"], "", monkeypatch, capsys)
    assert rc == 0 and all(t.id in out for t in load_notes_index())


@pytest.mark.parametrize("topic", [t.id for t in load_notes_index()])
def test_every_notes_topic_renders(topic, monkeypatch, capsys):
    rc, out, err = run(["notes", topic, "--no-pager"], "", monkeypatch, capsys)
    assert rc == 0 and err == ""
    title = next(t.title for t in load_notes_index() if t.id == topic)
    assert flat(title) in out
    assert "{{" not in out and len(out) > 1000


def test_piped_notes_lines_carry_no_trailing_spaces():
    for argv in (["notes"], ["notes", "1"]):
        out = subprocess.run(
            [sys.executable, "-m", "posenc", *argv], capture_output=True, text=True, check=True
        ).stdout
        padded = [line for line in out.splitlines() if line != line.rstrip()]
        assert padded == [], (argv, padded[:3])


def test_notes_markdown_has_numbers_filled_in(monkeypatch, capsys):
    rc, out, _ = run(["notes", "frequencies", "--markdown"], "", monkeypatch, capsys)
    assert rc == 0 and "| 31 |" in out and "{{" not in out


def test_notes_pager_is_used_on_a_terminal(monkeypatch, capsys):
    import pydoc

    from rich.console import Console

    paged = []
    monkeypatch.setattr(Console, "is_terminal", property(lambda self: True))
    monkeypatch.setattr(pydoc, "pager", paged.append)
    rc, _, _ = run(["notes", "clock"], "", monkeypatch, capsys)
    assert rc == 0 and len(paged) == 1 and "clock" in paged[0]


def test_notes_unknown_topic_is_a_one_line_error(monkeypatch, capsys):
    rc, _, err = run(["notes", "no-such-topic"], "", monkeypatch, capsys)
    assert rc == 2 and "unknown notes topic 'no-such-topic'" in err
