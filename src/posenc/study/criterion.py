"""Retrieval to criterion: the check a retrieval-arm model passes before its training stops.

Every ``every`` steps the trainer (``posenc.train.train(check_every=..., on_check=...)``) hands the
model to :func:`make_check`'s function, which asks it ``trials`` passkey trials at 1× L, key in the
middle, in the evaluation's format (:func:`posenc.evaluate.passkey.passkey_accuracy`, greedy, exact
key), on held-out code. The trials are fixed for the whole run (seed ``CHECK_SEED``, not the
evaluation's seed 0, and the held-out split, never the training split), so the check is deterministic
and costs a few forward passes. The run stops once the exact-key accuracy is at least
``CRITERION_ACCURACY`` on ``CRITERION_CHECKS`` consecutive checks, or at the preset's step cap.

A check's record (kept in the run's checkpoint and log.jsonl, so Ctrl-C and resume keep the history)::

    {"step": 700, "accuracy": 0.9, "digit_accuracy": 0.96, "stop": false}
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

from posenc.study.presets import CHECK_SEED, CRITERION_ACCURACY, CRITERION_CHECKS, StudyPreset

#: where the check hides the key: the middle, as the evaluation's main table
CHECK_DEPTH = 0.5


@dataclass(frozen=True)
class Criterion:
    """When a retrieval-arm model has learned to copy at L: see the module docstring."""

    every: int  # steps between checks
    trials: int  # held-out passkey trials per check
    cap: int  # steps at most
    accuracy: float = CRITERION_ACCURACY
    checks: int = CRITERION_CHECKS
    seed: int = CHECK_SEED
    depth: float = CHECK_DEPTH

    @classmethod
    def of(cls, preset: StudyPreset) -> Criterion | None:
        """The preset's criterion; None when its arm trains a fixed number of steps (or has no arm)."""
        if not preset.retrieval_steps or not preset.retrieval_check_every:
            return None
        return cls(preset.retrieval_check_every, preset.retrieval_check_trials, preset.retrieval_steps)

    def met(self, accuracies: list[float]) -> bool:
        """True when the last ``checks`` accuracies (in check order) are each at least ``accuracy``."""
        last = accuracies[-self.checks :]
        return len(last) == self.checks and all(a >= self.accuracy for a in last)

    def to_dict(self) -> dict:
        return asdict(self)


def describe(criterion: dict) -> str:
    """The criterion in words, from its dict (results.json's ``eval.retrieval_criterion``)."""
    return (
        f"exact key ≥ {100 * criterion['accuracy']:.0f}% on {criterion['checks']} consecutive checks of "
        f"{criterion['trials']} held-out trials at 1× L (key in the middle), one every "
        f"{criterion['every']} steps, at most {criterion['cap']} steps"
    )


def make_check(criterion: Criterion, filler, length: int, batch_size: int = 16) -> Callable:
    """``on_check(model, step, history) -> record`` for ``posenc.train.train``: the passkey check at
    ``length`` (= L) on ``filler`` (held-out byte tokens [f]), stopping the run once the criterion is met."""
    from posenc.evaluate.passkey import passkey_accuracy

    def check(model, step: int, history: list[dict]) -> dict:
        result = passkey_accuracy(
            model,
            length,
            criterion.trials,
            criterion.seed,
            filler=filler,
            depth=criterion.depth,
            batch_size=batch_size,
        )
        accuracies = [r["accuracy"] for r in history if "accuracy" in r] + [result["accuracy"]]
        return {
            "accuracy": result["accuracy"],
            "digit_accuracy": result["digit_accuracy"],
            "stop": criterion.met(accuracies),
        }

    return check


__all__ = ["CHECK_DEPTH", "Criterion", "describe", "make_check"]
