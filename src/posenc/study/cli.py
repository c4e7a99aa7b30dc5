"""``posenc study [--preset quick|default|full|gpu] [--out results/study]``: the extrapolation study."""

from __future__ import annotations

import argparse

from posenc.study.presets import PRESETS
from posenc.study.runs import DEFAULT_OUT

HELP = "the extrapolation study: every encoding trained here, measured from 1x to 16x its length"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    choices = "; ".join(f"{name}: {p.description}" for name, p in PRESETS.items())
    parser.add_argument(
        "--preset", default="default", help=f"sizes of the study (default %(default)s). {choices}"
    )
    parser.add_argument("--out", default=DEFAULT_OUT, help="output folder (default %(default)s); resumed")
    parser.add_argument(
        "--device", default=None, choices=["cpu", "cuda", "auto"], help="override the preset's device"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from posenc.study.presets import get_preset
    from posenc.study.report import wall_time_text
    from posenc.study.run import run_study

    preset = get_preset(args.preset)  # a bad name is a one-line error before anything is written
    results = run_study(preset, args.out, device=args.device, progress=not args.no_progress)
    print(
        f"study ({preset.name}): {len(results['runs'])} models, {wall_time_text(results)}; "
        f"trained now: {len(results['trained_this_session'])}, evaluated now: "
        f"{len(results['evaluated_this_session'])}"
    )
    for run_key, why in results.get("reevaluated_this_session", {}).items():
        print(f"evaluated again {run_key}: {why}")
    print(f"results: {args.out}/results.json, report: {args.out}/report.md")
    print("Next: posenc lab, then its Study and Models pages (or posenc notes measured)")
    return 0
