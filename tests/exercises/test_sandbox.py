"""The exercise checker as a sandbox (issue 37): the learner's children die with it at the time limit,
the limit is a finite positive number, what the learner's code writes is never taken for a result, odd
results are one-line failures, and a file that imports posenc's reference or solutions is refused."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import time

import pytest
import torch

from posenc.cli import main
from posenc.exercises.catalog import find
from posenc.exercises.check import _read_result, check_file, render


def one_case(name: str):
    exercise = find(name)
    return dataclasses.replace(exercise, build=lambda: list(exercise.cases[:1]))


def _write(tmp_path, text: str, name: str = "mine.py"):
    path = tmp_path / name
    path.write_text(text)
    return path


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1][0] != "Z"  # a zombie is dead, waiting to be reaped
    except (FileNotFoundError, ProcessLookupError):
        return False


FORKS = """# posenc exercise: alibi-slopes
import os, subprocess, sys, time
import torch


def alibi_slopes(n_heads):
    {start}
    with open({pidfile!r}, "w") as f:
        f.write(str(child))
    {then}
"""


@pytest.mark.parametrize(
    ("start", "then"),
    [
        (
            "child = os.fork()\n    if child == 0:\n        time.sleep(120)\n        os._exit(0)",
            "while True: pass",
        ),
        (
            "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']).pid",
            "while True: pass",
        ),
        ("child = subprocess.Popen(['sleep', '120']).pid", "return torch.zeros(n_heads)"),
    ],
    ids=["fork-then-hang", "popen-then-hang", "popen-then-return"],
)
def test_children_of_the_learners_code_are_killed_at_the_time_limit(tmp_path, start, then):
    pidfile = tmp_path / "child.pid"
    path = _write(tmp_path, FORKS.format(start=start, then=then, pidfile=str(pidfile)))
    began = time.monotonic()
    report = check_file(path, one_case("alibi-slopes"), time_limit=1.0)
    assert time.monotonic() - began < 60, "the checker waited for the learner's sleeping child"
    assert not report.passed and len(report.results) == 1, render(report)
    child = int(pidfile.read_text())
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child), "the learner's child outlived the check"


@pytest.mark.parametrize("limit", ["nan", "inf", "-inf", "0", "-1", "1e300"])
def test_the_time_limit_must_be_a_finite_positive_number(tmp_path, capsys, limit):
    path = find("alibi-slopes").solution_path
    assert main(["exercise", "check", str(path), f"--time-limit={limit}"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--time-limit must be a finite number of seconds" in err[0], err
    with pytest.raises(ValueError, match="time_limit must be a finite number"):
        check_file(path, time_limit=float(limit))


FORGER = """# posenc exercise: alibi-slopes
import json, os, sys, time
import torch


def alibi_slopes(n_heads):
    workdir = sys.argv[3]
    torch.save({"kind": "tensor"}, os.path.join(workdir, "out-0.pt"))
    os.write(1, (json.dumps({"event": "done", "case": 0, "changed": "xyz"}) + "\\n").encode())
    print(json.dumps({"event": "done", "case": 0, "changed": []}), file=sys.__stdout__, flush=True)
    time.sleep(1)
    return torch.zeros(n_heads)
"""


def test_a_forged_answer_on_stdout_and_a_forged_result_file_are_not_taken(tmp_path):
    report = check_file(_write(tmp_path, FORGER), one_case("alibi-slopes"))
    text = render(report)
    assert not report.passed and "max abs error" in text, text  # its real result (zeros) was judged
    assert any('"event": "done"' in line for line in report.printed)  # the forgery went to the log


SUBCLASS = """# posenc exercise: alibi-slopes
import torch


class Mine(torch.Tensor):
    pass


