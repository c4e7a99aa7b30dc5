"""How long a study preset takes on 2 idle CPU cores, from what a committed reference measured.

The default reference trained while other jobs shared its 2 cores (102 min of training), so its total
is not the preset's time on an idle machine. Its runs that had the cores to themselves are the fastest
per step of their kind (language model / retrieval arm): every run's steps at that rate is the
estimate of an idle machine's training time.

The full reference was trained over several sessions, under load and in parts (a resumed run's seconds
are only its last session's), so its own times give no rate: its steps are timed at the default
reference's rates (``rates_from``), the same model, batch and sequence length. Its evaluation, redone
whole on 2 cores from its trained models (every number identical), took ``FULL_EVAL_MINUTES``.
"""

from __future__ import annotations


def _steps(run: dict) -> int:
    return run.get("criterion_step") or run["steps"]


#: minutes the full preset's evaluation took (`posenc study --preset full` over the full reference's
#: trained runs with every eval.json removed: 93 evaluations, 2026-12-07, 2 cores)
FULL_EVAL_MINUTES = 4.8


def _kind(run: dict) -> bool:
    return run["role"] == "retrieval"


def idle_minutes(
    reference: dict, retrieval_steps: int | None = None, rates_from: dict | None = None
) -> float:
    """The reference's training time at the fastest per-step rate of each kind (of ``rates_from``, by
    default the reference itself); ``retrieval_steps``: every retrieval run taken to that many steps
    instead (its cap: none passing its check)."""
    runs = list(reference["runs"].values())
    timed = list((rates_from or reference)["runs"].values())
    fastest = {k: min(r["seconds"] / _steps(r) for r in timed if _kind(r) == k) for k in (False, True)}
    steps = [retrieval_steps if _kind(r) and retrieval_steps else _steps(r) for r in runs]
    return sum(n * fastest[_kind(r)] for n, r in zip(steps, runs, strict=True)) / 60


def loaded_minutes(reference: dict) -> float:
    return sum(r["seconds"] for r in reference["runs"].values()) / 60
