"""`posenc exp NAME`: run one of the module's experiments and explain what it measured.

The experiment is a step of the learning path (:func:`path_step`): ``posenc.cli`` records it for
``posenc progress`` and ends with the path's ``Next:`` line."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from posenc.experiments import DEFAULT_OUT, EXPERIMENTS, load

HELP = "run the module's experiments: 1, 2, 3, 4, rope-base"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    # not argparse `choices`: an unknown name gets the same one-line error as every other bad input
    parser.add_argument(
        "experiment", metavar="EXPERIMENT", help=f"which experiment: {', '.join(EXPERIMENTS)}"
    )
    parser.add_argument(
        "--out", default=None, help="output folder (default results/expN/ or results/rope-base/)"
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes, finishes in seconds")
    parser.add_argument(
        "--no-train", action="store_true", help="rope-base only: skip training, keep the analytic part"
    )


def run(args: argparse.Namespace) -> int:
    module = load(args.experiment)  # ValueError naming the experiment -> one-line error from posenc.cli
    options = {}
    if args.no_train:
        if args.experiment != "rope-base":
            raise ValueError(f"--no-train applies only to experiment rope-base, not {args.experiment!r}")
        options["train"] = False
    out_dir = args.out or DEFAULT_OUT[args.experiment]
    console = Console()
    console.print(Text(f"posenc exp {args.experiment}: {module.TITLE}", style="bold"))  # wraps, never cut
    console.rule()
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console, transient=True
    ) as bar:
        task = bar.add_task("starting", total=1.0)
        results = module.run(
            out_dir,
            quick=args.quick,
            progress=lambda fraction, message: bar.update(task, completed=fraction, description=message),
            **options,
        )
    for item in module.summary(results):
        console.print(item)
    console.print(f"results: {out_dir}/results.json; plots: {', '.join(results['plots'])}")
    return 0


def path_step(args: argparse.Namespace) -> str:
    """The learning-path step a successful run completes."""
    return f"experiment:{args.experiment}"
