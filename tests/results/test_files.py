"""posenc.results.files: results.json written atomically, output folders made up front."""

import json

import pytest

from posenc.results.files import prepare_out_dir, write_json_atomic


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


def test_prepare_out_dir_refuses_a_file(tmp_path):
    (tmp_path / "f").write_text("")
    with pytest.raises(NotADirectoryError, match="not a folder"):
        prepare_out_dir(tmp_path / "f")
