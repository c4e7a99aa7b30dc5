"""The study's presets: what it trains, kept in step with what the experiments teach."""

from posenc.experiments.exp_rope_base import BASES
from posenc.study.presets import SWEEP_BASES


def test_the_rope_base_sweep_uses_the_rope_base_experiments_bases():
    assert list(SWEEP_BASES) == BASES
