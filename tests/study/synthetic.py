"""A synthetic study: eval.json-like rows with chosen perplexities, so the report and the plots can be
tested on numbers whose directions are known (no training)."""

from __future__ import annotations

import math
from dataclasses import replace

from posenc.study.presets import PRESETS
from posenc.study.run import _eval_specs, plan

#: perplexity at 1× and the factor per doubling of the length (last-L and all-positions alike)
GROWTH = {
    "sinusoidal": (10.0, 2.0),  # 16× = 160: explodes
    "learned": (9.0, None),  # n/a beyond L
    "nope": (10.0, 1.5),
    "rope-1e4": (10.0, 1.3),
    "rope-1e6": (10.0, 1.2),
    "alibi": (10.0, 1.0),  # flat
    "t5": (10.0, 1.1),
    "xpos": (10.0, 1.25),
    "rope-1e2": (10.0, 1.4),
    "rope-1e5": (10.0, 1.25),
    "rope-1e4-pi-ft": (10.5, 1.02),
    "rope-1e4-4L": (9.5, 1.1),
    "rope-1e6-4L": (9.5, 1.05),
}
#: retrieval arm: exact-key accuracy (key in the middle) at 1×, 2×, 4×, 8×, 16×; far = half of it,
#: near = 0.4 more (at most 1). ALiBi's perplexity is flat (GROWTH) while its retrieval falls at 2×.
RETRIEVAL = {
    "sinusoidal": [0.9, 0.1, 0.0, 0.0, 0.0],
    "learned": [0.9, None, None, None, None],
    "nope": [0.9, 0.4, 0.1, 0.0, 0.0],
    "rope-1e4": [1.0, 0.8, 0.3, 0.1, 0.0],
    "rope-1e6": [1.0, 0.9, 0.6, 0.2, 0.1],
    "alibi": [1.0, 0.3, 0.1, 0.0, 0.0],
    "t5": [1.0, 0.7, 0.5, 0.3, 0.2],
    "xpos": [0.85, 0.5, 0.2, 0.0, 0.0],
}
#: the retrieval-arm models' perplexity, as a multiple of the LM models'
RETRIEVAL_PPL = 1.2
#: the step each retrieval-arm model met its criterion at, seed 0 (each later seed 100 steps later)
CRITERION_STEPS = {"sinusoidal": 500, "learned": 400, "nope": 600, "rope-1e4": 700, "rope-1e6": 800,
                   "alibi": 300, "t5": 500, "xpos": 900}  # fmt: skip
#: scaling method -> factor per doubling on the RoPE models
SCALING_GROWTH = {"linear": 1.6, "ntk": 1.15, "dynamic": 1.12, "yarn": 1.05, "minimind_yarn": 1.08}
SEEDS = (0, 1, 2)


def synthetic_preset():
    return replace(PRESETS["default"], seeds=SEEDS, long_arm=True)


def _row(length: int, L: int, ppl: float | None, seed: int, windows: int = 4, passkey=None) -> dict:
    row = {"length": length, "multiple": length / L, "seed": 0, "step": 10}
    if ppl is None:
        return {**row, "status": "n/a", "reason": "learned positions cannot extrapolate"}
    loss = math.log(ppl)
    return {
        **row,
        "status": "ok",
        "windows": windows,
        "tokens": windows * length,
        "loss": loss,
        "ppl": ppl,
        "last": L,
        "last_loss": loss,
        "last_ppl": ppl,
        "passkey": None
        if passkey is None
        else {"trials": 10, "accuracy": passkey, "digit_accuracy": 0.1 + 0.9 * passkey},
    }


def synthetic_inputs():
    """(preset, jobs, train_info, eval_rows) as run_study hands them to report.build_results."""
    preset = synthetic_preset()
    L = preset.train_length
    jobs = plan(preset)
    train_info, eval_rows = {}, {}
    for job in jobs:
        retrieval = job.role == "retrieval"
        first, growth = GROWTH[job.name.removesuffix("-passkey")]
        first *= RETRIEVAL_PPL if retrieval else 1.0
        noise = 1.0 + 0.01 * job.seed  # seeds differ by 1%
        train_info[job.run_name] = {
            "name": job.name,
            "seed": job.seed,
            "role": job.role,
            "pe": job.pe,
            "pe_options": job.pe_options,
            "train_length": job.train_length,
            "steps": job.steps,
            "batch_size": job.batch_size,
            "tokens": job.tokens,
            "init_from": job.init_from,
            "train_loss": 1.0,
            "heldout_loss": 1.1,
            "params": 1000,
            "tokens_per_s": 1.0,
            "seconds": 1.0,
            "dir": f"runs/{job.run_name}",
        }
        if retrieval:  # trained to criterion: each met it (see CRITERION_STEPS)
            step = CRITERION_STEPS[job.name.removesuffix("-passkey")] + 100 * job.seed
            train_info[job.run_name] |= {
                "checks": [{"step": step - 100, "accuracy": 0.9, "digit_accuracy": 0.95},
                           {"step": step, "accuracy": 1.0, "digit_accuracy": 1.0}],
                "criterion_step": step,
                "learned": True,
            }  # fmt: skip
        for scaling, lengths, *_ in _eval_specs(job, preset):
            rows = []
            for n in lengths:
                doublings = math.log2(n / L)
                if retrieval:
                    accuracy = RETRIEVAL[job.name.removesuffix("-passkey")][round(doublings)]
                    ppl = None if accuracy is None else first * noise * (growth or 1.0) ** doublings
                    row = _row(n, L, ppl, job.seed, passkey=accuracy)
                    if accuracy is not None:
                        row["passkey_by_depth"] = [
                            {"depth": d, "trials": 20, "accuracy": a, "digit_accuracy": 0.1 + 0.9 * a}
                            for d, a in (
                                (0.5, accuracy),
                                (0.0, accuracy / 2),
                                (1.0, min(1.0, accuracy + 0.4)),
                            )
                        ]
                    rows.append(row)
                    continue
                if scaling is None:
                    ppl = None if growth is None and n > L else first * noise * (growth or 1.0) ** doublings
                    passkey = max(0.0, 1.0 - 0.25 * doublings * (growth or 1.0) / 1.3)
                else:
                    ppl = first * noise * SCALING_GROWTH[scaling.split(":")[0]] ** doublings
                    passkey = None
                rows.append(_row(n, L, ppl, job.seed, passkey=passkey))
            eval_rows.setdefault(job.run_name, {})[scaling or "none"] = rows
    return preset, jobs, train_info, eval_rows


def synthetic_results() -> dict:
    from posenc.study import results as study_results

    preset, jobs, train_info, eval_rows = synthetic_inputs()
    return study_results.build_results(
        preset,
        jobs=[(j.run_name, j.name, j.seed, j.role) for j in jobs],
        train_info=train_info,
        eval_rows=eval_rows,
        meta={
            "started": "2026-01-01T00:00:00Z",
            "wall_time_s": 12.0,
            "device": "cpu (synthetic)",
            "versions": {"posenc": "0", "torch": "0", "python": "3"},
            "trained_this_session": [],
            "evaluated_this_session": [],
        },
    )
