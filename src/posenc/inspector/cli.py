"""``posenc inspect CONFIG [CONFIG2] [--target-length N] [--json] [--plot FILE]``."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

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
    parser.add_argument("--json", action="store_true", help="print the whole report as JSON")
    parser.add_argument(
        "--plot", metavar="FILE", help="draw wavelength and scale factor per pair to FILE (.png/.svg)"
    )
    parser.add_argument("--list", action="store_true", help="list the bundled example configs and exit")


def _finite(value: Any) -> Any:
    """JSON has no inf/NaN: they become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from posenc.inspector.analysis import inspect_config
    from posenc.inspector.loading import bundled_configs, load_config
    from posenc.inspector.render import comparison_rows, render_comparison, render_report

    console = Console()
    if args.list:
        for name in bundled_configs():
            _, path, config = load_config(name)
            console.print(f"[bold]{name}[/bold]  {config.get('_name_or_path', '')}", highlight=False)
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
        reports.append(inspect_config(config, name, target_length=args.target_length, path=str(path)))
    if args.plot:
        from posenc.inspector.plot import plot_reports

        plot_reports(reports, Path(args.plot))
    if args.json:
        out = (
            reports[0] if len(reports) == 1 else {"reports": reports, "comparison": comparison_rows(reports)}
        )
        print(json.dumps(_finite(out), indent=2, allow_nan=False))
    elif len(reports) == 1:
        render_report(reports[0], console)
    else:
        render_comparison(reports, console)
    if args.plot and not args.json:
        console.print(f"plot written to {args.plot}", highlight=False)
    return 0
