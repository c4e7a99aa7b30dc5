"""The shipped models by name: the resolver (checksums, one-line errors), `posenc generate NAME`,
`posenc eval NAME`, and shipping a study's output (float16 weights, manifest).

Tiny models trained for real and shipped into a temporary reference folder (``shipped_models``); the
expected weights are the original checkpoint's rounded to float16 by torch, the expected losses the
existing evaluation of the original run folder. The last tests read the models that really ship with
posenc and are skipped until ``tools/ship_reference.py`` has put them in the package.
"""

from __future__ import annotations

import json
import shutil

import pytest
import torch

import posenc.reference
from posenc.cli import main
from posenc.evaluate import shipped
from posenc.reference import models as manifest
from posenc.reference.models import ShippedModelError
from posenc.train.checkpoint import load_model
from tests.evaluate.shipped_models import shipped_reference
from tests.evaluate.trained_runs import run_dir, trained_study


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return shipped_reference(tmp_path_factory)


@pytest.fixture
def shipped_env(root, tmp_path, monkeypatch):
    monkeypatch.setenv(posenc.reference.ENV, str(root))
    monkeypatch.setenv("POSENC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    return root


def test_the_manifest_records_the_run_and_a_checksum_per_float16_file(shipped_env):
    data = json.loads((shipped_env / "study-cpu-default" / "models" / "manifest.json").read_text())
    assert data["dtype"] == "float16" and data["made_by"]["preset"] == "quick"
    assert data["made_by"]["results"] == "results.json" and len(data["made_by"]["results_sha256"]) == 64
    assert set(data["models"]) == {
        "rope-1e4-s0", "alibi-s0", "nope-s0", "learned-s0", "rope-1e4-passkey-s0", "alibi-passkey-s0"
    }  # fmt: skip
    for entry in data["models"].values():
        path = shipped_env / "study-cpu-default" / "models" / entry["file"]
        assert manifest.file_sha256(path) == entry["sha256"] and path.stat().st_size == entry["bytes"]


def test_a_shipped_model_loads_as_float32_with_the_float16_rounded_weights(shipped_env, tmp_path_factory):
    original, _ = load_model(run_dir(trained_study(tmp_path_factory), "rope-1e4"))
    model, meta = shipped.load("rope-1e4")
    assert meta["shipped"] == "rope-1e4-s0" and meta["step"] == 40
    for name, tensor in model.state_dict().items():
        assert tensor.dtype == torch.float32, name
        torch.testing.assert_close(tensor, original.state_dict()[name].half().float(), rtol=0, atol=0)


@pytest.mark.parametrize("name", ["rope-1e4", "rope-1e4-s0", "alibi-passkey"])
def test_names_resolve_by_study_name_or_run_name(shipped_env, name):
    assert manifest.get(name).run.startswith(name.removesuffix("-s0"))


def test_an_unknown_name_is_one_line_listing_the_shipped_ones(shipped_env):
    with pytest.raises(ShippedModelError) as err:
        manifest.get("rope-9e9")
    assert "\n" not in str(err.value) and "rope-9e9" in str(err.value) and "alibi-passkey" in str(err.value)


def _damaged_copy(root, tmp_path, monkeypatch, how):
    copy = tmp_path / "reference"
    shutil.copytree(root, copy)
    weights = copy / "study-cpu-default" / "models" / "alibi-s0.safetensors"
    if how == "flip":
        data = bytearray(weights.read_bytes())
        data[-3] ^= 0x01  # one bit of one weight
        weights.write_bytes(bytes(data))
    else:
        weights.unlink()
    monkeypatch.setenv(posenc.reference.ENV, str(copy))


@pytest.mark.parametrize(("how", "words"), [("flip", "fails its checksum"), ("missing", "are missing")])
def test_a_damaged_or_missing_file_is_refused_in_one_line(shipped_env, tmp_path, monkeypatch, how, words):
    _damaged_copy(shipped_env, tmp_path, monkeypatch, how)
    with pytest.raises(ShippedModelError) as err:
        shipped.load("alibi")
    assert words in str(err.value) and "alibi-s0" in str(err.value) and "\n" not in str(err.value)


def test_cli_names_a_damaged_file_in_one_line(shipped_env, tmp_path, monkeypatch, capsys):
    _damaged_copy(shipped_env, tmp_path, monkeypatch, "flip")
    assert main(["generate", "alibi", "--max-new-tokens", "5"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "fails its checksum" in err, err


def test_generate_by_name_prints_the_prompt_and_new_text(shipped_env, capsys):
    assert main(["generate", "rope-1e4", "--prompt", "def ", "--max-new-tokens", "30", "--seed", "1"]) == 0
    out = capsys.readouterr()
    assert out.out.startswith("def ") and len(out.out.encode()) >= len("def ") + 30 - 4  # bytes -> text
    assert "Next: posenc eval rope-1e4" in out.err


def test_eval_by_name_matches_the_original_run_within_float16_rounding(shipped_env, tmp_path_factory, capsys):
    from posenc.evaluate.run import evaluate_run

    args = ["--lengths", "1x,2x", "--windows", "2", "--passkey-trials", "0"]
    assert main(["eval", "alibi", *args]) == 0
    assert "alibi-s0" in capsys.readouterr().out
    folder = manifest.folder_of(manifest.get("alibi"))
    shipped_rows = json.loads((folder / "eval.json").read_text())["evals"]["none"]["rows"]
    original = evaluate_run(
        run_dir(trained_study(tmp_path_factory), "alibi"), "1x,2x", n_windows=2, passkey_trials=0, write=False
    )
    for ours, theirs in zip(shipped_rows, original["rows"], strict=True):
        assert ours["loss"] == pytest.approx(theirs["loss"], abs=5e-3)


def test_an_unknown_run_name_at_the_cli_is_one_line(shipped_env, capsys):
    assert main(["eval", "nosuch"]) == 2
    err = capsys.readouterr().err.strip()
    assert "neither a run folder nor a shipped model" in err and "alibi-passkey" in err and "\n" not in err


def test_an_existing_folder_is_taken_as_it_is(shipped_env, tmp_path_factory):
    folder = run_dir(trained_study(tmp_path_factory), "nope")
    assert shipped.resolve_run(str(folder)) == str(folder)


def test_the_cache_folder_is_made_once_and_reused(shipped_env):
    first = shipped.run_folder("nope")
    stamp = (first / "checkpoint.pt").stat().st_mtime_ns
    assert shipped.run_folder("nope") == first and (first / "checkpoint.pt").stat().st_mtime_ns == stamp


# ----------------------------------------------------------------------------- the models that ship
REAL = manifest.manifest() is not None and not __import__("os").environ.get(posenc.reference.ENV)
needs_real = pytest.mark.skipif(not REAL, reason="no models ship yet: run tools/ship_reference.py STUDY_OUT")


@needs_real
def test_the_package_ships_16_models_under_40_mb():
    models = manifest.shipped_models()
    roles = [m.retrieval for m in models.values()]
    assert roles.count(False) == 8 and roles.count(True) == 8
    assert sum(m.file.stat().st_size for m in models.values()) < 40e6


@needs_real
def test_a_shipped_model_reproduces_the_committed_results_within_their_precision(tmp_path, monkeypatch):
    from posenc.evaluate.run import evaluate_run

    monkeypatch.setenv("POSENC_CACHE_DIR", str(tmp_path))
    results = json.loads((posenc.reference.study_folder("study-cpu-default") / "results.json").read_text())
    rows = {r["multiple"]: r for r in results["encodings"]["rope-1e4"]["rows"]}
    got = evaluate_run(
        shipped.run_folder("rope-1e4"), "1x,16x", n_windows=results["eval"]["windows"], passkey_trials=0,
        seed=results["eval"]["window_seed"], write=False,
    )  # fmt: skip
    for row in got["rows"]:
        assert row["loss"] == pytest.approx(rows[row["multiple"]]["loss"]["mean"], abs=0.01), row["multiple"]


def test_a_study_s_replicate_record_ships_with_it_and_goes_with_it(root, tmp_path):
    """replicate.json (the comparison with a second run) is copied with the results; shipping a study that
    has none removes the old one, which compared another run."""
    out = root.parent / "study-out"
    dest = tmp_path / "reference"
    (out / "replicate.json").write_text('{"format": 1}', encoding="utf-8")
    try:
        shipped.ship(out, dest, "study-x")
        assert (dest / "study-x" / "replicate.json").read_text(encoding="utf-8") == '{"format": 1}'
    finally:
        (out / "replicate.json").unlink()
    shipped.ship(out, dest, "study-x")
    assert not (dest / "study-x" / "replicate.json").exists()
    assert (dest / "study-x" / "results.json").is_file()


def test_results_only_ships_no_models_and_removes_stale_ones(root, tmp_path):
    """The full preset ships its results without its models: none are written, and models of the run it
    replaces (which no longer match its results) are removed."""
    out = root.parent / "study-out"
    dest = tmp_path / "reference"
    shipped.ship(out, dest, "study-x")
    assert any((dest / "study-x" / "models").glob("*.safetensors"))
    shipped.ship(out, dest, "study-x", models=False)
    assert not (dest / "study-x" / "models").exists()
    assert (dest / "study-x" / "results.json").read_bytes() == (out / "results.json").read_bytes()
    assert (dest / "study-x" / "report.md").is_file()
