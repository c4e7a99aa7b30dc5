"""`posenc` with no command shows the learning path; the encodings table fits 80 columns uncut."""

from __future__ import annotations

import os
import subprocess
import sys

from posenc.encodings import FAMILIES
from posenc.learn.path import load_path


def posenc(*args: str, tmp_path) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "80", "XDG_DATA_HOME": str(tmp_path), "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "posenc", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_no_command_shows_every_step_and_where_to_start(tmp_path):
    done = posenc(tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    steps = load_path()
    for step in steps:
        assert " ".join(step.command.split()) in " ".join(out.split()), step.command
    last = [line for line in out.splitlines() if line.strip()][-1]
    assert last.startswith("Next: ") and steps[0].command in last  # no progress yet: step 1
    assert max(len(line.rstrip()) for line in out.splitlines()) <= 80


def test_help_still_lists_the_commands(tmp_path):
    done = posenc("--help", tmp_path=tmp_path)
    assert done.returncode == 0 and "inspect" in done.stdout and "lab" in done.stdout


def test_encodings_table_wraps_long_names_at_80_columns(tmp_path):
    done = posenc("encodings", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "…" not in out  # rich marks a cut cell with an ellipsis
    assert max(len(line.rstrip()) for line in out.splitlines()) <= 80
    rows: list[list[str]] = []  # a row's lines: a new row starts where the name column is filled
    for line in out.splitlines():
        if line.startswith("│"):
            cells = [c.strip() for c in line.split("│")[1:-1]]
            if cells[0]:
                rows.append(["", "", "", ""])
            rows[-1] = [f"{have}{cell}" for have, cell in zip(rows[-1], cells, strict=True)]
    shown = {row[0]: "".join(row[3].split()) for row in rows}  # name -> its reference, wrapping undone
    for family in FAMILIES.values():
        assert shown[family.name] == "".join(family.reference.split()), family.reference
    assert len(shown) == len(FAMILIES)
    assert out.rstrip().splitlines()[-1].startswith("Next: ")
