"""``posenc train``: train a tiny LM with a chosen position encoding.

    posenc train --pe rope --out runs/rope                      # the "small" preset, built-in corpus
    posenc train --pe rope --pe-option base=1e6 --preset tiny --steps 300 --out runs/rope-1e6
    posenc train --out runs/rope --resume                       # continue after Ctrl-C or a kill
    torchrun --nproc_per_node=2 -m posenc.train --pe alibi --out runs/alibi   # DDP, same options

Options left out take the preset's / TrainConfig's defaults; with ``--resume`` they take the saved
run's values, and options given must agree with the saved run.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import textwrap
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from posenc.train.config import TrainConfig

HELP = "train a tiny LM with a chosen position encoding"

# command-line option (argparse dest) -> ModelConfig field
MODEL_FIELDS = {
    "pe": "pe",
    "d_model": "d_model",
    "n_layers": "n_layers",
    "n_heads": "n_heads",
    "n_kv_heads": "n_kv_heads",
    "seq_len": "max_seq_len",
    "ffn_hidden": "ffn_hidden",
    "dropout": "dropout",
}
# command-line option (argparse dest) -> TrainConfig field (same names)
TRAIN_FIELDS = (
    "steps",
    "batch_size",
    "lr",
    "min_lr",
    "warmup_steps",
    "weight_decay",
    "grad_clip",
    "seed",
    "corpus",
    "heldout_fraction",
    "task",
    "eval_every",
    "eval_windows",
    "log_every",
    "ckpt_every",
    "device",
    "dtype",
    "compile",
)


def parse_pe_option(text: str) -> tuple[str, Any]:
    """``KEY=VALUE`` with VALUE read as JSON when it parses (``base=1e6`` -> 1000000.0,
    ``rope_scaling={"rope_type": "yarn", "factor": 4}``), else kept as a string (``layout=half``)."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(
            f"--pe-option must look like KEY=VALUE (e.g. base=1e6), got {text!r}"
        )
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        parsed = value
    return key.strip(), parsed


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from posenc.encodings import FAMILIES
    from posenc.model.config import PRESETS
    from posenc.train.config import DTYPES, TASKS

    parser.add_argument("--out", required=True, help="run folder: config.json, checkpoint.pt, log.jsonl")
    parser.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")

    model = parser.add_argument_group("model (default: the 'small' preset)")
    model.add_argument("--preset", choices=list(PRESETS), help="model size preset (default small)")
    model.add_argument("--pe", choices=list(FAMILIES), help="position encoding (default rope)")
    model.add_argument(
        "--pe-option",
        action="append",
        type=parse_pe_option,
        metavar="KEY=VALUE",
        help="encoding option, repeatable; VALUE read as JSON (base=1e6, layout=half, rope_scaling={...})",
    )
    model.add_argument("--d-model", type=int, help="residual width")
    model.add_argument("--n-layers", type=int, help="transformer blocks")
    model.add_argument("--n-heads", type=int, help="query heads")
    model.add_argument("--n-kv-heads", type=int, help="key/value heads (GQA)")
    model.add_argument("--seq-len", type=int, help="training context length L (model max_seq_len)")
    model.add_argument("--ffn-hidden", type=int, help="SwiGLU hidden width (default 8/3 d, multiple of 32)")
    model.add_argument("--dropout", type=float, help="dropout rate (default 0)")

    opt = parser.add_argument_group("training (defaults: posenc.train.TrainConfig)")
    opt.add_argument("--steps", type=int, help="optimizer steps (default 2000)")
    opt.add_argument("--batch-size", type=int, help="sequences per step per process (default 32)")
    opt.add_argument("--lr", type=float, help="peak learning rate (default 3e-3)")
    opt.add_argument("--min-lr", type=float, help="end of the cosine decay (default 3e-4)")
    opt.add_argument("--warmup-steps", type=int, help="linear warm-up steps (default 100)")
    opt.add_argument("--weight-decay", type=float, help="AdamW weight decay on matrices (default 0.1)")
    opt.add_argument("--grad-clip", type=float, help="max gradient norm, 0 = off (default 1.0)")
    opt.add_argument("--seed", type=int, help="weights and data order (default 0)")
    opt.add_argument("--corpus", help="UTF-8 text file or folder (default: the Python stdlib sources)")
    opt.add_argument("--heldout-fraction", type=float, help="share of documents held out (default 0.1)")
    opt.add_argument(
        "--task",
        choices=list(TASKS),
        help="lm: next byte of corpus windows (default); passkey: passkey trials of --seq-len tokens "
        "(the study's retrieval arm; needs --seq-len >= 32)",
    )

    run = parser.add_argument_group("run")
    run.add_argument("--device", help="auto, cpu, cuda or cuda:N (default auto)")
    run.add_argument("--dtype", choices=list(DTYPES), help="auto = bfloat16 autocast on CUDA, float32 on CPU")
    run.add_argument("--compile", action=argparse.BooleanOptionalAction, help="torch.compile the model")
    run.add_argument("--eval-every", type=int, help="held-out loss every N steps, 0 = end only (default 250)")
    run.add_argument("--eval-windows", type=int, help="held-out windows for that loss (default 32)")
    run.add_argument("--log-every", type=int, help="steps between log lines (default 10)")
    run.add_argument("--ckpt-every", type=int, help="steps between checkpoints, 0 = end only (default 500)")
    run.add_argument("--no-progress", action="store_true", help="no progress bar (the summary still prints)")


