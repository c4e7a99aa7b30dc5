"""Writing an experiment's results: ``results.json`` (atomic) and progress reports.

Every experiment's ``run(out_dir, quick=False, progress=None) -> dict`` returns the same dict it
writes to ``out_dir/results.json``. The layout is shared so the web lab can read any of them:

    {
      "experiment": "2",              # the name used on the command line (`posenc exp 2`)
      "title": "RoPE basics",
      "quick": false,                 # --quick: smaller sizes, same claims
      "settings": {...},              # the inputs: seeds, sizes, bases
      "numbers": {...},               # the measured values the explanation quotes
      "plots": ["rotations.png", "rotations.svg", ...]   # files beside results.json
    }
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from posenc.results.files import write_json_atomic
from posenc.results.jsonsafe import to_jsonable

#: progress callback: ``progress(fraction_done in [0, 1], short message)``; the CLI shows a bar
Progress = Callable[[float, str], None]


def report(progress: Progress | None, fraction: float, message: str) -> None:
    """Call ``progress`` if one was given (experiments run silently for the web lab otherwise)."""
    if progress is not None:
        progress(min(max(float(fraction), 0.0), 1.0), message)


def finish(
    out_dir: Path,
    *,
    experiment: str,
    title: str,
    quick: bool,
    settings: dict,
    numbers: dict,
    plots: list[str],
) -> dict:
    """Assemble the shared results dict, write ``out_dir/results.json`` atomically, return the dict."""
    results = to_jsonable(
        {
            "experiment": experiment,
            "title": title,
            "quick": quick,
            "settings": settings,
            "numbers": numbers,
            "plots": plots,
        }
    )
    write_json_atomic(out_dir / "results.json", results)
    return results
