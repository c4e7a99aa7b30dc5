"""An experiment's results.json: the shared layout, written atomically and JSON-clean."""

import json

import torch

from posenc.experiments.results import finish
from posenc.results.files import prepare_out_dir


def test_finish_writes_the_shared_layout(tmp_path):
    out = prepare_out_dir(tmp_path / "new" / "folder")
    results = finish(
        out, experiment="x", title="t", quick=True, settings={}, numbers={"v": torch.tensor(1.0)}, plots=[]
    )
    assert json.loads((out / "results.json").read_text()) == results
    assert set(results) == {"experiment", "title", "quick", "settings", "numbers", "plots"}
