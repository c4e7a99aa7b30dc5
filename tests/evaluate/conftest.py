"""Run folders for the evaluation tests: untrained tiny models saved with the real checkpoint code.

Untrained weights are enough here: the tests check what is measured and written (token counts,
keys, n/a rows, merging, determinism), not how good the model is. The corpus is a small folder
of standard-library files, so each evaluation reads a few hundred kB instead of the whole stdlib.
"""

import shutil

import pytest
import torch

from posenc.data import stdlib_sources
from posenc.model import ModelConfig, TinyLM
from posenc.train.checkpoint import save_checkpoint


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    sources = [p for p in stdlib_sources() if 4_000 < p.stat().st_size < 40_000][:24]
    for i, path in enumerate(sources):
        shutil.copy(path, folder / f"{i:02d}_{path.name}")
    return folder


def make_run(folder, corpus, pe: str):
    torch.manual_seed(0)
    config = ModelConfig.preset("tiny", pe=pe)  # training length L = 64
    save_checkpoint(
        folder / "checkpoint.pt",
        model=TinyLM(config),
        model_config=config.to_dict(),
        step=0,
        train_config={"corpus": str(corpus), "heldout_fraction": 0.25},
    )
    return folder


@pytest.fixture(scope="session")
def rope_run(tmp_path_factory, small_corpus):
    return make_run(tmp_path_factory.mktemp("rope_run"), small_corpus, "rope")


@pytest.fixture(scope="session")
def learned_run(tmp_path_factory, small_corpus):
    return make_run(tmp_path_factory.mktemp("learned_run"), small_corpus, "learned")
