"""The terminal at 80 columns, as a learner meets it: nothing cut (grill questions, quiz answers, note
tables), no raw Markdown marks, one ``Next:`` line at the end of every command, and a real terminal
(a pty) driving `posenc grill --random 3`: a few answers get a score and no band."""

from __future__ import annotations

import io
import os
import re
import select
import subprocess
import sys
import time

import pytest
from rich.cells import cell_len

from posenc.cli import main
from posenc.learn import numbers
from posenc.learn.content import load_grill, load_notes_index, load_quiz
from posenc.learn.path import load_path, next_step
from posenc.learn.terminal import inline, next_line

WIDTH = 80


@pytest.fixture(autouse=True)
def terminal_80(monkeypatch):
    monkeypatch.setenv("COLUMNS", str(WIDTH))


def run(argv: list[str], monkeypatch, capsys, stdin: str = "") -> str:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return out


def flat(text: str) -> str:
    return " ".join(text.split())


def plain(markdown: str) -> str:
    return flat(inline(markdown).plain)


def assert_fits(out: str) -> None:
    wide = [line for line in out.splitlines() if cell_len(line) > WIDTH]
    assert not wide, wide[:3]


EMPHASIS = re.compile(r"(?<![\w*])\*{1,2}[^\s*][^*\n]*\*{1,2}(?![\w*])")  # *word* or **words**


def assert_no_markdown_marks(out: str) -> None:
    assert "`" not in out, [line for line in out.splitlines() if "`" in line][:3]
    assert not EMPHASIS.search(out), EMPHASIS.search(out).group(0)


# --------------------------------------------------------------------------------------------------
# 80 columns: nothing cut
# --------------------------------------------------------------------------------------------------


def test_grill_list_shows_every_section_and_every_question_whole(monkeypatch, capsys):
    out = run(["grill", "--list"], monkeypatch, capsys)
    assert_fits(out)
    assert_no_markdown_marks(out)
    text, grill = flat(out), load_grill()
    for section in grill.sections:
        assert f"{section.id}. {section.title} ({len(section.questions)} questions)" in text
        for q in section.questions:  # the whole question (a panel title would have cut it)
            assert f"{q.id}. {plain(q.question)}" in text, q.id
    assert "Model answer" in text


def test_grill_answers_keep_their_formulas_whole(monkeypatch, capsys):
    """A code block in a model answer wraps instead of losing its end at the panel's edge."""
    out = run(["grill", "--list", "--section", "D"], monkeypatch, capsys)
    assert_fits(out)
    assert "i = 0 … d/2 − 1" in flat(out.replace("│", " "))  # the end of D4's formula, wrapped, not cut


def test_grill_help_names_the_sections(monkeypatch, capsys):
    with pytest.raises(SystemExit):
        main(["grill", "--help"])
    out = capsys.readouterr().out
    assert_fits(out)
    for section in load_grill().sections:
        assert f"  {section.id}  {section.title} ({len(section.questions)})" in out


def test_quiz_answer_key_is_a_readable_list(monkeypatch, capsys):
    out = run(["quiz", "--answers"], monkeypatch, capsys)
    assert_fits(out)
    assert_no_markdown_marks(out)
    text = flat(out)
    for number, mcq in enumerate(load_quiz().mcq, 1):
        right = next(o for o in mcq.options if o.correct)
        assert f"{number}. {plain(mcq.question)}" in text
        assert f"answer: {mcq.answer}) {plain(right.text)}" in text
        assert f"why: {plain(right.why)}" in text
    for number, q in enumerate(load_quiz().open_questions, 1):
        assert f"Open question {number}. {plain(q.question)}" in text


def test_quiz_session_has_no_raw_markdown(monkeypatch, capsys):
    wrong = ["a" if q.answer != "a" else "b" for q in load_quiz().mcq]
    out = run(["quiz", "--no-open"], monkeypatch, capsys, "\n".join(wrong) + "\n")
    assert_fits(out)
    assert_no_markdown_marks(out)


