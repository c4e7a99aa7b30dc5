"""``posenc inspect CONFIG [CONFIG2] [--short | --pairs] [--target-length N] [--json] [--plot FILE]``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from posenc.results.jsonsafe import to_jsonable

HELP = "explain and check the RoPE set-up of a Hugging Face config.json"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "configs",
        nargs="*",
        metavar="CONFIG",
        help="a config.json, a model folder holding one, or a bundled example name (see --list); "
        "two configs are compared side by side",
    )
    parser.add_argument(
        "--target-length",
        type=int,
        default=None,
        metavar="N",
        help="length to check (default: max_position_embeddings, or factor × original length)",
    )
    view = parser.add_mutually_exclusive_group()
    view.add_argument("--short", action="store_true", help="only the summary and the warnings")
    view.add_argument("--pairs", action="store_true", help="also print the per-pair frequency ladder")
    parser.add_argument("--json", action="store_true", help="print the whole report as JSON")
    parser.add_argument(
        "--plot", metavar="FILE", help="draw wavelength and scale factor per pair to FILE (.png/.svg)"
    )
    parser.add_argument(
        "--as",
        dest="as_type",
        metavar="MODEL_TYPE",
        help="read the config as this model type (a remote-code or custom model that follows e.g. llama)",
    )
    parser.add_argument("--list", action="store_true", help="list the bundled example configs and exit")


def _describe(config: dict[str, Any]) -> str:
    """One line for --list: the model the bundled config is, and what it shows."""
    model = config.get("_name_or_path") or config.get("model_type", "")
    what = config.get("_shows")
    return f"{model} — {what}" if what else str(model)


def _next_step(args: argparse.Namespace, reports: list[dict[str, Any]]) -> str:
    name = args.configs[0]
    if len(reports) == 2:
        return f"Next: posenc inspect {name} (one of them in full), or --json for every number."
    if reports[0]["family"] != "rope":
        return "Next: posenc inspect --list (RoPE examples), or posenc notes (how encodings differ)."
    if args.short:
        return f"Next: posenc inspect {name} for the details, --pairs for every pair."
    if not args.pairs:
        return f"Next: posenc inspect {name} --pairs (every pair), or --plot ladder.png."
    return f"Next: posenc inspect {name} --plot ladder.png to draw them, or --json."


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from posenc.inspector.analysis import inspect_config
    from posenc.inspector.loading import bundled_configs, load_config
    from posenc.inspector.render import comparison_rows, render_comparison, render_report

    console = Console()
    if args.list:
        for name in bundled_configs():
            _, path, config = load_config(name)
            console.print(f"[bold]{name}[/bold]  {_describe(config)}", highlight=False, overflow="fold")
        console.print("Next: posenc inspect NAME, or posenc inspect path/to/config.json.")
        return 0
    if not args.configs:
        raise ValueError(
            "give a config: a config.json path, a model folder, or a bundled name "
            f"({', '.join(bundled_configs())})"
        )
    if len(args.configs) > 2:
        raise ValueError(
            f"give one config, or two to compare; got {len(args.configs)}: {' '.join(args.configs)}"
        )

    reports = []
    for spec in args.configs:
        name, path, config = load_config(spec)
        reports.append(
            inspect_config(
                config, name, target_length=args.target_length, path=str(path), as_type=args.as_type
            )
        )
    if args.plot:
        from posenc.inspector.plot import plot_reports

        plot_reports(reports, Path(args.plot))
    next_step = _next_step(args, reports)
    if args.json:
        out = (
            reports[0] if len(reports) == 1 else {"reports": reports, "comparison": comparison_rows(reports)}
        )
        print(json.dumps(to_jsonable(out), indent=2, allow_nan=False))
        print(next_step, file=sys.stderr)  # stdout stays pure JSON
        return 0
    if len(reports) == 1:
        render_report(reports[0], console, short=args.short, pairs=args.pairs)
    else:
        render_comparison(reports, console)
    if args.plot:
        console.print(f"plot written to {args.plot}", highlight=False)
    console.print(next_step, highlight=False)
    return 0
