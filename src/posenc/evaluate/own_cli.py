"""``posenc eval MODEL`` for a Hugging Face folder or a MiniMind checkpoint: load, measure, print.

``posenc.evaluate.cli`` parses the arguments and hands a resolved MODEL of kind hf or minimind here.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from posenc.evaluate.own_eval import (
    OWN_DEFAULT_LENGTHS,
    OWN_DEFAULT_TRIALS,
    OWN_DEFAULT_WINDOWS,
    evaluate_own,
    load_own,
)
from posenc.evaluate.own_results import OwnResults, default_out
from posenc.results.jsonsafe import to_jsonable


def read_text(path: str) -> tuple[str, str]:
    """(text, source) of ``--text FILE``: UTF-8, one-line errors for anything else."""
    file = Path(path).expanduser()
    try:
        return file.read_text(encoding="utf-8"), str(file)
    except UnicodeDecodeError as err:
        raise ValueError(f"--text {path}: not UTF-8 text ({err.reason} at byte {err.start})") from None


def run_own(args: argparse.Namespace, source) -> int:
    text, text_source = read_text(args.text) if args.text else (None, None)
    # the folder first: one that cannot hold these results fails before the model is loaded
    store = OwnResults(args.out or default_out(args.run))
    loaded = load_own(
        source,
        device=args.device,
        dtype=args.dtype,
        allow_download=args.allow_download,
        tokenizer=args.tokenizer,
        train_length=args.train_length,
    )
    result = evaluate_own(
        loaded,
        args.lengths or OWN_DEFAULT_LENGTHS,
        args.rope_scaling,
        text=text,
        text_source=text_source,
        n_windows=args.windows if args.windows is not None else OWN_DEFAULT_WINDOWS,
        passkey_trials=args.passkey_trials if args.passkey_trials is not None else OWN_DEFAULT_TRIALS,
        passkey_depths=args.passkey_depths,
        batch_size=args.batch_size,
        seed=args.seed,
        progress=not args.json,
        store=store,
    )
    written = store.finish() if result["rows"] else []
    if args.json:
        print(json.dumps(to_jsonable(result), indent=2, allow_nan=False))
    else:
        print_own_table(result)
    say = sys.stderr if args.json else sys.stdout
    if result["reused"]:
        print(f"kept {result['reused']} rows measured before with the same settings", file=say)
    if written:
        plots = sum(n.endswith(".png") for n in written)
        print(f"wrote {store.dir}/: results.json, report.md, {plots} plots (PNG + SVG)", file=say)
    if result["interrupted"]:
        print(
            f"interrupted: kept the {len(result['rows'])} lengths that finished; the same command "
            "measures the rest",
            file=sys.stderr,
        )
        return 130
    if not args.json:
        nxt = (
            f"posenc eval {args.run}{f' --text {args.text}' if args.text else ''} --rope-scaling "
            "yarn:auto   (how far does YaRN carry it?)"
            if not args.rope_scaling
            else f"posenc lab, then open /evaluations   (the table and plots of {store.dir.name})"
        )
        print(f"Next: {nxt}")
    return 0


def _by_depth(row: dict) -> list[dict]:
    return row.get("passkey_by_depth") or ([row["passkey"]] if row.get("passkey") else [])


def passkey_column(rows: list[dict]) -> tuple[str, list[str]]:
    """The passkey column for the terminal: (header, one cell per row). When every row was asked at the
    same depths with the same number of trials, the header names them once ("@0 @0.5 @1") and a cell holds
    only the accuracies under them ("100%  40%   0%"); otherwise each cell says its depths and trials.
    Either way a cell breaks only at spaces, so a wrapped cell never splits a number."""
    shapes = {tuple((p["depth"], p["trials"]) for p in _by_depth(row)) for row in rows if _by_depth(row)}
    if len(shapes) != 1:  # "100%@0 40%@0.5 (10 trials)": each figure and its depth one word
        cells = []
        for row in rows:
            asked = _by_depth(row)
            words = [f"{p['accuracy']:.0%}@{p['depth']:g}" for p in asked]
            cells.append(" ".join(words) + f" ({asked[0]['trials']} trials)" if asked else "—")
        return "passkey at depth", cells
    (shape,) = shapes
    labels = [f"@{depth:g}" for depth, _ in shape]
    widths = [max(4, len(label)) for label in labels]  # "100%" is 4 wide: each depth's figures line up
    named = " ".join(label.rjust(w) for label, w in zip(labels, widths, strict=True))
    header = f"passkey, of {shape[0][1]}\n{named}"
    cells = []
    for row in rows:
        asked = _by_depth(row)
        figures = [f"{p['accuracy']:.0%}".rjust(w) for p, w in zip(asked, widths, strict=True)]
        cells.append(" ".join(figures) if asked else "—")
    return header, cells


def print_own_table(result: dict, console=None) -> None:
    """The study's table: length, tokens, loss, ppl, last-L ppl, passkey, readable at 80 columns: the
    numbers' columns never wrap (a number stays whole), the passkey column wraps at its spaces."""
    from rich.console import Console
    from rich.table import Table

    train_len = result["train_length"]
    rows = result["rows"]
    windows = ", ".join(sorted({str(row["windows"]) for row in rows})) or "no"
    passkey, cells = passkey_column(rows)
    table = Table(
        title=f"{result['model']} ({result['model_type']}): L = {train_len}, "
        f"RoPE scaling {result['rope_scaling'] or 'none'}, on {result['text']}",
        caption=f"loss (nats/token) and ppl over tokens = windows × (length − 1) predicted positions "
        f"({windows} windows); last-L ppl over the last L = {train_len}; passkey: 5 digits exact at each "
        "depth (0 = the key at the start of the text, 1 = just before the question)",
    )
    for name in ("length", "tokens", "loss", "ppl", "last-L ppl"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column(passkey, justify="left")
    for row, cell in zip(rows, cells, strict=True):
        table.add_row(
            f"{row['length']} ({row['multiple']:g}x)",
            f"{row['tokens']:,}",
            f"{row['loss']:.4f}",
            f"{row['ppl']:.3f}",
            f"{row['last_ppl']:.3f}",
            cell,
        )
    (console or Console()).print(table)
