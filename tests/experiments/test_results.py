"""results.json writing: atomic, JSON-clean."""

import json
import math

import pytest
import torch

from posenc.experiments.results import finish, prepare_out_dir, to_jsonable, write_json_atomic


def test_to_jsonable_converts_tensors_and_non_finite_floats():
    data = {"t": torch.tensor([1.5, 2.0]), "scalar": torch.tensor(3), "nan": math.nan, "tuple": (1, 2)}
    assert to_jsonable(data) == {"t": [1.5, 2.0], "scalar": 3, "nan": None, "tuple": [1, 2]}


def test_write_is_atomic_and_replaces(tmp_path):
    path = tmp_path / "results.json"
    write_json_atomic(path, {"a": 1})
    write_json_atomic(path, {"a": 2})
    assert json.loads(path.read_text()) == {"a": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]  # no temp file left


def test_failed_write_keeps_the_old_file(tmp_path):
    path = tmp_path / "results.json"
    write_json_atomic(path, {"a": 1})
    with pytest.raises(TypeError):
        write_json_atomic(path, {"a": object()})
    assert json.loads(path.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]


def test_finish_writes_the_shared_layout(tmp_path):
    out = prepare_out_dir(tmp_path / "new" / "folder")
    results = finish(
        out, experiment="x", title="t", quick=True, settings={}, numbers={"v": torch.tensor(1.0)}, plots=[]
    )
    assert json.loads((out / "results.json").read_text()) == results
    assert set(results) == {"experiment", "title", "quick", "settings", "numbers", "plots"}


def test_prepare_out_dir_refuses_a_file(tmp_path):
    (tmp_path / "f").write_text("")
    with pytest.raises(NotADirectoryError, match="not a folder"):
        prepare_out_dir(tmp_path / "f")
