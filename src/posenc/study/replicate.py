"""Reproducibility, measured: the study's claims compared between two runs of one preset.

A *claim* is the verdict behind one of the report's findings, reduced to a word or a short phrase so two
runs can be compared: "higher" / "lower" / "about the same" for a perplexity comparison, the lengths a
retrieval model holds to per seed, which seeds learned at L, the first length where retrieval is lost
under a flat perplexity. Two runs of the same code and seeds with a different float summation order
agree on a claim when its verdicts are equal.

``posenc study --replicate OTHER`` writes ``replicate.json`` beside results.json::

    {"format": 1, "this": "AVX512 kernels", "other": "AVX2 kernels", "other_preset": "default",
     "other_claims": {CLAIM: VERDICT, ...}, "other_values": {"encodings/alibi/2x/last_ppl": 7.81, ...}}

The values say whether the two runs differed at all: on one CPU, torch's thread count does not change
a single bit of a study (its kernels split the work, not the sums), so threads 1 against 2 measures
determinism, not robustness; the kernels' instruction set (``ATEN_CPU_CAPABILITY=avx2`` on an AVX-512
machine) does change the summation order, as another machine of the same kind would.

and the report then marks every finding whose claim differs as "varies between runs" and lists the
comparison (:func:`posenc.study.report.render_report`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from posenc.results.schema import Const, Map, Num, Obj, Opt, Str, load_json, validate
from posenc.study.findings import (
    SAME,
    claim_base,
    claim_flat_lost,
    claim_holds,
    claim_learned,
    claim_near,
    claim_rank,
    claim_scaling,
    claim_trend,
    claim_versus,
    flat_losses,
    held_to,
    versus_pairs,
)
from posenc.study.results import arm_seeds, by_multiple, learned_rows, mean, read_results

REPLICATE_FILE = "replicate.json"
FORMAT = 1


def _direction(a: float | None, b: float | None) -> str | None:
    """'higher' / 'lower' / 'about the same' for ``b`` against ``a`` (None when either is missing)."""
    if a is None or b is None:
        return None
    if abs(b / a - 1) < SAME:
        return "about the same"
    return "higher" if b > a else "lower"


def retrieval_claims(results: dict) -> dict[str, str]:
    """The retrieval arm's claims: learned at L, holds to, lost under flat perplexity, near beats far."""
    arm, mults = results.get("retrieval") or {}, results["multiples"]
    enc = {n: by_multiple(e["rows"]) for n, e in results["encodings"].items()}
    out: dict[str, str] = {}
    for name, entry in arm.items():
        label, seeds = entry["label"], arm_seeds(results, name)
        learned = [s for s in seeds if s["learned"]]
        out[claim_learned(label)] = ", ".join(str(s["seed"]) for s in learned) or "none"
        if not learned:
            continue
        rows = by_multiple(learned_rows(results, name))
        none = [None] * len(learned)
        by_m = [((rows.get(m) or {}).get("passkey") or {}).get("values", none) for m in mults]
        reach = [held_to([values[i] for values in by_m]) for i in range(len(learned))]
        out[claim_holds(label)] = ", ".join(
            f"seed {s['seed']} {f'{mults[h - 1]:g}×' if h else 'below 1×'}"
            for s, h in zip(learned, reach, strict=True)
        )
        lm = enc.get(name, {})
        ppl = {m: mean(lm.get(m), "last_ppl") for m in mults}
        losses = flat_losses(mults, ppl, dict(zip(mults, by_m, strict=True)))
        out[claim_flat_lost(label)] = f"{losses[0][0]:g}×" if losses else "never"
        near_at = "never"
        for m in mults[1:]:
            depths = (rows.get(m) or {}).get("passkey_by_depth") or []
            by_d = {e["depth"]: e["accuracy"]["values"] for e in depths}
            far, near = by_d.get(0.0), by_d.get(1.0)
            if (
                far
                and near
                and any(None not in (f, n) and n - f >= 0.3 for f, n in zip(far, near, strict=False))
            ):
                near_at = f"{m:g}×"
                break
        out[claim_near(label)] = near_at
    return out


def measured_values(results: dict) -> dict[str, float]:
    """Every mean the study measured, by "table/name/multiple/metric" (the LM, scaling and retrieval
    tables' rows): what tells two runs that differ in float summation order from two bit-identical ones."""
    tables = [(f"encodings/{n}", e["rows"]) for n, e in results["encodings"].items()]
    tables += [(f"retrieval/{n}", e["rows"]) for n, e in (results.get("retrieval") or {}).items()]
    for enc, methods in (results.get("scaling") or {}).items():
        tables += [(f"scaling/{enc}/{m}", e.get("rows", [])) for m, e in methods.items()]
    out = {}
    for where, rows in tables:
        for row in rows:
            for key, value in row.items():
                if isinstance(value, dict) and isinstance(value.get("mean"), (int, float)):
                    out[f"{where}/{row['multiple']:g}x/{key}"] = float(value["mean"])
    return out


@dataclass(frozen=True)
class ValueAgreement:
    """Two runs' :func:`measured_values` side by side: how many are equal bit for bit, of how many in
    both; the largest relative difference of a language model's perplexity (the LM and scaling tables);
    the largest difference of a retrieval-arm exact-key accuracy, in points (0-100)."""

    same: int
    both: int
    lm_ppl: float
    retrieval_points: float


