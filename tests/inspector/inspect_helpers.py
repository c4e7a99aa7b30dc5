"""Helpers for the ``posenc inspect`` tests: run the command once per argument list, read bundled configs."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

from posenc.cli import main

CONFIG_DIR = Path(__file__).resolve().parents[2] / "src" / "posenc" / "configs"
_RUNS: dict[tuple[str, ...], tuple[int, str, str]] = {}


def run_inspect(*args: str) -> tuple[int, str, str]:
    """``posenc inspect ARGS`` through ``posenc.cli.main``: (exit code, stdout, stderr), cached per args."""
    if args not in _RUNS:
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            try:
                rc = main(["inspect", *args])
            except SystemExit as exit_:  # argparse refusing the arguments
                rc = exit_.code
        _RUNS[args] = (rc, out.getvalue(), err.getvalue())
    return _RUNS[args]


def inspect_json(*args: str) -> dict:
    rc, out, err = run_inspect(*args, "--json")
    assert rc == 0, err
    return json.loads(out)


def raw_config(name: str) -> dict:
    """A bundled config read straight from its file (not through the inspector)."""
    return json.loads((CONFIG_DIR / f"{name}.json").read_text())


def assert_ends_with_next(out: str) -> None:
    """The output's last sentence is one ``Next:`` line (rich may wrap it at 80 columns, never split it)."""
    lines = out.rstrip().splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("Next: ")]
    assert starts, out[-400:]
    assert len(lines) - starts[-1] <= 2 and lines[-1].rstrip().endswith("."), out[-400:]