def test_note_table_keeps_every_number_whole(monkeypatch, capsys):
    """The frequencies note's 32-row table at 80 columns: every θ and λ whole, in one style."""
    out = run(["notes", "frequencies", "--no-pager"], monkeypatch, capsys)
    assert_fits(out)
    table = numbers.value("wavelength_table")
    cells = [c.strip() for line in table.splitlines()[2:] for c in line.strip("|").split("|")]
    for cell in cells:
        assert cell in out, cell  # on one line: no number folded across two
    assert "4,080,185" in out and "1.540 × 10⁻⁶" in out
    assert not re.search(r"\de[+-]\d", out)  # 47,117, not 4.712e+04


@pytest.mark.parametrize("topic", [t.id for t in load_notes_index() if t.id != "code"])
def test_notes_show_no_scientific_e_notation(topic, monkeypatch, capsys):
    out = run(["notes", topic, "--no-pager"], monkeypatch, capsys)
    code_blocks = re.sub(r"```.*?```", "", out, flags=re.S)
    assert not re.search(r"\d\.\d+e[+-]\d", code_blocks), re.search(r".{30}\d\.\d+e[+-]\d.{10}", out)


# --------------------------------------------------------------------------------------------------
# one Next: line, last
# --------------------------------------------------------------------------------------------------

ALL_RIGHT = "\n".join(q.answer for q in load_quiz().mcq) + "\n"

COMMANDS = {
    "notes list": (["notes"], ""),
    "notes topic": (["notes", "clock", "--no-pager"], ""),
    "notes all": (["notes", "all", "--no-pager"], ""),
    "quiz": (["quiz"], ALL_RIGHT + "\n\n"),
    "quiz stopped": (["quiz"], "a\n"),
    "quiz key": (["quiz", "--answers"], ""),
    "grill": (["grill", "--random", "2", "--seed", "1"], "\ny\n\nn\n"),
    "grill list": (["grill", "--list", "--section", "J"], ""),
    "cards": (["cards", "--deck", "self-check"], "\n\n" * 5),
    "cards walkthrough": (["cards", "--deck", "walkthrough"], "\n" * 28),
    "progress": (["progress"], ""),
}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_ends_with_one_next_line(name, monkeypatch, capsys):
    argv, stdin = COMMANDS[name]
    out = run(argv, monkeypatch, capsys, stdin)
    lines = [line.rstrip() for line in out.splitlines() if line.strip()]
    assert lines[-1].startswith("Next: "), lines[-3:]
    assert sum(line.startswith("Next:") for line in lines) == 1
    assert cell_len(lines[-1]) <= WIDTH


def test_experiment_ends_with_the_next_step_of_the_path(monkeypatch, capsys, tmp_path):
    out = run(["exp", "2", "--quick", "--out", str(tmp_path)], monkeypatch, capsys)
    following = next_step("experiment:2")
    assert out.rstrip().splitlines()[-1] == next_line(following.command, following.why)


def test_notes_next_line_follows_the_path(monkeypatch, capsys):
    out = run(["notes", "clock", "--no-pager"], monkeypatch, capsys)
    assert (
        out.rstrip().splitlines()[-1]
        == "Next: posenc exp 3 — unique positions and the long-term decay, measured"
    )


def test_next_line_drops_the_reason_rather_than_pass_80_columns():
    assert next_line("posenc exp 3", "short") == "Next: posenc exp 3 — short"
    long = next_line(
        "posenc lab  (then open Explorer)", "wavelengths per pair for any head_dim, base and scaling"
    )
    assert long == "Next: posenc lab (then open Explorer)"
    for step in load_path():
        assert len(next_line(step.command, step.why)) <= WIDTH


