"""Measured numbers the notes quote: the reference run of the extrapolation study.

A note never types a measured perplexity either. It writes ``{{study_alibi_16x}}`` (last-L perplexity
of the ALiBi model at 16× its training length, "mean ± std" over seeds), a table placeholder
(``{{study_extrapolation_table}}``, ``{{study_scaling_table}}``, ``{{study_base_table}}``,
``{{study_retrieval_depth_table}}``: the arm's exact key per seed by key depth, ALiBi and xPos) or
``{{study_setup}}``; the values come from ``data/study_reference.json``, a summary of a committed
study run (``src/posenc/reference/study-cpu-full/results.json``) shipped with the package. ``tests/learn``
checks that the summary equals the committed run and that every direction a note states holds in it.

Scalar names: ``study_<series>_<k>x`` where series is an encoding (``alibi``, ``rope1e4``), a
scaling on a RoPE model (``rope1e4_yarn``, ``rope1e4_none``, ``rope1e4_pi_finetune``), a base of the
sweep (``base1e2``) or the 4 × L arm (``rope1e6_4L``), and k a multiple of L.

The retrieval arm is quoted per seed, never as a mean (its seeds can disagree by 90 points):
``study_retrieval_<encoding>_<k>x`` is each seed's exact-key accuracy, key in the middle ("35%, 95% and
0%"), ``..._far`` / ``..._near`` with the key at the start of the text / just before the question;
``study_retrieval_steps`` is its training steps (a fixed budget or the cap), ``..._steps`` (e.g.
``study_retrieval_xpos_steps``) each seed's steps to criterion,
``study_retrieval_learned`` counts the runs that learned to copy at L, ``study_retrieval_not_learned``
names the others. A run learned at L when it met its training criterion, or, in results written before
the criterion (no ``learned`` recorded), when its exact key at 1× is at least ``LEARNED_AT_1X`` (the
rule of ``posenc.study.results.arm_seeds``, which tests/learn checks this one against).

After a new reference run, regenerate the summary::

    python -m posenc.learn.measured src/posenc/reference/study-cpu-full/results.json
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from posenc.atomic import atomic_write_text

SUMMARY_FILE = Path(__file__).with_name("data") / "study_reference.json"
FORMAT = "posenc-study-summary/1"
#: older results (no training criterion recorded): learned at L = exact key at 1× at least this
LEARNED_AT_1X = 0.8
#: the retrieval arm's key depths, by the suffix of their placeholder
DEPTH_NAMES = {0.5: "", 0.0: "_far", 1.0: "_near"}


def summarize(results: dict[str, Any], source: str) -> dict[str, Any]:
    """The figures the notes may quote from a study ``results.json``: last-L perplexity (mean, std over
    seeds) per series and multiple of L, plus how the run was made. ``source``: where results.json is,
    relative to the repository."""
    series: dict[str, dict[str, list[float]]] = {}

    def add(key: str, rows: list[dict]) -> None:
        series[key] = {
            str(int(row["multiple"])): [row["last_ppl"]["mean"], row["last_ppl"]["std"]]
            for row in rows
            if row.get("status") == "ok" and row["last_ppl"]["mean"] is not None
        }

    labels = {}
    for name, entry in results["encodings"].items():
        add(name, entry["rows"])
        labels[name] = entry["label"]
    for rope, methods in results["scaling"].items():
        for method, entry in methods.items():
            add(f"{rope}:{method}", entry["rows"])
    for base, entry in results["rope_base_sweep"].items():
        add(f"base-{base}", entry["rows"])
    for name, entry in results["long_arm"].items():
        add(name, entry["rows"])
    config = results["config"]
    retrieval = {}
    for name, entry in (results.get("retrieval") or {}).items():
        rows = [row for row in entry["rows"] if row.get("status") == "ok"]
        first = next((row for row in rows if row["multiple"] == 1), None)
        at_1x = first["passkey"]["values"] if first else [None] * len(results["seeds"])
        learned = entry.get("learned") or [v is not None and v >= LEARNED_AT_1X for v in at_1x]
        retrieval[name] = {
            "label": entry["label"],
            "learned": [bool(v) for v in learned],
            "criterion_steps": entry.get("criterion_steps"),  # per seed; None: not trained to criterion
            "exact_key": {  # multiple -> depth -> one value per seed
                str(int(row["multiple"])): {
                    str(d["depth"]): d["accuracy"]["values"] for d in row.get("passkey_by_depth") or []
                }
                for row in rows
            },
        }
    return {
        "format": FORMAT,
        "source": source,
        "preset": results["preset"],
        "model": config["model"],
        "train_length": results["train_length"],
        "steps": config["steps"],
        "tokens_per_model": results["tokens_per_model"],
        "seeds": results["seeds"],
        "eval_windows": results["eval"]["windows"],
        "device": results["device"],
        "started": results["started"],
        "multiples": results["multiples"],
        "labels": labels,
        "last_ppl": series,
        "retrieval_steps": config.get("retrieval_steps"),
        "retrieval_criterion": (results.get("eval") or {}).get("retrieval_criterion"),
        "retrieval": retrieval,
    }


def load_summary(path: Path = SUMMARY_FILE) -> dict[str, Any]:
    """The packaged summary; ``ValueError`` naming the file when it is missing or malformed."""
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: cannot read the study summary the notes quote ({exc})") from None
    if not isinstance(summary, dict) or summary.get("format") != FORMAT:
        raise ValueError(f"{path}: not a {FORMAT} file")
    return summary


def series_name(key: str) -> str:
    """Placeholder form of a series key: "rope-1e4:pi-finetune" -> "rope1e4_pi_finetune"."""
    key = re.sub(r"^(rope|base)-", r"\1", key)
    return re.sub(r"[^A-Za-z0-9]+", "_", key).strip("_")


#: how the scaling table names each method
METHOD_LABELS = {
    "none": "no scaling",
    "linear": "linear (PI), no fine-tune",
    "ntk": "NTK-aware",
    "dynamic": "dynamic NTK",
    "yarn": "YaRN",
    "minimind_yarn": "MiniMind YaRN",
    "pi-finetune": "PI + short fine-tune at 4× L",
}


def _stat(mean: float, std: float, seeds: int) -> str:
    return f"{mean:.2f}" + (f" ± {std:.2f}" if seeds > 1 else "")


def _cell(summary: dict, key: str, multiple: int) -> str:
    value = summary["last_ppl"].get(key, {}).get(str(multiple))
    return "—" if value is None else _stat(*value, len(summary["seeds"]))


def _head(first: str, summary: dict) -> list[str]:
    """A Markdown table's header lines: ``first``, then one right-aligned column per multiple of L."""
    L, mults = summary["train_length"], summary["multiples"]
    head = "| " + " | ".join([first] + [f"{k}× ({k * L})" for k in mults]) + " |"
    return [head, "|---|" + "---:|" * len(mults)]


