"""Your model's evaluation as a results folder: kept row by row, resumed, tabled (plots: own_plots).

    posenc eval models/SmolLM2-135M                        -> results/eval/SmolLM2-135M/
    posenc eval models/SmolLM2-135M --rope-scaling yarn:4  -> the same folder, a second evaluation

DIR/results.json (``"format": "posenc-own-eval/1"``)::

    {"format": "posenc-own-eval/1",
     "model": "models/SmolLM2-135M", "kind": "hf", "model_type": "llama", "train_length": 2048,
     "rope_parameters": {...}, "model_sha256": "…",      # the weights and config (model_fingerprint)
     "evals": {KEY: EVAL, ...},    # KEY: the scaling ("none", "yarn:4", "yarn:auto", a JSON object),
                                   #      followed by " @ TEXT" when --text named the text
     "plots": ["ppl_vs_length.png", "ppl_vs_length.svg", "passkey.png", "passkey.svg"]}

    EVAL  = {"rope_scaling": "yarn:4" | null, "text": "…", "text_tokens": 81234, "dtype": "float32",
             "device": "cpu", "updated": "2026-…Z", "rows": [ROW, ...]}          # rows by length
    ROW   = {"length", "multiple", "status": "ok", "windows", "tokens", "loss", "ppl", "last",
             "last_tokens", "last_loss", "last_ppl", "passkey", "passkey_by_depth",
             "rope_scaling_applied", "seed", "basis": BASIS}       # as ``posenc eval RUN``'s eval.json
    BASIS = {"eval_version", "model_sha256", "text", "text_sha256",  # the text's tokens in this model
             "windows", "passkey_trials", "passkey_depths", "seed", "dtype", "rope_scaling"}

Each row is written (atomically) as soon as it is measured, so Ctrl-C keeps every finished row. A
row is reused when its basis equals the basis of the evaluation asked for now: a re-run with the same
settings measures only the lengths it lacks. A new measurement replaces the row of its length under
its key; rows of other lengths and other keys stay. A folder holds one model: results.json of other
weights, or one that cannot be read, is an error before anything is measured (nothing overwritten).

DIR/report.md holds one Markdown table per evaluation (what the lab's /evaluations page shows).
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from posenc.results.files import prepare_out_dir, write_json_atomic
from posenc.results.jsonsafe import loads_strict

OWN_RESULTS_FORMAT = "posenc-own-eval/1"
RESULTS_FILE = "results.json"
REPORT_FILE = "report.md"
#: the folder under which ``posenc eval MODEL`` writes when no --out is given (one folder per model)
DEFAULT_OUT = "results/eval"
#: bumped when a change of the measuring code changes the numbers: older rows are then measured again
OWN_EVAL_VERSION = 1
NO_SCALING = "none"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def default_out(model: str) -> Path:
    """results/eval/NAME: a folder's or checkpoint's name, a hub id as OWNER--NAME (the hub cache's way)."""
    path = Path(model.rstrip("/\\")).expanduser()
    name = path.stem if path.suffix in (".pth", ".pt", ".bin") else path.name
    if not path.exists() and "/" in model.strip("/"):  # a hub id
        name = "--".join(model.strip("/").split("/"))
    return Path(DEFAULT_OUT) / (_UNSAFE.sub("_", name).strip("._") or "model")


def eval_key(scaling_label: str | None, text_source: str | None = None) -> str:
    """The key of one evaluation in results.json: its scaling, and the text when the user named one."""
    key = scaling_label or NO_SCALING
    return f"{key} @ {text_source}" if text_source else key


def read_results(folder: str | Path) -> dict | None:
    """FOLDER/results.json of an own-model evaluation; None when there is none; ``ValueError`` naming the
    file when it cannot be read, holds a non-finite number, or is not an own-model evaluation."""
    path = Path(folder) / RESULTS_FILE
    if not path.exists():
        return None
    try:
        data = loads_strict(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as err:
        raise ValueError(f"{path} cannot be read ({err}); move it away or choose another --out") from None
    if not isinstance(data, dict) or data.get("format") != OWN_RESULTS_FORMAT:
        raise ValueError(
            f"{path} is not a `posenc eval MODEL` results file ({OWN_RESULTS_FORMAT}); choose another --out"
        )
    if not isinstance(data.get("evals"), dict):
        raise ValueError(f"{path} has no evaluations ('evals'); move it away or choose another --out")
    return data


class OwnResults:
    """One model's results folder: what is kept, and each new row written as it finishes."""

    def __init__(self, out_dir: str | Path):
        self.dir = Path(out_dir).expanduser()
        if self.dir.exists() and not self.dir.is_dir():
            raise NotADirectoryError(f"--out {self.dir} exists and is not a folder")
        self.path = self.dir / RESULTS_FILE
        self.data = read_results(self.dir)  # made only when the first row is written

    def start(self, facts: dict[str, Any], model_sha256: str) -> None:
        """Take the model's facts (``hf_model.describe``); ``ValueError`` when the folder holds another's."""
        if self.data is not None and self.data.get("model_sha256") != model_sha256:
            raise ValueError(
                f"{self.path} holds the results of other weights ({self.data.get('model')}); "
                "choose another --out, or move that folder away to start again"
            )
        kept = (self.data or {}).get("evals", {})
        self.data = {
            "format": OWN_RESULTS_FORMAT,
            **facts,
            "model_sha256": model_sha256,
            "evals": kept,
            "plots": (self.data or {}).get("plots", []),
        }

    def kept_rows(self, key: str, basis: dict) -> dict[int, dict]:
        """length -> the row of evaluation ``key`` measured on exactly ``basis`` (resumed, not redone)."""
        rows = (self.data or {}).get("evals", {}).get(key, {}).get("rows", [])
        return {row["length"]: row for row in rows if isinstance(row, dict) and row.get("basis") == basis}

    def save_row(self, key: str, header: dict[str, Any], row: dict[str, Any]) -> None:
        """Put ``row`` under ``key`` (replacing the row of its length) and write results.json now."""
        check_finite(row, f"the row at length {row.get('length')}")
        entry = self.data["evals"].setdefault(key, {})
        others = [r for r in entry.get("rows", []) if r.get("length") != row["length"]]
        entry.update(header)
        entry["updated"] = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        entry["rows"] = sorted([*others, row], key=lambda r: r["length"])
        prepare_out_dir(self.dir)
        write_json_atomic(self.path, self.data)

    def finish(self) -> list[str]:
        """Write report.md and the plots for every evaluation kept here; returns the files written."""
        from posenc.atomic import atomic_write_text
        from posenc.evaluate.own_plots import plot_all

        self.data["plots"] = plot_all(self.data, self.dir)
        write_json_atomic(self.path, self.data)
        atomic_write_text(self.dir / REPORT_FILE, report_markdown(self.data))
        return [RESULTS_FILE, REPORT_FILE, *self.data["plots"]]


def check_finite(value: Any, what: str) -> None:
    """``ValueError`` naming ``what`` when a float anywhere in ``value`` is NaN or infinite."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{what} holds a non-finite number ({value}); nothing of it was written")
    if isinstance(value, dict):
        for item in value.values():
            check_finite(item, what)
    elif isinstance(value, (list, tuple)):
        for item in value:
            check_finite(item, what)


# ----------------------------------------------------------------------------- the Markdown tables
def passkey_cell(row: dict) -> str:
    """ "80% @0.5, 40% @0 of 10": exact-key accuracy at each depth (0 = key at the start of the text)."""
    rows = row.get("passkey_by_depth") or ([row["passkey"]] if row.get("passkey") else [])
    if not rows:
        return "—"
    return ", ".join(f"{p['accuracy']:.0%} @{p['depth']:g}" for p in rows) + f" of {rows[0]['trials']}"


def report_markdown(data: dict) -> str:
    """report.md: the model, then one table per evaluation (length, tokens, loss, ppl, last-L, passkey)."""
    train_len = data["train_length"]
    lines = [
        f"# {data['model']}: perplexity and passkey vs length",
        "",
        f"Model type {data['model_type']} ({data['kind']}), trained at L = {train_len} tokens. "
        f"Loss in nats per token over every predicted position of the windows; ppl = exp(loss); "
        f"last-L ppl over the last L = {train_len} positions of each window (beyond L only those are "
        "new); passkey: the 5-digit key exact, at each depth (0 = start of the text, 1 = just before "
        "the question).",
    ]
    for key, entry in data["evals"].items():
        lines += [
            "",
            f"## RoPE scaling: {entry.get('rope_scaling') or 'none'}"
            + (f" (on {entry['text']})" if " @ " in key else ""),
            "",
            f"Text: {entry.get('text')}, {entry.get('text_tokens', 0):,} tokens; {entry.get('dtype')} on "
            f"{entry.get('device')}; written {entry.get('updated')}.",
            "",
            "| length | windows | tokens | loss | ppl | last-L ppl | passkey |",
            "|---:|---:|---:|---:|---:|---:|:---|",
        ]
        for row in entry.get("rows", []):
            lines.append(
                f"| {row['length']:,} ({row['multiple']:g}×) | {row['windows']} | {row['tokens']:,} | "
                f"{row['loss']:.4f} | {row['ppl']:.3f} | {row['last_ppl']:.3f} | {passkey_cell(row)} |"
            )
    if data.get("plots"):
        lines += ["", "## Plots", ""]
        lines += [f"![{name}]({name})" for name in data["plots"] if name.endswith(".png")]
    return "\n".join(lines) + "\n"


def evaluation_folders(results_dir: str | Path) -> dict[str, Path]:
    """name -> RESULTS/eval/NAME for each folder there holding a results.json (sorted by name)."""
    root = Path(results_dir) / Path(DEFAULT_OUT).name
    try:
        found = sorted(p for p in root.iterdir() if (p / RESULTS_FILE).is_file())
    except OSError:
        return {}
    return {p.name: p for p in found}


def scaling_key_json(scaling: dict) -> str:
    """The key of a --rope-scaling JSON object: its keys sorted, compact."""
    return json.dumps(scaling, sort_keys=True, separators=(",", ":"))