def configs_from_args(args: argparse.Namespace):
    """(ModelConfig, TrainConfig) from the options given; with --resume, on top of the saved run."""
    from posenc.model import PRESETS, ModelConfig
    from posenc.train.config import TrainConfig
    from posenc.train.loop import read_run_configs

    model_over = {
        f: getattr(args, dest) for dest, f in MODEL_FIELDS.items() if getattr(args, dest) is not None
    }
    if args.pe_option is not None:
        model_over["pe_options"] = dict(args.pe_option)
    train_over = {f: getattr(args, f) for f in TRAIN_FIELDS if getattr(args, f) is not None}
    preset = PRESETS[args.preset] if args.preset else {}
    if args.resume:
        saved_model, saved_train = read_run_configs(args.out)
        return (
            ModelConfig.from_dict({**saved_model, **preset, **model_over}),
            TrainConfig.from_dict({**saved_train, **train_over}),
        )
    return ModelConfig.preset(args.preset or "small", **model_over), TrainConfig.from_dict(train_over)


def fit_warmup(config: TrainConfig, explicit: bool) -> tuple[TrainConfig, str | None]:
    """A warm-up that leaves no steps at the peak rate is never silently kept.

    An explicit ``--warmup-steps`` at or past ``--steps`` is refused (the rate would never reach
    ``--lr``); the default warm-up (100 steps), when it would take more than half of a short run, is
    shortened to a tenth of it, and the returned line says so.
    """
    if config.warmup_steps < config.steps and (explicit or config.warmup_steps <= config.steps // 2):
        return config, None
    if explicit:
        raise ValueError(
            f"--warmup-steps {config.warmup_steps} is not below --steps {config.steps}: the learning "
            f"rate would never reach --lr; use at most {max(0, config.steps - 1)} (a tenth of the "
            "steps is usual)"
        )
    fitted = dataclasses.replace(config, warmup_steps=config.steps // 10)
    return fitted, (
        f"warm-up shortened from {config.warmup_steps} to {fitted.warmup_steps} steps (a tenth of "
        f"--steps {config.steps}), so the rate reaches --lr; set --warmup-steps to choose"
    )


def summary_line(s: dict[str, Any]) -> str:
    """One line: what was trained, how fast, how well, where."""
    minutes, seconds = divmod(int(round(s["elapsed_s"])), 60)
    parts = [
        f"{s['pe']}: step {s['step']}/{s['steps']}",
        f"{s['tokens'] / 1e6:.2f} M tokens",
        f"{s['tokens_per_s'] / 1e3:.1f} k tokens/s",
        f"{minutes}m{seconds:02d}s",
    ]
    if s.get("train_loss") is not None:
        parts.append(f"train loss {s['train_loss']:.3f}")
    if s.get("heldout_loss") is not None:
        parts.append(
            f"held-out loss {s['heldout_loss']:.3f} nats (byte unigram entropy {s['unigram_entropy']:.3f})"
        )
    parts.append(s["run"])
    line = " · ".join(parts)
    if s["interrupted"]:
        line = f"interrupted, checkpoint saved · {line} · continue with --resume"
    return line


def run(args: argparse.Namespace) -> int:
    from posenc.train.loop import train

    model_config, train_config = configs_from_args(args)
    if not args.resume:
        train_config, notice = fit_warmup(train_config, explicit=args.warmup_steps is not None)
        if notice:
            print(textwrap.fill(f"posenc train: {notice}", 80), flush=True)
    summary = train(model_config, train_config, args.out, resume=args.resume, progress=not args.no_progress)
    if summary["rank"] == 0:
        print(textwrap.fill(summary_line(summary), 80, break_long_words=False), flush=True)
        run_dir = summary["run"]
        print(f"Next: posenc eval {run_dir}   (perplexity and passkey vs length)", flush=True)
    return 130 if summary["interrupted"] else 0
