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
    parser.add_argument(
        "--replicate",
        metavar="OTHER",
        default=None,
        help="compare this study with a second run of it (OTHER: its output folder, same preset, e.g. run "
        "with ATEN_CPU_CAPABILITY=avx2 for another float summation order; a thread count changes no "
        "bit): writes OUT/replicate.json and marks in report.md every finding that varies between the "
        "two runs",
    )
    parser.add_argument(
        "--replicate-labels",
        metavar="THIS,OTHER",
        default=None,
        help="how the report names the two runs (default: their devices: cores, threads, CPU kernels)",
    )


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
    if args.replicate:
        _replicate(args, results)
    print(f"results: {args.out}/results.json, report: {args.out}/report.md")
    print("Next: posenc lab, then its Study and Models pages (or posenc notes measured)")
    return 0


def _replicate(args: argparse.Namespace, results: dict) -> None:
    """Compare with the second run, write replicate.json and the report again."""
    from pathlib import Path

    from posenc.study.replicate import claims, compare, read_replicate, write_replicate
    from posenc.study.report import write_report

    this_label, _, other_label = (args.replicate_labels or "").partition(",")
    path = write_replicate(
        Path(args.out), this_label or results["device"], Path(args.replicate), other_label or None
    )
    record = read_replicate(Path(args.out))
    if record["other_preset"] != results["preset"]:
        path.unlink()
        raise ValueError(
            f"--replicate: {args.replicate} ran preset {record['other_preset']!r}, not {results['preset']!r}"
        )
    write_report(Path(args.out), results)
    rows = compare(claims(results), record["other_claims"])
    print(f"replicate: {sum(a.held for a in rows)} of {len(rows)} claims held in both runs ({path})")
