"""``posenc generate RUN --prompt "def "``: sample text from a trained run with the KV cache.

RUN is a run folder, or the name of a model shipped with posenc (``posenc generate rope-1e4``:
``posenc.evaluate.shipped``)."""

from __future__ import annotations

import argparse
import math
import sys

from posenc.encodings.rope_types import scaling_types
from posenc.evaluate.generate import MAX_NEW_TOKENS

HELP = "sample text from a trained run with the KV cache"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "run",
        metavar="RUN",
        help="run folder written by `posenc train` (holds checkpoint.pt), or a shipped model's name "
        "(rope-1e4, alibi, alibi-passkey, ...)",
    )
    parser.add_argument("--prompt", default="def ", help="text to continue (default %(default)r)")
    parser.add_argument(
        "--max-new-tokens",
        type=int,
        default=200,
        help=f"bytes to sample, at most {MAX_NEW_TOKENS} (default 200); printed as they come",
    )
    parser.add_argument(
        "--temperature", type=float, default=0.8, help="softmax temperature, 0 = greedy (default 0.8)"
    )
    parser.add_argument(
        "--top-k", type=int, default=50, help="sample among the k likeliest bytes, 0 = all (default 50)"
    )
    parser.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    parser.add_argument(
        "--rope-scaling",
        default=None,
        metavar="SPEC",
        help=f"inference-time RoPE scaling TYPE:FACTOR (TYPE one of {', '.join(scaling_types())}); "
        "TYPE:auto uses (prompt + new bytes) / L",
    )
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda when present)")


def run(args: argparse.Namespace) -> int:
    from posenc.data import encode
    from posenc.evaluate.generate import check_temperature, generate_text
    from posenc.evaluate.run import check_rope_scaling, check_run_dir, default_device, rotary_pairs
    from posenc.evaluate.shipped import resolve_run
    from posenc.evaluate.specs import parse_rope_scaling
    from posenc.train.checkpoint import load_model

    run_dir = check_run_dir(resolve_run(args.run))  # a shipped model's name: its run folder
    scaling = parse_rope_scaling(args.rope_scaling)
    if args.top_k < 0:
        raise ValueError(f"--top-k must be >= 0 (0 = no limit), got {args.top_k}")
    if not 1 <= args.max_new_tokens <= MAX_NEW_TOKENS:  # before the model loads: a typo fails at once
        raise ValueError(f"--max-new-tokens must be in 1..{MAX_NEW_TOKENS}, got {args.max_new_tokens}")
    if not 0 <= args.seed < 2**63:
        raise ValueError(f"--seed must be an integer in [0, 2^63), got {args.seed}")
    if not math.isfinite(args.temperature) or args.temperature < 0:
        raise ValueError(f"--temperature must be a finite number >= 0 (0 = greedy), got {args.temperature}")
    check_temperature(args.temperature)  # before the model loads
    model, _ = load_model(run_dir, device=args.device or default_device())
    if scaling is not None:
        check_rope_scaling(model, scaling)
        total = len(encode(args.prompt)) + args.max_new_tokens
        model.set_rope_scaling(scaling.to_dict(total, model.config.max_seq_len, rotary_pairs(model)))
    # streamed: the prompt, then each piece as it is sampled, flushed so a pipe or terminal sees it now
    sys.stdout.write(args.prompt)
    sys.stdout.flush()

    def show(piece: str) -> None:
        sys.stdout.write(piece)
        sys.stdout.flush()

    generate_text(
        model, args.prompt, args.max_new_tokens, args.temperature, args.top_k or None, args.seed, on_text=show
    )
    sys.stdout.write("\n")
    sys.stdout.flush()
    # on stderr: the sampled text alone stays on stdout for a pipe or a file
    print(f"Next: posenc eval {args.run}   (perplexity and passkey vs length)", file=sys.stderr)
    return 0