def test_quiz_recap_lists_the_missed_questions_with_their_notes(monkeypatch, capsys):
    quiz = load_quiz()
    answers = [q.answer for q in quiz.mcq]
    missed = [1, 3]
    for i in missed:
        answers[i] = "a" if answers[i] != "a" else "b"
    out = flat(run(["quiz", "--no-open"], monkeypatch, capsys, "\n".join(answers) + "\n"))
    recap = out.split("To review (2 missed):")[1]
    for i in missed:
        mcq = quiz.mcq[i]
        right = next(o for o in mcq.options if o.correct)
        assert (
            f"Q{i + 1} {plain(mcq.question)} you: {answers[i]}; answer: {mcq.answer}) {plain(right.text)}"
            in recap
        )
        assert f"→ posenc notes {mcq.note}" in recap
    assert "Q1 " not in recap
    assert out.endswith(f"Next: posenc notes {quiz.mcq[1].note} — for Q2, the first of the 2 you missed")


# --------------------------------------------------------------------------------------------------
# a real terminal: `posenc grill --random 3`, one right answer -> a score, no band
# --------------------------------------------------------------------------------------------------

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


class Pty:
    """A child process on a pseudo-terminal of 80 × 40: what the learner's shell would give it."""

    def __init__(self, argv: list[str], env: dict[str, str]):
        import fcntl
        import pty
        import struct
        import termios

        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, WIDTH, 0, 0))
        attrs = termios.tcgetattr(slave)
        attrs[3] |= termios.ECHO | termios.ICANON  # a terminal in its usual mode: typed lines echo
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
        os.close(slave)
        self.seen = ""

    def expect(self, text: str, timeout: float = 90) -> str:
        """Read until ``text`` appears in the output (ANSI codes removed); returns all read so far."""
        end = time.monotonic() + timeout
        while text not in self.seen:
            if time.monotonic() > end:
                raise AssertionError(f"timed out waiting for {text!r}; last output: {self.seen[-600:]!r}")
            if not self._read(end - time.monotonic()):
                raise AssertionError(f"output ended before {text!r}: {self.seen[-600:]!r}")
        return self.seen

    def send(self, line: str) -> None:
        os.write(self.master, (line + "\r").encode())

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], max(timeout, 0))
        if not ready:
            return True
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # EIO: the child closed the terminal
            return False
        if not chunk:
            return False
        self.seen += ANSI.sub("", chunk.decode("utf-8", "replace")).replace("\r", "")
        return True

    def finish(self, timeout: float = 60) -> str:
        end = time.monotonic() + timeout
        while self._read(end - time.monotonic()) and time.monotonic() < end:
            pass
        self.proc.wait(timeout=10)
        os.close(self.master)
        return self.seen


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal (POSIX)")
def test_grill_random_3_on_a_terminal_one_right_answer_gives_no_band(tmp_path):
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "TERM": "xterm-256color",
        "PYTHONIOENCODING": "utf-8",
        "LANG": "C.UTF-8",
    }
    term = Pty([sys.executable, "-m", "posenc", "grill", "--random", "3", "--seed", "11"], env)
    for k, grade in enumerate(("y", "n", "n"), 1):
        term.expect(f"{k}/3 ·")
        term.expect("Press Enter to reveal the answer")
        term.send("")
        term.expect("[y/n]:")
        term.send(grade)
    out = term.finish()
    assert term.proc.returncode == 0, out[-800:]
    assert "Score: 1/3" in out
    assert "No band" in out and "Band:" not in out and "scaled to" not in out
    assert not any(band.label in out for band in load_grill().bands), out[-800:]
    assert "Missed (2), with the note that teaches each:" in out
    report = out[out.rindex("Score: 1/3") :]  # the prompts above share lines with the terminal's echo
    lines = [line for line in report.splitlines() if line.strip()]
    assert lines[-1].startswith("Next: posenc notes ")
    assert all(cell_len(line.rstrip()) <= WIDTH for line in lines), lines
