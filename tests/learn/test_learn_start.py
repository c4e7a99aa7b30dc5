"""What `posenc` with no command shows (posenc.learn.start): the goals, every step of the path with its
command, readable at 80 columns, and a Next: line that follows the learner's last step."""

from __future__ import annotations

import io

from rich.cells import cell_len
from rich.console import Console

from posenc.learn import progress, start
from posenc.learn.path import load_goals, load_path, next_step
from posenc.learn.terminal import next_line


def shown() -> str:
    console = Console(width=80, file=io.StringIO(), color_system=None, highlight=False)
    start.show(console)
    return console.file.getvalue()


def test_every_goal_and_every_step_with_its_command_fits_80_columns():
    out = shown()
    assert all(cell_len(line.rstrip()) <= 80 for line in out.splitlines())
    text = " ".join(out.split())
    for goal in load_goals():
        assert " ".join(goal.split()) in text
    for step in load_path():
        assert " ".join(step.command.split()) in out  # a command is never wrapped
        row = next(
            line for line in out.splitlines() if line.split()[:1] in ([str(step.number)], [f"›{step.number}"])
        )
        assert " ".join(step.command.split()) in row  # the command on the step's own line
        assert row.split()[1] == step.title.split()[0], row


def test_a_new_learner_is_sent_to_step_one():
    first = load_path()[0]
    assert shown().rstrip().splitlines()[-1] == next_line(first.command, first.why)


def test_the_next_line_follows_the_last_step_taken():
    progress.record_step("note:clock")
    out = shown()
    following = next_step("note:clock")
    assert out.rstrip().splitlines()[-1] == next_line(following.command, following.why)
    marked = [line for line in out.splitlines() if "›" in line]
    assert "The clock analogy" in marked[0] and "the last step you took here" in marked[1]
