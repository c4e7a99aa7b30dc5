"""``posenc eval RUN``: perplexity, last-L perplexity and passkey retrieval at several lengths."""

from __future__ import annotations

import argparse

from posenc.encodings.rope_types import scaling_types
from posenc.evaluate.run import DEFAULT_LENGTHS

HELP = "perplexity and passkey retrieval vs length: a posenc run, a Hugging Face folder or a MiniMind .pth"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "run",
        metavar="MODEL",
        help="a run folder written by `posenc train` (holds checkpoint.pt), a shipped model's name "
        "(rope-1e4, alibi, alibi-passkey, ...), a Hugging Face model folder (config.json) or hub id in "
        "the local cache, or a MiniMind checkpoint (.pth)",
    )
    parser.add_argument(
        "--lengths",
        default=None,
        help="comma-separated lengths: Nx = N times the training length L, or token counts "
        f"(default {','.join(DEFAULT_LENGTHS)}; 1x,2x,4x for a Hugging Face or MiniMind model)",
    )
    parser.add_argument(
        "--rope-scaling",
        default=None,
        metavar="SPEC",
        help=f"inference-time RoPE scaling, TYPE:FACTOR or TYPE:auto (factor = length / L) or "
        f"auto (= yarn:auto); TYPE one of {', '.join(scaling_types())}; for a Hugging Face model also "
        "a JSON object as in config.json",
    )
    parser.add_argument(
        "--windows",
        type=int,
        default=None,
        help="evaluation windows per length (default 64; 8 for your own model)",
    )
    parser.add_argument(
        "--passkey-trials",
        type=int,
        default=None,
        help="passkey trials per length, 0 to skip (default 50; 10 for your own model)",
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
    own = parser.add_argument_group("your own model (a Hugging Face folder or a MiniMind .pth)")
    own.add_argument(
        "--text", default=None, help="UTF-8 text file to measure on (default: the built-in held-out text)"
    )
    own.add_argument(
        "--passkey-depths", default="0.5", help="comma-separated key depths in [0, 1] (default 0.5)"
    )
    own.add_argument("--tokenizer", default=None, help="tokenizer folder (default: the model's own folder)")
    own.add_argument(
        "--train-length", type=int, default=None, help="L, the training length (default: from the config)"
    )
    own.add_argument(
        "--dtype", default="auto", help="auto (bf16 on a GPU that has it, else fp32), float32, bfloat16"
    )
    own.add_argument(
        "--allow-download", action="store_true", help="fetch a hub id that is not in the local cache"
    )
    own.add_argument(
        "--out",
        default=None,
        help="results folder (default results/eval/NAME): results.json row by row, report.md, plots; "
        "a re-run with the same settings measures only what it lacks",
    )
    own.add_argument("--json", action="store_true", help="print the results as JSON on stdout")


def run(args: argparse.Namespace) -> int:
    from posenc.evaluate.sources import resolve_model

    args.passkey_depths = _depths(args.passkey_depths)
    source = resolve_model(args.run)
    if source.kind != "run":
        from posenc.evaluate.own_cli import run_own

        return run_own(args, source)
    if args.text is not None:
        raise ValueError("--text is for a Hugging Face or MiniMind model; a posenc run reads --corpus")
    if args.out is not None:
        raise ValueError("--out is for a Hugging Face or MiniMind model; a posenc run writes RUN/eval.json")
    from posenc.evaluate.run import evaluate_run

    result = evaluate_run(
        source.location,
        args.lengths or DEFAULT_LENGTHS,
        args.rope_scaling,
        n_windows=64 if args.windows is None else args.windows,
        passkey_trials=50 if args.passkey_trials is None else args.passkey_trials,
        passkey_depths=args.passkey_depths,
        batch_size=args.batch_size,
        seed=args.seed,
        device=args.device,
        corpus=args.corpus,
        progress=True,
    )
    if args.json:
        import json

        from posenc.results.jsonsafe import to_jsonable

        print(json.dumps(to_jsonable(result), indent=2, allow_nan=False))
        return 0
    print_table(result)
    print(f"Next: posenc generate {args.run} --prompt 'def '   (or posenc study to compare encodings)")
    return 0


def _depths(text: str) -> tuple:
    try:
        return tuple(float(part) for part in str(text).split(","))
    except ValueError:
        raise ValueError(
            f"--passkey-depths must be numbers in [0, 1] separated by commas, got {text!r}"
        ) from None


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
