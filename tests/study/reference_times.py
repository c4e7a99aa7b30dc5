"""How long a study preset takes on 2 idle CPU cores, from what a committed reference measured.

The default reference trained while other jobs shared its 2 cores (102 min of training), so its total
is not the preset's time on an idle machine. Its runs that had the cores to themselves are the fastest
per step of their kind (language model / retrieval arm): every run's steps at that rate is the
estimate of an idle machine's training time.
"""

from __future__ import annotations


def _steps(run: dict) -> int:
    return run.get("criterion_step") or run["steps"]


def idle_minutes(reference: dict, retrieval_steps: int | None = None) -> float:
    """The reference's training time at its fastest per-step rate of each kind; ``retrieval_steps``:
    every retrieval run taken to that many steps instead (its cap: none passing its check)."""
    runs = list(reference["runs"].values())

    def kind(run: dict) -> bool:
        return run["role"] == "retrieval"

    fastest = {k: min(r["seconds"] / _steps(r) for r in runs if kind(r) == k) for k in (False, True)}
    steps = [retrieval_steps if kind(r) and retrieval_steps else _steps(r) for r in runs]
    return sum(n * fastest[kind(r)] for n, r in zip(steps, runs, strict=True)) / 60


def loaded_minutes(reference: dict) -> float:
    return sum(r["seconds"] for r in reference["runs"].values()) / 60
