"""A short run's default warm-up is shortened so the rate reaches --lr; an explicit one that cannot is
refused by name."""

from __future__ import annotations

import pytest

from posenc.train.cli import fit_warmup
from posenc.train.config import TrainConfig, lr_at


def test_default_warmup_on_a_short_run_is_shortened_and_said():
    config, notice = fit_warmup(TrainConfig(steps=40), explicit=False)
    assert config.warmup_steps == 4 and "100 to 4" in notice
    peak = max(lr_at(s, config) for s in range(config.steps))
    assert peak == pytest.approx(config.lr)  # the schedule now reaches the peak rate
    before = TrainConfig(steps=40)
    assert max(lr_at(s, before) for s in range(40)) < 0.5 * before.lr  # what the issue saw


def test_long_runs_and_explicit_choices_below_steps_are_kept():
    for steps in (2000, 400, 200):  # the default 100 takes at most half of these runs
        config = TrainConfig(steps=steps)
        assert fit_warmup(config, explicit=False) == (config, None)
    assert fit_warmup(TrainConfig(steps=199), explicit=False)[0].warmup_steps == 19
    short = TrainConfig(steps=40, warmup_steps=30)
    assert fit_warmup(short, explicit=True) == (short, None)


def test_explicit_warmup_at_or_past_steps_is_refused_by_name():
    with pytest.raises(ValueError, match="--warmup-steps 40 is not below --steps 40"):
        fit_warmup(TrainConfig(steps=40, warmup_steps=40), explicit=True)
