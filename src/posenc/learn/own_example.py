"""The numbers of the note "Try it on your model": a real ``posenc eval`` of a model built here.

``data/own_model_example.json`` is the results.json that ``posenc eval`` wrote for the worked example
(``posenc.evaluate.own_results`` format): the default study preset's RoPE model (``rope-1e4-s0``),
saved as a Hugging Face Llama folder (``posenc.evaluate.hf_export.save_as_llama``), measured with

    posenc eval rope-llama --lengths 1x,2x,4x,8x --windows 16 --passkey-trials 10 --passkey-depths 0,0.5,1
    posenc eval rope-llama ... --rope-scaling yarn:4

The note writes ``{{own_example_table}}`` (both evaluations side by side), ``{{own_example_setup}}``
and scalars ``own_example_<field>_<scaling>_<k>x`` (field ``ppl`` or ``last``, scaling ``none`` or
``yarn``). ``tests/learn/test_learn_own_example.py`` checks each against the file and every direction
the note states. To regenerate the file after a new model: run the two commands above and copy
results/eval/rope-llama/results.json here.

Torch-free (the notes render without loading a model): the file is read as plain JSON.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path

EXAMPLE_FILE = Path(__file__).with_name("data") / "own_model_example.json"
#: the placeholder's name for each evaluation key of the file
SCALINGS = {"none": "none", "yarn:4": "yarn"}


@functools.cache
def load_example(path: Path = EXAMPLE_FILE) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def rows(scaling: str, data: dict | None = None) -> dict[int, dict]:
    """multiple of L -> the row of evaluation ``scaling`` ("none", "yarn:4")."""
    data = data or load_example()
    return {round(row["multiple"]): row for row in data["evals"][scaling]["rows"]}


def _passkey(row: dict) -> str:
    by_depth = row.get("passkey_by_depth") or [row["passkey"]]
    return " / ".join(f"{p['accuracy']:.0%}" for p in by_depth)


def table(data: dict | None = None) -> str:
    """Both evaluations side by side: perplexity (all, last L) and passkey at each length."""
    data = data or load_example()
    none, yarn = rows("none", data), rows("yarn:4", data)
    depths = ", ".join(f"{p['depth']:g}" for p in next(iter(none.values()))["passkey_by_depth"])
    lines = [
        "| length (tokens) | ppl, none | last-L ppl, none | ppl, yarn:4 | last-L ppl, yarn:4 "
        f"| passkey at depths {depths}, none |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for k, row in none.items():
        lines.append(
            f"| {row['length']} ({k}×) | {row['ppl']:.2f} | {row['last_ppl']:.2f} | "
            f"{yarn[k]['ppl']:.2f} | {yarn[k]['last_ppl']:.2f} | {_passkey(row)} |"
        )
    return "\n".join(lines)


def setup(data: dict | None = None) -> str:
    data = data or load_example()
    entry = data["evals"]["none"]
    first = entry["rows"][0]
    return (
        f"L = {data['train_length']} tokens (bytes), {first['windows']} windows per length on "
        f"{entry['text']}, {first['passkey']['trials']} passkey trials per depth, "
        f"{entry['dtype']} on {entry['device']}"
    )


def placeholders() -> dict[str, Callable[[], str]]:
    out: dict[str, Callable[[], str]] = {"own_example_table": table, "own_example_setup": setup}
    for key, short in SCALINGS.items():
        for k in rows(key):
            for field, name in (("ppl", "ppl"), ("last_ppl", "last")):
                out[f"own_example_{name}_{short}_{k}x"] = functools.partial(
                    lambda key, k, field: f"{rows(key)[k][field]:.2f}", key, k, field
                )
    return out
