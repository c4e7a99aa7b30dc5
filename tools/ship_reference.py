"""Ship a finished study's trained models and results with the package.

    python tools/ship_reference.py /work/study-runs/default-t2   # -> src/posenc/reference/study-cpu-default
    python tools/ship_reference.py OUT --name study-cpu-default --dest src/posenc/reference
    python tools/ship_reference.py /work/study-runs/full --name study-cpu-full --results-only

Copies OUT's results.json, report.md and plots, and writes its language models and retrieval-arm models
as float16 safetensors with SHA-256 checksums and a manifest naming the run that made them
(``posenc.evaluate.shipped.ship``). The old models folder is replaced whole. --results-only ships
the results, report and plots without models (the full preset's reference). Then commit
src/posenc/reference/ and run the tests that read the shipped models (the end of this script's output
names them).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(ROOT / "src"))
    from posenc.evaluate.shipped import ship
    from posenc.reference import MODELS_STUDY
    from posenc.reference.models import ShippedModelError

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "study_out", help="a finished `posenc study` output folder (holds results.json, runs/)"
    )
    parser.add_argument("--name", default=MODELS_STUDY, help="the shipped run's folder (default %(default)s)")
    parser.add_argument(
        "--dest", default=str(ROOT / "src" / "posenc" / "reference"), help="default: %(default)s"
    )
    parser.add_argument(
        "--results-only", action="store_true", help="ship results.json, report.md and plots, no models"
    )
    args = parser.parse_args(argv)
    try:
        target = ship(args.study_out, args.dest, args.name, models=not args.results_only)
    except (ShippedModelError, OSError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    if args.results_only:
        print(f"shipped the results, report and plots (no models) into {target}")
        print("Next: git add src/posenc/reference && pytest -q tests/learn tests/study tests/web")
        return 0
    models = sorted((target / "models").glob("*.safetensors"))
    size = sum(p.stat().st_size for p in models)
    print(f"shipped {len(models)} models ({size / 1e6:.1f} MB) and the results into {target}")
    print(
        "Next: git add src/posenc/reference && pytest -q tests/evaluate/test_shipped.py "
        "tests/web/test_shipped_pages.py (the checks against the shipped models run now)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
