"""``posenc generate RUN --prompt "def "``: sample text from a trained run with the KV cache."""

from __future__ import annotations

import argparse

from posenc.evaluate.specs import ROPE_SCALING_TYPES

HELP = "sample text from a trained run with the KV cache"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "run", metavar="RUN", help="run folder written by `posenc train` (holds checkpoint.pt)"
    )
    parser.add_argument("--prompt", default="def ", help="text to continue (default %(default)r)")
    parser.add_argument("--max-new-tokens", type=int, default=200, help="bytes to sample (default 200)")
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
        help=f"inference-time RoPE scaling TYPE:FACTOR (TYPE one of {', '.join(ROPE_SCALING_TYPES)}); "
        "TYPE:auto uses (prompt + new bytes) / L",
    )
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda when present)")


def run(args: argparse.Namespace) -> int:
    from posenc.data import encode
    from posenc.evaluate.generate import generate_text
    from posenc.evaluate.run import check_rope_scaling, check_run_dir, default_device, rotary_pairs
    from posenc.evaluate.specs import parse_rope_scaling
    from posenc.train.checkpoint import load_model

    run_dir = check_run_dir(args.run)
    scaling = parse_rope_scaling(args.rope_scaling)
    if args.top_k < 0:
        raise ValueError(f"--top-k must be >= 0 (0 = no limit), got {args.top_k}")
    model, _ = load_model(run_dir, device=args.device or default_device())
    if scaling is not None:
        check_rope_scaling(model, scaling)
        total = len(encode(args.prompt)) + args.max_new_tokens
        model.set_rope_scaling(scaling.to_dict(total, model.config.max_seq_len, rotary_pairs(model)))
    text, _ = generate_text(
        model, args.prompt, args.max_new_tokens, args.temperature, args.top_k or None, args.seed
    )
    print(args.prompt + text)
    return 0
