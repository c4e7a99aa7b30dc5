"""results.json of the study: its schema, built from every run's numbers, checked, written, and read.

results.json (``"format": "posenc-study/1"``)::

    {
      "format": "posenc-study/1",
      "preset": "default",  "claims": true,       # claims false: a smoke test, no conclusions
      "config": {...},                            # the StudyPreset (model fields, steps, seeds, ...)
      "train_length": 64, "multiples": [1, 2, 4, 8, 16], "lengths": [64, ..., 1024],
      "seeds": [0], "tokens_per_model": 819200,
      "eval": {"windows": 12, "window_seed": 0, "passkey_trials": 10, "last": 64,
               "retrieval_trials": 20, "retrieval_depths": [0.5, 0.0, 1.0],
               "retrieval_criterion": {"every": 100, "trials": 10, "cap": 2000, "accuracy": 0.9,
                                       "checks": 2, "seed": 1, "depth": 0.5} | null},  # null: fixed steps
      "started": "2026-...Z", "wall_time_s": 1100.0,   # this session (a cached re-run: seconds)
      "wall_time_total_s": 4250.0, "sessions": 2,     # every session, a killed one too (OUT/wall_time.json)
      "device": "cpu (...)",
      "versions": {"posenc": ..., "torch": ..., "python": ...},
      "trained_this_session": [RUN, ...], "evaluated_this_session": ["RUN:none", ...],
      "runs": {RUN: {"name", "seed", "role", "pe", "pe_options", "train_length", "steps", "batch_size",
                     "tokens", "init_from", "train_loss", "heldout_loss", "params",
                     "tokens_per_s", "seconds",    # speed and training time of the session that finished it
                     "seconds_this_session", "dir",     # 0-ish when cached; dir relative to OUT
                     "checks": [{"step", "accuracy", "digit_accuracy"}], "criterion_step": int | null,
                     "learned": bool}},   # the last three: a retrieval-arm run trained to criterion only
      "encodings": {NAME: {"label": "ALiBi", "rows": [AGG, ...]}},      # one row per multiple, no scaling
      "scaling":   {ROPE: {METHOD: {"rows": [AGG, ...]}}},  # METHOD "none", "linear", "ntk", "dynamic",
                                                             #  "yarn", "minimind_yarn"; "pi-finetune"
                                                             #  under rope-1e4 (fine-tuned at 4×L)
      "rope_base_sweep": {"1e2": {"base": 100.0, "rows": [AGG, ...]}, ...},
      "long_arm": {"rope-1e4-4L": {"train_length": 256, "rows": [AGG, ...]}, ...},  # {} when not run
      "retrieval": {NAME: {"label", "name": "alibi-passkey", "rows": [AGG, ...],  # the retrieval arm:
                    # models trained on passkey trials; their AGG rows carry passkey_by_depth; {} when not run
                    "learned": [bool, ...], "criterion_steps": [int | null, ...]}},  # per seed; trained to
                    # criterion only (older results lack them: see arm_seeds)
      "plots": ["ppl_vs_length.png", "ppl_vs_length.svg", ...]
    }

    AGG = {"multiple": 2, "length": 128, "status": "ok" | "n/a", "reason": str (n/a only),
           "windows": 12, "tokens": 1536,                  # predicted positions per seed (windows × length)
           "ppl": STAT, "last_ppl": STAT, "loss": STAT, "last_loss": STAT,
           "passkey": STAT | null, "passkey_digits": STAT | null,  # exact-key and per-digit accuracy
           "passkey_by_depth": [{"depth": 0.5, "accuracy": STAT, "digit_accuracy": STAT}, ...],  # arm only
           "basis": {"rows_sha256": [one per seed]},       # the checksums of the eval.json rows it is of
           "sha256": "…"}                                  # of the row's canonical JSON, basis included
    STAT = {"mean": float | null, "std": float | null, "values": [one per seed]}   # std over seeds (n-1)

Losses are mean next-byte cross-entropies in nats; ppl = exp(loss); ``last_*`` covers the last L
positions of each window only. A STAT whose values are all None (a diverged loss) has mean None.

The retrieval arm's AGG rows hold every seed, learned or not (the raw numbers); what the report, the
tables and the plots show of it is :func:`learned_rows`: the same rows over the seeds that learned at
L only (:func:`arm_seeds` says which: the criterion, or for older results the evaluation at 1×).

Read back with :func:`read_results`: strict JSON checked against :data:`SCHEMA` (finite numbers, bounded
nesting, each field's type), then :func:`validate_results` (one row per multiple, one value per seed)
and every AGG row's checksum: a row edited after it was written is refused, one line naming the file
and the row. Rows written before rows carried a checksum (older results) are read as they are.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from posenc.results.files import write_json_atomic
from posenc.results.jsonsafe import to_jsonable
from posenc.results.schema import (
    Bool,
    Const,
    Int,
    List,
    Map,
    Num,
    Obj,
    Opt,
    SchemaError,
    Str,
    load_json,
    seal_problem,
    sealed,
    validate,
)
from posenc.study.criterion import Criterion
from posenc.study.presets import (
    LABELS,
    LEARNED_AT_1X,
    RETRIEVAL_DEPTHS,
    ROPE_MODELS,
    SCALINGS,
    StudyPreset,
)
from posenc.study.runs import RETRIEVAL_SUFFIX, rope_base

FORMAT = "posenc-study/1"
RESULTS_FILE = "results.json"
STAT_KEYS = ("ppl", "last_ppl", "loss", "last_loss")


def stat(values: list[float | None]) -> dict[str, Any]:
    """Mean and sample standard deviation (n − 1; 0 for one value) of the finite values."""
    finite = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if not finite:
        return {"mean": None, "std": None, "values": list(values)}
    mean = sum(finite) / len(finite)
    var = sum((v - mean) ** 2 for v in finite) / (len(finite) - 1) if len(finite) > 1 else 0.0
    return {"mean": mean, "std": math.sqrt(var), "values": list(values)}


def aggregate(rows_per_seed: list[list[dict]], train_length: int) -> list[dict]:
    """One AGG row per length from each seed's eval.json rows (same lengths in each list), each with its
    basis (the checksums of those rows) and its own checksum (:func:`posenc.results.schema.sealed`)."""
    out = []
    for rows in zip(*rows_per_seed, strict=True):
        first = rows[0]
        agg = {"multiple": first["length"] / train_length, "length": first["length"]}
        basis = {"rows_sha256": [r.get("sha256") for r in rows]}  # what it was computed from
        if any(r.get("status") != "ok" for r in rows):
            reason = first.get("reason", "not evaluated")
            out.append(sealed({**agg, "status": "n/a", "reason": reason, "basis": basis}))
            continue
        agg.update(status="ok", windows=first["windows"], tokens=first["tokens"])
        for key in STAT_KEYS:
            agg[key] = stat([r.get(key) for r in rows])
        keys = [r.get("passkey") for r in rows]
        agg["passkey"] = stat([k["accuracy"] for k in keys]) if all(keys) else None
        agg["passkey_digits"] = stat([k.get("digit_accuracy") for k in keys]) if all(keys) else None
        per_depth = [r.get("passkey_by_depth") for r in rows]
        if all(per_depth):
            agg["passkey_by_depth"] = [
                {
                    "depth": same[0]["depth"],
                    "accuracy": stat([d["accuracy"] for d in same]),
                    "digit_accuracy": stat([d.get("digit_accuracy") for d in same]),
                }
                for same in zip(*per_depth, strict=True)
            ]
        out.append(sealed({**agg, "basis": basis}))  # an edited number is found when it is read back
    return out


def build_results(
    preset: StudyPreset,
    *,
    jobs: list[tuple[str, str, int, str]],
    train_info: dict[str, dict],
    eval_rows: dict[str, dict[str, list[dict]]],
    meta: dict[str, Any],
) -> dict:
    """The results dict (schema above) from each run's training summary and evaluation rows.

    jobs: (run name, study name, seed, role) for every model; eval_rows[run][scaling key] = rows.
    """
    L = preset.train_length
    criterion = Criterion.of(preset)

    def rows_of(name: str, key: str = "none") -> list[dict]:
        per_seed = [
            eval_rows[run][key] for run, n, _, _ in jobs if n == name and key in eval_rows.get(run, {})
        ]
        return aggregate(per_seed, L) if per_seed else []

    names = list(dict.fromkeys(n for _, n, _, role in jobs if role == "encoding"))
    encodings = {n: {"label": LABELS.get(n, n), "rows": rows_of(n)} for n in names}
    scaling: dict[str, dict] = {}
    for rope in ROPE_MODELS:
        if rope not in names:
            continue
        methods = {"none": {"rows": rows_of(rope)}}
        for method in SCALINGS:
            methods[method] = {"rows": rows_of(rope, f"{method}:auto")}
        scaling[rope] = methods
    finetune = [n for _, n, _, role in jobs if role == "finetune"]
    if finetune and "rope-1e4" in scaling:
        scaling["rope-1e4"]["pi-finetune"] = {"rows": rows_of(finetune[0]), "run": finetune[0]}
    sweep = {}
    for _, n, _, role in jobs:
        if rope_base(n) is not None and role in ("encoding", "sweep") and n not in sweep:
            sweep[n] = {"base": rope_base(n), "rows": rows_of(n)}
    sweep = {k.removeprefix("rope-"): v for k, v in sorted(sweep.items(), key=lambda kv: kv[1]["base"])}
    long_arm = {}
    for _, n, _, role in jobs:
        if role == "long" and n not in long_arm:
            long_arm[n] = {"train_length": 4 * L, "rows": rows_of(n)}
    retrieval = {}
    for _, n, _, role in jobs:
        base = n.removesuffix(RETRIEVAL_SUFFIX)
        if role == "retrieval" and base not in retrieval:
            retrieval[base] = {"label": LABELS.get(base, base), "name": n, "rows": rows_of(n)}
            infos = [train_info.get(run, {}) for run, name, _, _ in jobs if name == n]
            if infos and all("learned" in info for info in infos):  # trained to criterion
                retrieval[base]["learned"] = [bool(info["learned"]) for info in infos]
                retrieval[base]["criterion_steps"] = [info.get("criterion_step") for info in infos]
    results = {
        "format": FORMAT,
        "preset": preset.name,
        "claims": preset.claims,
        "config": preset.to_dict(),
        "train_length": L,
        "multiples": list(preset.multiples),
        "lengths": [m * L for m in preset.multiples],
        "seeds": list(preset.seeds),
        "tokens_per_model": preset.tokens_per_model,
        "eval": {
            "windows": preset.eval_windows,
            "window_seed": 0,
            "passkey_trials": preset.passkey_trials,
            "last": L,
            "retrieval_trials": preset.retrieval_trials,
            "retrieval_depths": list(RETRIEVAL_DEPTHS),
            "retrieval_criterion": criterion.to_dict() if criterion else None,
        },
        **meta,
        "runs": train_info,
        "encodings": encodings,
        "scaling": scaling,
        "rope_base_sweep": sweep,
        "long_arm": long_arm,
        "retrieval": retrieval,
        "plots": [],
    }
    return to_jsonable(results)


# ----------------------------------------------------------------------------- schema check
_STAT = Obj({"mean": Opt(Num()), "std": Opt(Num(min=0.0)), "values": List(Opt(Num()))})
_AGG = Obj(
    {"multiple": Num(min=0.0), "length": Int(min=1), "status": Str(choices=("ok", "n/a"))},
    optional={
        "reason": Str(max_len=1000),
        "windows": Int(),
        "tokens": Int(),
        **{key: _STAT for key in STAT_KEYS},
        "passkey": Opt(_STAT),
        "passkey_digits": Opt(_STAT),
        "passkey_by_depth": List(Obj({"depth": Num(0.0, 1.0), "accuracy": _STAT, "digit_accuracy": _STAT})),
        "basis": Obj({"rows_sha256": List(Opt(Str(max_len=64)))}),
        "sha256": Str(max_len=64),
    },
)
_ROWS = {"rows": List(_AGG)}
_LOSS = Opt(Num())
#: results.json as :mod:`posenc.results.schema` checks it when it is read back (types, finite numbers,
#: bounded nesting); :func:`validate_results` adds what spans fields (a row per multiple, a value per seed)
SCHEMA = Obj(
    {
        "format": Const(FORMAT),
        "preset": Str(max_len=200),
        "claims": Bool(),
        "config": Obj({}),
        "train_length": Int(min=1),
        "multiples": List(Num(min=0.0)),
        "lengths": List(Int(min=1)),
        "seeds": List(Int()),
        "tokens_per_model": Int(),
        "eval": Obj({}),
        "started": Str(max_len=200),
        "wall_time_s": Num(min=0.0),
        "device": Str(max_len=1000),
        "versions": Map(Str(max_len=200)),
        "trained_this_session": List(Str(max_len=1000)),
        "evaluated_this_session": List(Str(max_len=1000)),
        "runs": Map(
            Obj(
                {
                    "name": Str(max_len=1000),
                    "seed": Int(),
                    "role": Str(max_len=200),
                    "pe": Str(max_len=200),
                    "pe_options": Obj({}),
                    "train_length": Int(min=1),
                    "steps": Int(),
                    "batch_size": Int(),
                    "tokens": Int(),
                    "train_loss": _LOSS,
                    "heldout_loss": _LOSS,
                    "params": Int(),
                    "seconds": Opt(Num(min=0.0)),
                    "dir": Str(max_len=1000),
                },
                optional={"tokens_per_s": Opt(Num(min=0.0)), "seconds_this_session": Opt(Num(min=0.0))},
            )  # fmt: skip
        ),
        "encodings": Map(Obj(_ROWS, optional={"label": Str(max_len=200)})),
        "scaling": Map(Map(Obj(_ROWS, optional={"run": Str(max_len=1000)}))),
        "rope_base_sweep": Map(Obj(_ROWS, optional={"base": Num(min=0.0)})),
        "long_arm": Map(Obj(_ROWS, optional={"train_length": Int(min=1)})),
        "plots": List(Str(max_len=1000)),
    },
    optional={
        "wall_time_total_s": Num(min=0.0),
        "sessions": Int(min=1),
        "reevaluated_this_session": Map(Str(max_len=10_000)),
        "retrieval": Map(
            Obj(
                _ROWS,
                optional={
                    "label": Str(max_len=200),
                    "name": Str(max_len=1000),
                    "learned": List(Bool()),
                    "criterion_steps": List(Opt(Int())),
                },
            )
        ),
    },
)


def wall_seconds(results: Mapping[str, Any]) -> tuple[float, float, int]:
    """(this session's seconds, every session's, sessions) of a study's results; ``ValueError`` naming the
    field when one is not a finite number >= 0 (``1e999`` reads as inf: it printed "wall time inf min")."""
    this = results.get("wall_time_s")
    total = results.get("wall_time_total_s", this)
    sessions = results.get("sessions", 1)
    for key, value in (("wall_time_s", this), ("wall_time_total_s", total)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
            raise ValueError(
                f"results.json field {key!r} is {str(value)[:40]}, not a finite number of seconds"
            )
    if isinstance(sessions, bool) or not isinstance(sessions, int) or sessions < 1:
        raise ValueError(f"results.json field 'sessions' is {str(sessions)[:40]}, not a whole number >= 1")
    return float(this), float(total), sessions


def untimed_models(results: Mapping[str, Any]) -> int:
    """How many of the study's models trained in earlier sessions that its wall time does not count: a
    study resumed before posenc kept its wall-time ledger (OUT/wall_time.json) says "1 session" and
    times only the last one. 0 when the ledger counts every session or everything trained in this one."""
    trained_now = results.get("trained_this_session")
    if results.get("sessions", 1) != 1 or not isinstance(trained_now, list):
        return 0
    return max(0, len(results.get("runs") or {}) - len(trained_now))


def validate_results(results: Any, file: str | Path = RESULTS_FILE) -> None:
    """Raise :class:`~posenc.results.schema.SchemaError` (a ``ValueError``) naming ``file`` and the first
    field of ``results`` that breaks the schema above: :data:`SCHEMA` (types, finite numbers, bounded
    nesting), then what spans fields (a row per multiple, a value per seed)."""
    validate(results, SCHEMA, file, advice="run posenc study again to rewrite it")
    wall_seconds(results)

    def check_rows(where: str, rows: Any) -> None:
        if not isinstance(rows, list) or len(rows) != len(results["multiples"]):
            raise ValueError(f"results.json {where}.rows must hold one row per multiple")
        for row, mult in zip(rows, results["multiples"], strict=True):
            if row.get("multiple") != mult or row.get("length") != mult * results["train_length"]:
                raise ValueError(f"results.json {where}: row for {mult}x has multiple/length wrong")
            if row.get("status") == "n/a":
                if not isinstance(row.get("reason"), str):
                    raise ValueError(f"results.json {where}: n/a row at {mult}x lacks a reason")
                continue
            if row.get("status") != "ok":
                raise ValueError(f"results.json {where}: row at {mult}x has status {row.get('status')!r}")
            for key in STAT_KEYS:
                s = row.get(key)
                if not isinstance(s, dict) or set(s) != {"mean", "std", "values"}:
                    raise ValueError(f"results.json {where}: {key} at {mult}x is not a mean/std/values stat")
                if len(s["values"]) != len(results["seeds"]):
                    raise ValueError(f"results.json {where}: {key} at {mult}x needs one value per seed")

    for name, entry in results["encodings"].items():
        check_rows(f"encodings[{name!r}]", entry.get("rows"))
    for rope, methods in results["scaling"].items():
        for method, entry in methods.items():
            rows = entry.get("rows")
            if method in SCALINGS:  # measured beyond L only
                if not isinstance(rows, list) or len(rows) != len(results["multiples"]) - 1:
                    raise ValueError(
                        f"results.json scaling[{rope!r}][{method!r}] needs a row per multiple > 1"
                    )
            else:
                check_rows(f"scaling[{rope!r}][{method!r}]", rows)
    for base, entry in results["rope_base_sweep"].items():
        check_rows(f"rope_base_sweep[{base!r}]", entry.get("rows"))
    retrieval = results.get("retrieval", {})  # absent from results written before the retrieval arm
    if not isinstance(retrieval, dict):
        raise ValueError("results.json field 'retrieval' must be an object")
    for name, entry in retrieval.items():
        check_rows(f"retrieval[{name!r}]", entry.get("rows"))


def _agg_tables(results: dict):
    """Every AGG row list of ``results`` with the field it sits in: (``encodings.rope.rows``, rows)."""
    for name, entry in results["encodings"].items():
        yield f"encodings[{name!r}]", entry["rows"]
    for rope, methods in results["scaling"].items():
        for method, entry in methods.items():
            yield f"scaling[{rope!r}][{method!r}]", entry["rows"]
    for section in ("rope_base_sweep", "long_arm", "retrieval"):
        for name, entry in results.get(section, {}).items():
            yield f"{section}[{name!r}]", entry["rows"]


def check_row_checksums(results: dict, file: str | Path = RESULTS_FILE) -> int:
    """:class:`~posenc.results.schema.SchemaError` naming ``file`` and the row when an AGG row fails its
    checksum (a number edited after it was written); returns how many rows carry none (older results,
    read as they are)."""
    unsealed = 0
    for where, rows in _agg_tables(results):
        for i, row in enumerate(rows):
            problem = seal_problem(row)
            if problem is not None and "sha256" in row:
                raise SchemaError(
                    repr(str(file)), f"{where}.rows[{i}]", problem, "run posenc study again to recompute it"
                )
            unsealed += problem is not None
    return unsealed


def read_results(path: str | Path) -> dict:
    """A study's results.json read back and trusted only when it checks out: strict JSON, at most
    :data:`~posenc.results.schema.MAX_BYTES`, :data:`SCHEMA`, :func:`validate_results` and every row's
    checksum (:func:`check_row_checksums`). ``SchemaError``, one line naming the file and the field,
    otherwise; ``FileNotFoundError`` when there is none."""
    results = load_json(path, SCHEMA, advice="run posenc study again to rewrite it", what="results file")
    validate_results(results, Path(path))
    check_row_checksums(results, Path(path))
    return results


def write_results(out: Path, results: dict) -> Path:
    """Validate, then write OUT/results.json atomically."""
    validate_results(results)
    return write_json_atomic(Path(out) / RESULTS_FILE, results)


# ----------------------------------------------------------------------------- reading rows
def by_multiple(rows: list[dict]) -> dict[float, dict]:
    """AGG rows keyed by their multiple of L (1.0, 2.0, ...; an int key finds its row too)."""
    return {row["multiple"]: row for row in rows}


def mean(row: dict | None, key: str = "ppl") -> float | None:
    """The mean over seeds of ``key`` in an AGG row; None when the row is missing, n/a or lacks it."""
    if not row or row.get("status") != "ok" or not row.get(key):
        return None
    return row[key]["mean"]


def arm_seeds(results: dict, name: str) -> list[dict]:
    """One dict per seed of the retrieval arm's ``name``, in ``results["seeds"]`` order::

        {"seed": 0, "learned": True, "steps": 700 | None, "at_1x": 0.95 | None, "judged": "criterion"}

    ``learned``: the run met its training criterion (``judged`` "criterion"; ``steps`` the step it did).
    Results written before the criterion recorded none: a run then counts as learned at L when its
    evaluated exact key at 1× (key in the middle) is at least ``LEARNED_AT_1X`` (``judged`` "evaluation",
    ``steps`` None). ``at_1x``: that evaluated accuracy, whichever way it was judged."""
    entry = results["retrieval"][name]
    first = by_multiple(entry["rows"]).get(1)
    values = (first or {}).get("passkey", {}) or {}
    at_1x = list(values.get("values") or [None] * len(results["seeds"]))
    learned, steps = entry.get("learned"), entry.get("criterion_steps")
    out = []
    for i, seed in enumerate(results["seeds"]):
        acc = at_1x[i] if i < len(at_1x) else None
        if learned is not None:
            step = steps[i] if steps and i < len(steps) else None
            out.append({"seed": seed, "learned": bool(learned[i]), "steps": step, "at_1x": acc,
                        "judged": "criterion"})  # fmt: skip
        else:
            ok = acc is not None and acc >= LEARNED_AT_1X
            out.append({"seed": seed, "learned": ok, "steps": None, "at_1x": acc, "judged": "evaluation"})
    return out


def _masked(value: Any, keep: list[bool]) -> Any:
    """``value`` with every STAT in it (at any depth) restricted to the seeds ``keep`` marks."""
    if isinstance(value, dict) and set(value) == {"mean", "std", "values"}:
        return stat([v for v, k in zip(value["values"], keep, strict=False) if k])
    if isinstance(value, dict):
        return {key: _masked(item, keep) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked(item, keep) for item in value]
    return value


def learned_rows(results: dict, name: str) -> list[dict]:
    """The retrieval arm's AGG rows of ``name`` over the seeds that learned at L only (:func:`arm_seeds`):
    every STAT's values, mean and std are theirs alone (a STAT of no seed has mean None and no values).
    A seed that did not learn measures failed training, not extrapolation: it is left out of every mean."""
    keep = [s["learned"] for s in arm_seeds(results, name)]
    return [_masked(row, keep) for row in results["retrieval"][name]["rows"]]


def depth_accuracy(row: dict | None, depth: float) -> float | None:
    """The mean exact-key accuracy of a retrieval-arm row with the key at ``depth``; None if unmeasured."""
    if not row or row.get("status") != "ok":
        return None
    for entry in row.get("passkey_by_depth") or []:
        if entry["depth"] == depth:
            return entry["accuracy"]["mean"]
    return None


def measured_retrieval(results: dict, encoding: str, multiple: float, depth: float) -> dict | None:
    """What a study measured for the retrieval arm of ``encoding`` at ``multiple`` × L with the key at
    the measured depth nearest ``depth``: ``{"multiple", "depth", "accuracy", "trials", "seeds",
    "learned"}`` (accuracy: the mean exact-key accuracy over seeds; learned: how many of those seeds met
    the training criterion at L, :func:`arm_seeds`); None where the study has no such row."""
    entry = (results.get("retrieval") or {}).get(encoding)
    if not entry:
        return None
    row = by_multiple(entry["rows"]).get(float(multiple))
    depths = [d["depth"] for d in (row or {}).get("passkey_by_depth") or []]
    if not depths:
        return None
    nearest = min(depths, key=lambda d: (abs(d - depth), d))
    accuracy = depth_accuracy(row, nearest)
    if accuracy is None:
        return None
    trials = (results.get("eval") or {}).get("retrieval_trials")
    learned = sum(s["learned"] for s in arm_seeds(results, encoding))
    return {"multiple": multiple, "depth": nearest, "accuracy": accuracy, "trials": trials,
            "seeds": len(results.get("seeds") or []), "learned": learned}  # fmt: skip


__all__ = [
    "FORMAT",
    "RESULTS_FILE",
    "STAT_KEYS",
    "aggregate",
    "arm_seeds",
    "build_results",
    "by_multiple",
    "check_row_checksums",
    "depth_accuracy",
    "learned_rows",
    "mean",
    "measured_retrieval",
    "read_results",
    "stat",
    "validate_results",
    "write_results",
]