class Hostile(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        raise RuntimeError("no tensor operations on me")


def alibi_slopes(n_heads):
    return {value}
"""


def test_a_tensor_subclass_answer_is_judged_as_its_values(tmp_path):
    solution = find("alibi-slopes").solution()
    right = _write(tmp_path, solution.replace("return torch.tensor(slopes, dtype=torch.float32)",
                                              "return torch.tensor(slopes).as_subclass(Mine)")
                   + "\n\nclass Mine(torch.Tensor):\n    pass\n")  # fmt: skip
    assert check_file(right, one_case("alibi-slopes")).passed
    wrong = check_file(_write(tmp_path, SUBCLASS.format(value="torch.zeros(n_heads).as_subclass(Mine)")))
    assert not wrong.passed and "max abs error" in render(wrong)


def test_a_result_that_cannot_be_read_back_is_a_one_line_failure(tmp_path):
    nested = "(lambda r: [r := [r] for _ in range(100_000)][-1])([])"  # export() recurses into it
    report = check_file(_write(tmp_path, SUBCLASS.format(value=nested)), one_case("alibi-slopes"))
    [result] = report.results
    assert not result.passed and len(result.lines) == 1, result.lines
    assert "cannot read back" in result.lines[0] and "RecursionError" in result.lines[0]


@pytest.mark.parametrize(
    ("content", "sha", "words"),
    [
        (b"garbage", "right", "could not be read back"),
        (b"garbage", "0" * 64, "changed after the checker's worker wrote it"),
        ("payload", "right", "does not hold a result"),
    ],
)
def test_a_forged_result_file_is_a_one_line_failure(tmp_path, content, sha, words):
    file = tmp_path / "out-0.pt"
    if content == "payload":
        torch.save({"kind": "tensor"}, file)  # no value: compare() would have crashed on it
    else:
        file.write_bytes(content)
    digest = hashlib.sha256(file.read_bytes()).hexdigest() if sha == "right" else sha
    payload, problem = _read_result(file, digest)
    assert payload is None and words in problem


IMPORTS = """# posenc exercise: alibi-slopes
open({marker!r}, "w").close()
{code}


def alibi_slopes(n_heads):
    return slopes(n_heads)
"""


@pytest.mark.parametrize(
    ("code", "named"),
    [
        ("from posenc.exercises.solutions.alibi_slopes import alibi_slopes as slopes", "solutions"),
        ("from posenc.encodings.alibi import slopes", "own implementation"),
        ("import posenc.encodings.alibi as a\nslopes = a.slopes", "own implementation"),
        ("from posenc import encodings\nslopes = encodings.alibi.slopes", "own implementation"),
        ("slopes = __import__('posenc.encodings.alibi', fromlist=['x']).slopes", "own implementation"),
        (
            "import importlib\nslopes = importlib.import_module('posenc.exercises.solutions.alibi_slopes')"
            ".alibi_slopes",
            "solutions",
        ),
        ("import sys\nimport posenc.encodings\nslopes = sys.modules['posenc.encodings'].alibi.slopes", "own"),
    ],
)
def test_a_file_that_uses_posencs_reference_is_refused_by_name_without_running(tmp_path, code, named):
    marker = tmp_path / "ran"
    path = _write(tmp_path, IMPORTS.format(marker=str(marker), code=code))
    report = check_file(path, one_case("alibi-slopes"))
    assert not report.passed and not report.results
    assert re.match(r"mine.py line [34] uses posenc", report.problem) and named in report.problem, (
        report.problem
    )
    assert not marker.exists(), "the file was run"
    assert render(report).rstrip().splitlines()[-1].startswith("Next: fix that")


def test_printing_without_end_is_read_back_bounded(tmp_path):
    path = _write(tmp_path, "# posenc exercise: alibi-slopes\nimport sys\nsys.stderr.write('x' * 5_000_000)\n"
                            "def alibi_slopes(n_heads):\n    return None\n")  # fmt: skip
    report = check_file(path, one_case("alibi-slopes"))
    assert sum(len(line) for line in report.printed) <= 64 * 1024
    assert os.path.getsize(path) < 1000
