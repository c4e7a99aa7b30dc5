"""``posenc quiz < /dev/zero`` read one unbounded line (22 GB in 29 s, issue 37): every read from
standard input is bounded, and a longer line is refused in one line."""

import io
import resource
import subprocess
import sys

import pytest

from posenc.cli import main
from posenc.learn.quiz import MAX_ANSWER


def test_a_line_without_end_is_refused_in_one_line(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("x" * 10_000_000))
    assert main(["quiz", "--no-open"]) == 2
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("posenc quiz: error: an answer on standard input"), lines
    assert f"longer than {MAX_ANSWER} characters" in lines[0]
    assert "x" * 100 not in out  # the answer is not echoed


def test_answers_up_to_the_bound_are_read_as_before(monkeypatch, capsys):
    answers = ["x" * MAX_ANSWER, "b", "c", "d", "b", "a"]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(answers) + "\n"))
    assert main(["quiz", "--no-open"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert out.count("Please answer one of: a, b, c, d") == 1 and "Score: " in out


def _limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))  # the old code filled memory: stop at 2 GiB


def test_dev_zero_ends_at_once_in_little_memory(tmp_path):
    with open("/dev/zero", "rb") as zero:
        proc = subprocess.run(
            [sys.executable, "-m", "posenc", "quiz"],
            stdin=zero,
            capture_output=True,
            text=True,
            timeout=60,
            preexec_fn=_limit_memory,
            env={"XDG_DATA_HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "PYTHONPATH": ":".join(sys.path)},
        )
    assert proc.returncode == 2, proc.stderr[-500:]
    assert "longer than" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


class _CountingStream(io.StringIO):
    """Standard input that records the most characters one read asked for (-1: unbounded)."""

    asked: list[int]

    def readline(self, size=-1):
        self.asked.append(size)
        return super().readline(size)


@pytest.mark.parametrize(
    "argv",
    [["grill", "--random", "1", "--seed", "0"], ["cards", "--deck", "flashcards"]],
    ids=["grill", "cards"],
)
def test_every_prompter_bounds_its_reads_not_only_the_quiz(argv, monkeypatch, capsys, tmp_path):
    """Issue 37: `posenc quiz` was bounded, but learn/terminal.Prompter.line (grill, cards) still read
    one unbounded line."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    stream = _CountingStream("x" * 10_000_000)
    stream.asked = []
    monkeypatch.setattr(sys, "stdin", stream)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"longer than {MAX_ANSWER} characters" in err[0], err
    assert stream.asked and all(0 < size <= MAX_ANSWER + 1 for size in stream.asked)
