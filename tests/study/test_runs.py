"""The study's run names and folders: made and read back in one module, and the plan uses them."""

import subprocess
import sys
from pathlib import Path

import pytest

from posenc.study import runs
from posenc.study.presets import ENCODINGS, PRESETS
from posenc.study.run import plan


@pytest.mark.parametrize("preset", list(PRESETS))
def test_every_planned_model_is_described_with_the_role_the_plan_gives_it(preset):
    for job in plan(PRESETS[preset]):
        label, role = runs.describe(job.name)
        assert role == job.role, job.name
        assert runs.parse_run_name(job.run_name) == (job.name, job.seed)
        if role != "encoding":
            assert label != job.name  # every arm gets a readable label


def test_names_of_the_arms():
    assert runs.run_name("rope-1e4", 2) == "rope-1e4-s2"
    assert runs.finetune_name("rope-1e4") == "rope-1e4-pi-ft"
    assert runs.long_name("rope-1e6") == "rope-1e6-4L"
    assert runs.retrieval_name("alibi") == "alibi-passkey"
    assert runs.rope_name(1e5) == "rope-1e5" and runs.rope_base("rope-1e5") == 1e5
    assert runs.rope_base("rope-1e4-4L") is None and runs.rope_base("alibi") is None


def test_descriptions_of_the_arms():
    assert runs.describe("alibi") == ("ALiBi", "encoding")
    assert runs.describe("rope-1e4-pi-ft") == ("RoPE (base 1e4), PI fine-tuned at 4 L", "finetune")
    assert runs.describe("rope-1e6-4L") == ("RoPE (base 1e6), trained at 4 L", "long")
    assert runs.describe("rope-1e2") == ("RoPE (base 1e2), base sweep", "sweep")
    # a RoPE model of the retrieval arm is not a point of the base sweep
    assert runs.describe("rope-1e4-passkey") == ("RoPE (base 1e4), trained on passkey trials", "retrieval")
    assert runs.describe("mine") == ("mine", "other")
    assert runs.parse_run_name("mine") == ("mine", None)


def test_study_folders_and_the_runs_found_in_them(tmp_path):
    assert runs.STUDY_FOLDERS["yours"].path(tmp_path) == tmp_path / Path(runs.DEFAULT_OUT).name
    assert runs.STUDY_FOLDERS[runs.QUICK].path(tmp_path) == tmp_path / "study-quick"
    found = runs.study_runs(tmp_path)  # the committed references only: nothing ran in tmp_path
    assert list(found) == ["reference-full", "reference-default"]
    assert found["reference-full"].folder == runs.REFERENCE_DIR / "study-cpu-full"
    assert str(runs.REFERENCE_DIR / "study-cpu-default" / "report.md") in runs.study_files(tmp_path)


def test_a_folder_of_trained_models_is_found_with_its_preset(tmp_path):
    from posenc.train.checkpoint import CONFIG_NAME, checkpoint_path

    folder = tmp_path / "study-quick" / "runs"
    model = PRESETS["quick"].model
    for name in ("alibi-s0", "alibi-passkey-s0", "notes"):
        run = folder / name
        run.mkdir(parents=True)
        if name != "notes":
            checkpoint_path(run).write_bytes(b"")
            config = {"model": {**model, "pe": "alibi"}, "train": {"steps": 30, "batch_size": 8}}
            (run / CONFIG_NAME).write_text(__import__("json").dumps(config))
    study = runs.study_models(tmp_path)["quick"]
    assert list(study.models) == ["alibi-passkey-s0", "alibi-s0"]
    assert study.models["alibi-passkey-s0"].role == "retrieval"
    assert study.preset["name"] == "quick"
    assert [m.name for m in runs.main_models(study)] == ["alibi-s0"]
    assert set(ENCODINGS) >= {m.study_name for m in runs.main_models(study)}


def test_the_study_names_tables_and_report_load_without_torch():
    code = (
        "import sys, posenc.study.runs, posenc.study.tables, posenc.study.report, posenc.study.findings; "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
