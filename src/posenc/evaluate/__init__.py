"""Evaluate trained runs: perplexity vs length, last-L perplexity, passkey retrieval, sampling.

    from posenc.evaluate import evaluate_run, perplexity, passkey_accuracy
    entry = evaluate_run("runs/rope", lengths="1x,2x,4x,8x,16x", rope_scaling="yarn:4")

``posenc eval RUN`` and ``posenc generate RUN`` are the command-line faces (``cli.py``,
``generate_cli.py``); the results are in RUN/eval.json (layout in ``posenc.evaluate.run``).
"""

from posenc.data.passkey import build_passkey_prompt, passkey_trials
from posenc.evaluate.generate import generate_text
from posenc.evaluate.passkey import passkey_accuracy
from posenc.evaluate.perplexity import perplexity, token_losses
from posenc.evaluate.run import DEFAULT_LENGTHS, EVAL_FILE, evaluate_run
from posenc.evaluate.specs import ROPE_SCALING_TYPES, RopeScaling, parse_lengths, parse_rope_scaling

__all__ = [
    "DEFAULT_LENGTHS",
    "EVAL_FILE",
    "ROPE_SCALING_TYPES",
    "RopeScaling",
    "build_passkey_prompt",
    "evaluate_run",
    "generate_text",
    "parse_lengths",
    "parse_rope_scaling",
    "passkey_accuracy",
    "passkey_trials",
    "perplexity",
    "token_losses",
]