def _table(summary: dict, rows: list[tuple[str, str]]) -> str:
    """Markdown table of last-L perplexity: one row per (label, series key), one column per multiple."""
    out = _head("model", summary)
    for label, key in rows:
        out.append("| " + " | ".join([label] + [_cell(summary, key, k) for k in summary["multiples"]]) + " |")
    return "\n".join(out)


def _setup(summary: dict) -> str:
    m = summary["model"]
    seeds = summary["seeds"]
    return (
        f"preset `{summary['preset']}` of `posenc study`: byte-level models of d_model {m['d_model']}, "
        f"{m['n_layers']} layers, {m['n_heads']} heads, trained at L = {summary['train_length']} tokens "
        f"for {summary['steps']} steps ({summary['tokens_per_model']:,} tokens per model, the same data "
        f"order for all), {len(seeds)} seed{'s' if len(seeds) > 1 else ''} ({', '.join(map(str, seeds))}), "
        f"evaluated on {summary['eval_windows']} held-out windows per length; {summary['device']}; "
        f"run {summary['started'][:10]} (`{summary['source']}`)"
    )


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _percents(values: list[float | None]) -> str:
    """Each seed's value: "35%, 95% and 0%"."""
    return _and(["—" if v is None else f"{100 * v:.0f}%" for v in values])


def _step_counts(steps: list[int | None]) -> str:
    """Each seed's steps to criterion: "1,800, 2,000 and none by the cap"."""
    return _and([f"{n:,}" if n else "none by the cap" for n in steps])


#: the retrieval arm's encodings whose key depths note 10 tabulates (the two its lesson reads)
DEPTH_TABLE = ("alibi", "xpos")


