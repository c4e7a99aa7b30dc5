"""What ``posenc`` with no command shows a learner: the goals, the learning path step by step with the
command for each (``data/path.yaml``), and one ``Next:`` line — the step after the last one taken
here (``posenc progress``), or step 1.

:func:`show` prints it; ``posenc.cli`` calls it before its list of commands.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from posenc.learn import progress
from posenc.learn.path import load_goals, load_path
from posenc.learn.terminal import inline, path_next_line, print_next


def render(console: Console, last_step: str | None = None) -> None:
    """The goals and the path; the step ``last_step`` (a :attr:`Step.key`) is marked as the last taken."""
    console.print(Text("posenc: positional encoding in transformers, learned by running it", style="bold"))
    console.print("By the end you can:")
    goals = Table.grid(padding=(0, 1))
    goals.add_column(no_wrap=True)
    goals.add_column()
    for goal in load_goals():
        goals.add_row(" •", inline(goal))
    console.print(goals)
    console.print()
    console.print(Text("The learning path", style="bold") + Text(" (the same steps as the lab, posenc lab):"))
    table = Table.grid(padding=(0, 1))
    table.add_column(justify="right", no_wrap=True)
    table.add_column(ratio=1)
    table.add_column(no_wrap=True, style="cyan")
    for step in load_path():
        here = step.key == last_step
        number = Text(f"{'›' if here else ' '}{step.number}", style="bold" if here else "")
        table.add_row(number, inline(step.title), " ".join(step.command.split()))
    console.print(table)
    if last_step:
        console.print(Text("› the last step you took here (posenc progress: scores and cards)", style="dim"))
    console.print(Text("Commands and their options: posenc --help", style="dim"))


def show(console: Console | None = None) -> None:
    """Print the path and the ``Next:`` line that follows the learner's last step."""
    from posenc.learn.terminal import make_console

    console = make_console() if console is None else console
    last = progress.load()["last_step"]
    render(console, last)
    print_next(console, path_next_line(last))
