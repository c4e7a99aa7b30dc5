"""``python -m posenc.web.worker``: one heavy job of the lab, run in its own process.

    python -m posenc.web.worker experiment NAME --out DIR [--quick]    # posenc exp NAME [--quick]
    python -m posenc.web.worker study --preset quick --out DIR         # posenc study --preset quick

The job runner (:mod:`posenc.web.jobs`) starts it and reads its standard output, one JSON object per
line:

    {"fraction": 0.4, "message": "scoring random q, k ..."}            progress, fraction in [0, 1]
    {"done": true, "out": "DIR", "results": "DIR/results.json", "seconds": 5.2}
    {"error": "--out DIR exists and is not a folder"}                   what went wrong, in one line

Standard output carries these events only: whatever the library prints goes to standard error (and
a traceback, when there is one). Exit status 0 after "done", 1 after "error", 130 when interrupted
(SIGINT, the runner's cancel: a study's training checkpoints first and resumes on the next run).
The worker lowers its own priority (nice 5, or ``POSENC_JOB_NICE``) so that the lab's server, which
shares the cores with it, keeps answering quickly while it computes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from typing import IO

#: how much lower the worker's priority is than the server's (the server wins a busy core; the job
#: still gets every core the server leaves idle, so it runs at full speed while the lab is quiet)
NICE = 5
#: the study presets the lab may run (the others take tens of minutes: run them in a terminal)
LAB_PRESETS = ("quick",)


class Events:
    """One JSON line per event on ``stream``; progress at most every ``interval`` seconds unless its
    message changes (a study reports often; the page needs a few updates a second, not thousands)."""

    def __init__(self, stream: IO[str], interval: float = 0.1):
        self.stream, self.interval = stream, interval
        self.last_time, self.last_message = 0.0, None

    def emit(self, event: dict) -> None:
        self.stream.write(json.dumps(event) + "\n")
        self.stream.flush()

    def progress(self, fraction: float, message: str) -> None:
        now = time.monotonic()
        if message == self.last_message and now - self.last_time < self.interval and fraction < 1.0:
            return
        self.last_time, self.last_message = now, message
        self.emit({"fraction": round(min(max(float(fraction), 0.0), 1.0), 4), "message": message})


def _parser() -> argparse.ArgumentParser:
    from posenc.experiments import EXPERIMENTS

    parser = argparse.ArgumentParser(prog="python -m posenc.web.worker", description=__doc__.split("\n")[0])
    kinds = parser.add_subparsers(dest="kind", required=True)
    exp = kinds.add_parser("experiment", help="run one of the module's experiments")
    exp.add_argument("name", choices=list(EXPERIMENTS))
    exp.add_argument("--out", required=True)
    exp.add_argument("--quick", action="store_true")
    study = kinds.add_parser("study", help="run the extrapolation study")
    study.add_argument("--preset", required=True, choices=LAB_PRESETS)
    study.add_argument("--out", required=True)
    return parser


def run_job(args: argparse.Namespace, progress: Callable[[float, str], None]) -> dict:
    """Run the job ``args`` describes; returns what the final "done" event carries."""
    t0 = time.perf_counter()
    if args.kind == "experiment":
        from posenc.experiments import load

        module = load(args.name)
        module.run(args.out, quick=args.quick, progress=progress)
    else:
        from posenc.study.run import run_study

        run_study(args.preset, args.out, progress=False, on_progress=progress)
    return {
        "done": True,
        "out": args.out,
        "results": os.path.join(args.out, "results.json"),
        "seconds": round(time.perf_counter() - t0, 2),
    }


def error_message(err: BaseException) -> str:
    """One line for the page: the library's own message (its errors name the bad input); the type is
    added for anything that is not a plain bad-input or file error."""
    message = " ".join(str(err).split()) or type(err).__name__
    if isinstance(err, (ValueError, OSError)):
        return message
    return f"{type(err).__name__}: {message}"


def main(argv: list[str] | None = None) -> int:
    # keep the real stdout for the events; everything else written to fd 1 (prints, C libraries)
    # goes to stderr, so a stray line can never be mistaken for an event
    events = Events(os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1))
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:
        os.nice(int(os.environ.get("POSENC_JOB_NICE", NICE)))
    except (AttributeError, OSError, ValueError):  # not on this platform or not allowed: normal priority
        pass
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:  # argparse printed its message to stderr
        events.emit({"error": f"bad worker arguments: {' '.join(argv or sys.argv[1:])}"})
        return int(exit_.code or 2)
    try:
        events.progress(0.0, "loading torch and the library")
        events.emit(run_job(args, events.progress))
        return 0
    except KeyboardInterrupt:
        events.emit({"error": "stopped before it finished", "cancelled": True})
        return 130
    except BrokenPipeError:  # the lab is gone: nobody reads the events any more
        return 1
    except Exception as err:
        traceback.print_exc()  # the full story on stderr; the page gets one line
        events.emit({"error": error_message(err)})
        return 1


if __name__ == "__main__":
    sys.exit(main())
