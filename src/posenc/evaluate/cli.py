"""``posenc eval RUN``: perplexity, last-L perplexity and passkey retrieval at several lengths."""

from __future__ import annotations

import argparse

from posenc.encodings.rope_types import scaling_types
from posenc.evaluate.run import DEFAULT_LENGTHS

HELP = "perplexity and passkey retrieval vs length for a trained run"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "run",
        metavar="RUN",
        help="run folder written by `posenc train` (holds checkpoint.pt), or a shipped model's name "
        "(rope-1e4, alibi, alibi-passkey, ...)",
    )
    parser.add_argument(
        "--lengths",
        default=",".join(DEFAULT_LENGTHS),
        help="comma-separated lengths: Nx = N times the training length L, or token counts "
        "(default %(default)s)",
    )
    parser.add_argument(
        "--rope-scaling",
        default=None,
        metavar="SPEC",
        help=f"inference-time RoPE scaling, TYPE:FACTOR or TYPE:auto (factor = length / L) or "
        f"auto (= yarn:auto); TYPE one of {', '.join(scaling_types())}",
    )
    parser.add_argument("--windows", type=int, default=64, help="evaluation windows per length (default 64)")
    parser.add_argument(
        "--passkey-trials", type=int, default=50, help="passkey trials per length, 0 to skip (default 50)"
    )
    parser.add_argument(
        "--batch-size", type=int, default=16, help="most windows per forward pass (default 16)"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the windows and passkey trials (default 0)"
    )
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda when present)")
    parser.add_argument(
        "--corpus",
        default=None,
        help="held-out text to evaluate on (default: the corpus the run was trained on)",
    )


def run(args: argparse.Namespace) -> int:
    from posenc.evaluate.run import evaluate_run
    from posenc.evaluate.shipped import resolve_run

    result = evaluate_run(
        resolve_run(args.run),  # a shipped model's name -> its run folder in the cache
        args.lengths,
        args.rope_scaling,
        n_windows=args.windows,
        passkey_trials=args.passkey_trials,
        batch_size=args.batch_size,
        seed=args.seed,
        device=args.device,
        corpus=args.corpus,
        progress=True,
    )
    print_table(result)
    print(f"Next: posenc generate {args.run} --prompt 'def '   (or posenc study to compare encodings)")
    return 0


def print_table(result: dict) -> None:
    """A rich table: length, tokens, loss, ppl, last-L ppl, passkey."""
    from rich.console import Console
    from rich.table import Table

    train_len = result["train_length"]
    windows = (
        ", ".join(sorted({str(row["windows"]) for row in result["rows"] if row["status"] == "ok"})) or "no"
    )
    on_corpus = f", on {result['corpus']}" if " @ " in result.get("key", "") else ""
    table = Table(
        title=f"{result['run']}: pe {result['pe']}, trained at L = {train_len}, "
        f"RoPE scaling {result['rope_scaling'] or 'none'}{on_corpus}",
        caption=f"loss (nats/byte) and ppl over tokens = windows × length positions ({windows} windows); "
        f"last-L ppl over the last L = {train_len} positions of each window; "
        "passkey: 5 digits exact (per digit)",
    )
    for name in ("length", "tokens", "loss", "ppl", "last-L ppl", "passkey"):
        table.add_column(name, justify="left" if name == "passkey" else "right")
    for row in result["rows"]:
        length = f"{row['length']} ({row['multiple']:g}x)"
        if row["status"] != "ok":
            table.add_row(length, "—", f"n/a ({row['reason']})", "—", "—", "—")
            continue
        passkey = row.get("passkey")
        passkey_text = (
            f"{passkey['accuracy']:.0%} ({passkey['digit_accuracy']:.0%}) of {passkey['trials']}"
            if passkey
            else "—"
        )
        table.add_row(
            length,
            f"{row['tokens']:,}",
            f"{row['loss']:.4f}",
            f"{row['ppl']:.3f}",
            f"{row['last_ppl']:.3f}",
            passkey_text,
        )
    console = Console()
    console.print(table)
    if result.get("path"):
        console.print(f"wrote {result['path']}")
