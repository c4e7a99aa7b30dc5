"""``posenc study``: clear one-line errors for a bad preset, a bad --out or a missing GPU; the plan."""

import pytest
import torch

from posenc import cli
from posenc.study import run_study
from posenc.study.presets import ENCODINGS, PRESETS, get_preset
from posenc.study.run import plan


def test_study_is_a_command():
    assert cli.COMMANDS["study"][0] == "posenc.study.cli"


def test_bad_preset_is_a_one_line_error(capsys, tmp_path):
    assert cli.main(["study", "--preset", "huge", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "--preset 'huge'" in err and "quick" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()  # nothing written


def test_out_that_is_a_file_is_a_one_line_error(capsys, tmp_path):
    target = tmp_path / "a-file"
    target.write_text("x")
    assert cli.main(["study", "--preset", "quick", "--out", str(target), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "--out" in err and "not a folder" in err


def test_get_preset_names_the_choices():
    with pytest.raises(ValueError, match="--preset 'x'.*quick, default, full, gpu"):
        get_preset("x")


def test_gpu_preset_without_cuda_is_refused(monkeypatch, tmp_path):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="--preset gpu"):
        run_study("gpu", tmp_path / "o", progress=False)


@pytest.mark.parametrize("device", [None, "cpu", "auto"])
def test_gpu_preset_on_a_cpu_is_refused_with_advice_that_works(monkeypatch, tmp_path, capsys, device):
    """Issue 18: the old advice, "use --device cpu", ran the gpu preset for hours in bf16 on a CPU."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    argv = ["study", "--preset", "gpu", "--out", str(tmp_path / "o"), "--no-progress"]
    assert cli.main(argv + (["--device", device] if device else [])) == 2
    err = capsys.readouterr().err
    assert "--preset gpu is sized for a CUDA GPU" in err and "--preset default" in err
    assert "use --device cpu" not in err and not (tmp_path / "o").exists()


def test_gpu_preset_pushed_onto_the_cpu_is_refused_even_with_cuda(monkeypatch, tmp_path):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    with pytest.raises(ValueError, match="--device cpu was given.*--preset default"):
        run_study("gpu", tmp_path / "o", device="cpu", progress=False)


@pytest.mark.parametrize("out", ["", "  "])
def test_an_empty_out_is_refused_not_the_current_folder(capsys, tmp_path, monkeypatch, out):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["study", "--preset", "quick", "--out", out, "--no-progress"]) == 2
    assert "--out must name a folder" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", list(PRESETS))
def test_plan_is_fair_and_complete(name):
    preset = PRESETS[name]
    jobs = plan(preset)
    L = preset.model["max_seq_len"]
    budget = preset.steps * preset.batch_size * L
    for seed in preset.seeds:
        mine = [j for j in jobs if j.seed == seed]
        assert [j.name for j in mine if j.role == "encoding"] == list(ENCODINGS)
        for job in mine:
            if job.role in ("encoding", "sweep", "long"):
                assert job.steps * job.batch_size * job.train_length == budget, job.name
                assert job.steps == preset.steps
        names = [j.run_name for j in mine]
        ft = next(j for j in mine if j.role == "finetune")
        assert names.index(ft.init_from) < names.index(ft.run_name)  # trained before it is fine-tuned
        assert ft.train_length == 4 * L
        assert any(j.role == "long" for j in mine) == (name in ("full", "gpu"))
    if name == "full":
        assert len(preset.seeds) >= 3


def test_a_finished_study_ends_with_a_next_line(tmp_path, capsys, monkeypatch):
    """The summary's last line says where to look next (run_study itself is tested end to end in
    test_study_quick.py; here it is replaced so the CLI's own output is what is checked)."""
    import posenc.study.report as report
    import posenc.study.run as study_run

    monkeypatch.setattr(
        study_run,
        "run_study",
        lambda preset, out, device, progress: {
            "runs": {"rope-s0": {}},
            "trained_this_session": [],
            "evaluated_this_session": [],
        },
    )
    monkeypatch.setattr(report, "wall_time_text", lambda results: "0 s")
    assert cli.main(["study", "--preset", "quick", "--out", str(tmp_path / "s"), "--no-progress"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("study (quick): 1 models") and lines[-1].startswith("Next: posenc lab")