def value_agreement(this: dict[str, float], other: dict[str, float]) -> ValueAgreement:
    both = [k for k in this if k in other]
    lm = [k for k in both if not k.startswith("retrieval/") and k.endswith("ppl") and other[k]]
    keys = [k for k in both if k.startswith("retrieval/") and k.endswith("/passkey")]
    return ValueAgreement(
        same=sum(this[k] == other[k] for k in both),
        both=len(both),
        lm_ppl=max((abs(this[k] - other[k]) / abs(other[k]) for k in lm), default=0.0),
        retrieval_points=max((100 * abs(this[k] - other[k]) for k in keys), default=0.0),
    )


def claims(results: dict) -> dict[str, str]:
    """Every claim of the study's findings, as {claim: verdict} (see the module docstring)."""
    mults, top = results["multiples"], results["multiples"][-1]
    enc = {n: by_multiple(e["rows"]) for n, e in results["encodings"].items()}
    label = {n: e["label"] for n, e in results["encodings"].items()}
    out: dict[str, str] = {}
    for name, rows in enc.items():
        verdict = _direction(mean(rows.get(1), "last_ppl"), mean(rows.get(top), "last_ppl"))
        if verdict:
            out[claim_trend(label[name], top)] = verdict
    ranked = sorted(
        (mean(r.get(top), "last_ppl"), label[n]) for n, r in enc.items() if mean(r.get(top), "last_ppl")
    )
    if ranked:
        out[claim_rank(top)] = " < ".join(n for _, n in ranked)
    for a, b in versus_pairs(enc):
        verdict = _direction(mean(enc[b].get(top), "last_ppl"), mean(enc[a].get(top), "last_ppl"))
        out[claim_versus(label[a], label[b], top)] = verdict
    scal = (results.get("scaling") or {}).get("rope-1e4")
    if scal:
        none = by_multiple(scal["none"]["rows"])
        for method, entry in scal.items():
            if method == "none":
                continue
            rows = by_multiple(entry.get("rows", []))
            for m in mults[1:]:
                verdict = _direction(mean(none.get(m), "last_ppl"), mean(rows.get(m), "last_ppl"))
                if verdict:
                    out[claim_scaling(method, m)] = verdict
    r4, r6 = enc.get("rope-1e4"), enc.get("rope-1e6")
    if r4 and r6:
        for m in mults:
            verdict = _direction(mean(r4.get(m), "last_ppl"), mean(r6.get(m), "last_ppl"))
            if verdict:
                out[claim_base(m)] = verdict
    return out | retrieval_claims(results)


@dataclass(frozen=True)
class Agreement:
    claim: str
    this: str | None
    other: str | None

    @property
    def held(self) -> bool:
        return self.this == self.other


def compare(this: dict[str, str], other: dict[str, str]) -> list[Agreement]:
    """Each claim of either run with both verdicts (None where a run makes no such claim)."""
    keys = list(this) + [k for k in other if k not in this]
    return [Agreement(k, this.get(k), other.get(k)) for k in keys]


#: replicate.json, checked whenever it is read back (:func:`read_replicate`)
SCHEMA = Obj(
    {
        "format": Const(FORMAT),
        "this": Str(max_len=200),
        "other": Str(max_len=1000),
        "other_claims": Map(Opt(Str(max_len=2000)), max_key=500),
    },
    optional={
        "other_preset": Opt(Str(max_len=100)),
        "other_device": Opt(Str(max_len=1000)),
        "other_values": Map(Num(), max_key=500),
    },
)
_ADVICE = "run posenc study --replicate OTHER again to rewrite it"


def write_replicate(out: Path, this_label: str, other_dir: Path, other_label: str | None = None) -> Path:
    """Compare OUT's study with OTHER_DIR's (its results.json, read as :func:`read_results` reads any
    study's) and write OUT/replicate.json; the second run is named ``other_label`` or, by default, by its
    device (its cores, torch threads and CPU kernels). ``ValueError`` naming the file when it is missing,
    unreadable or not a study's results."""
    from posenc.atomic import atomic_write_text

    source = Path(other_dir) / "results.json"
    try:
        other = read_results(source)
    except OSError as err:
        raise ValueError(f"cannot read the other run's results {source}: {err.strerror or err}") from err
    record = {
        "format": FORMAT,
        "this": this_label,
        "other": other_label or other.get("device") or str(other_dir),
        "other_preset": other.get("preset"),
        "other_device": other.get("device"),
        "other_claims": claims(other),
        "other_values": measured_values(other),
    }
    validate(record, SCHEMA, REPLICATE_FILE)  # what is written is what read_replicate accepts
    path = Path(out) / REPLICATE_FILE
    atomic_write_text(path, json.dumps(record, indent=1, ensure_ascii=False) + "\n")
    return path


def read_replicate(folder: Path) -> dict[str, Any] | None:
    """OUT/replicate.json checked against :data:`SCHEMA` (a :class:`SchemaError` naming the file and the
    field otherwise), or None when the study has not been compared with a second run."""
    path = Path(folder) / REPLICATE_FILE
    if not path.is_file():
        return None
    return load_json(path, SCHEMA, advice=_ADVICE, what="replicate record")


def varies(results: dict, record: dict | None) -> dict[str, str | None]:
    """{claim: the other run's verdict} for every claim whose verdicts differ (empty without a record)."""
    if not record:
        return {}
    return {a.claim: a.other for a in compare(claims(results), record["other_claims"]) if not a.held}


__all__ = [
    "REPLICATE_FILE",
    "SCHEMA",
    "Agreement",
    "ValueAgreement",
    "claims",
    "compare",
    "measured_values",
    "read_replicate",
    "retrieval_claims",
    "value_agreement",
    "varies",
    "write_replicate",
]