def _depth_table(summary: dict) -> str:
    """Markdown table of exact key (%) per seed, key far / in the middle / near, for :data:`DEPTH_TABLE`."""
    mults = summary["multiples"]
    arm = summary.get("retrieval") or {}
    out = _head("key", summary)
    for name in (n for n in DEPTH_TABLE if n in arm):
        entry = arm[name]
        for depth, where in ((0.0, "far"), (0.5, "middle"), (1.0, "near")):
            cells = []
            for k in mults:
                values = entry["exact_key"].get(str(k), {}).get(str(depth))
                cells.append(  # "90,15,25": seeds 0, 1, 2 (the report's form); – a seed that did not learn
                    "n/a"
                    if not values
                    else ",".join(
                        f"{100 * v:.0f}" if ok and v is not None else "–"
                        for v, ok in zip(values, entry["learned"], strict=True)
                    )
                )
            out.append(f"| {entry['label']} {where} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def _learned_text(summary: dict) -> str:
    """ "20 of the 24 runs (8 encodings × 3 seeds)" """
    arm = summary.get("retrieval") or {}
    runs = [ok for entry in arm.values() for ok in entry["learned"]]
    return f"{sum(runs)} of the {len(runs)} runs ({len(arm)} encodings × {len(summary['seeds'])} seeds)"


def _not_learned_text(summary: dict) -> str:
    """ "RoPE (base 1e4) seeds 0 and 1 (0% and 50% at 1×) and xPos seeds 0 and 1 (10% and 0%)" """
    parts = []
    for entry in (summary.get("retrieval") or {}).values():
        failed = [i for i, ok in enumerate(entry["learned"]) if not ok]
        if not failed:
            continue
        at_1x = entry["exact_key"].get("1", {}).get("0.5") or [None] * len(entry["learned"])
        seeds = [summary["seeds"][i] for i in failed]
        which = ("seed " if len(seeds) == 1 else "seeds ") + _and([str(seed) for seed in seeds])
        values = _percents([at_1x[i] for i in failed]) + (" at 1×" if not parts else "")
        parts.append(f"{entry['label']} {which} ({values})")
    return _and(parts) if parts else "no run"


def placeholders(summary: dict | None = None) -> dict[str, Callable[[], str]]:
    """Every ``study_*`` placeholder name -> a function giving its text."""
    summary = summary if summary is not None else load_summary()
    seeds = len(summary["seeds"])
    out: dict[str, Callable[[], str]] = {}
    for key, by_multiple in summary["last_ppl"].items():
        for multiple, (mean, std) in by_multiple.items():
            out[f"study_{series_name(key)}_{multiple}x"] = lambda m=mean, s=std: _stat(m, s, seeds)
    for name, entry in (summary.get("retrieval") or {}).items():
        for multiple, by_depth in entry["exact_key"].items():
            for depth, values in by_depth.items():
                key = f"study_retrieval_{series_name(name)}_{multiple}x{DEPTH_NAMES.get(float(depth), '')}"
                out[key] = lambda v=values: _percents(v)
        steps = entry.get("criterion_steps")
        if steps:
            out[f"study_retrieval_{series_name(name)}_steps"] = lambda v=steps: _step_counts(v)
    out["study_retrieval_steps"] = lambda: f"{summary.get('retrieval_steps') or 0:,}"
    out["study_retrieval_depth_table"] = lambda: _depth_table(summary)
    out["study_retrieval_learned"] = lambda: _learned_text(summary)
    out["study_retrieval_not_learned"] = lambda: _not_learned_text(summary)
    labels = summary["labels"]
    out["study_setup"] = lambda: _setup(summary)
    out["study_extrapolation_table"] = lambda: _table(summary, [(labels[n], n) for n in labels])
    methods = [m.split(":", 1)[1] for m in summary["last_ppl"] if m.startswith("rope-1e4:")]
    out["study_scaling_table"] = lambda: _table(
        summary, [(METHOD_LABELS.get(method, method), f"rope-1e4:{method}") for method in methods]
    )
    bases = [k for k in summary["last_ppl"] if k.startswith("base-")]
    long_arm = [k for k in summary["last_ppl"] if k.endswith("-4L")]
    L = summary["train_length"]
    out["study_base_table"] = lambda: _table(
        summary,
        [(f"base {k[5:]}, trained at {L}", k) for k in bases]
        + [(f"base {k[5:-3]}, trained at {4 * L}", k) for k in long_arm],
    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the notes' study summary from a results.json.")
    parser.add_argument(
        "results", help="a study results.json, e.g. src/posenc/reference/study-cpu-full/results.json"
    )
    args = parser.parse_args(argv)
    path = Path(args.results)
    summary = summarize(json.loads(path.read_text(encoding="utf-8")), path.as_posix())
    atomic_write_text(SUMMARY_FILE, json.dumps(summary, indent=1) + "\n")
    print(f"wrote {SUMMARY_FILE} from {path} ({len(placeholders(summary))} placeholders)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
