"""A finished run is read from its checkpoint, not trained again; an interrupted one is continued."""

from posenc.study.presets import PRESETS
from posenc.study.run import _configs, _finished, plan
from posenc.train import load_model, train


def test_an_interrupted_run_is_unfinished_until_resumed(tmp_path):
    preset = PRESETS["quick"]
    job = next(j for j in plan(preset) if j.name == "alibi")
    mcfg, tcfg = _configs(job, preset, "cpu")
    run_dir = tmp_path / job.run_name
    first = train(mcfg, tcfg, run_dir, progress=False, stop_at=7)  # as a Ctrl-C after step 7
    assert first["interrupted"] and first["step"] == 7
    assert _finished(run_dir, mcfg, tcfg) is None  # the study will resume it
    done = train(mcfg, tcfg, run_dir, resume=True, progress=False)
    assert done["resumed_from"] == 7 and done["step"] == tcfg.steps
    summary = _finished(run_dir, mcfg, tcfg)
    model, _ = load_model(run_dir)
    assert summary["step"] == tcfg.steps and summary["params"] == model.num_params()
    assert summary["tokens"] == tcfg.steps * tcfg.batch_size * mcfg.max_seq_len
    assert summary["heldout_loss"] == done["heldout_loss"]


def test_a_run_with_other_settings_is_not_taken_as_finished(tmp_path):
    preset = PRESETS["quick"]
    job = next(j for j in plan(preset) if j.name == "nope")
    mcfg, tcfg = _configs(job, preset, "cpu")
    train(mcfg, tcfg, tmp_path / "run", progress=False)
    other = next(j for j in plan(preset) if j.name == "alibi")
    mcfg2, tcfg2 = _configs(other, preset, "cpu")
    assert _finished(tmp_path / "run", mcfg, tcfg) is not None
    assert _finished(tmp_path / "run", mcfg2, tcfg2) is None


def test_a_non_utf8_byte_in_a_finished_runs_log_names_the_file_and_the_line(tmp_path):
    """Issue 37: the study read log.jsonl with a plain UTF-8 read ("'utf-8' codec can't decode…", no
    file named); it now says which file and line, as the trainer does."""
    import pytest

    preset = PRESETS["quick"]
    job = next(j for j in plan(preset) if j.name == "nope")
    mcfg, tcfg = _configs(job, preset, "cpu")
    run_dir = tmp_path / "run"
    train(mcfg, tcfg, run_dir, progress=False)
    log = run_dir / "log.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    lines[2] = lines[2].replace(b'"step"', b'"st\xfeep"')
    log.write_bytes(b"".join(lines))
    with pytest.raises(ValueError, match=r"log\.jsonl' line 3 is not UTF-8 text \(byte 0xfe") as err:
        _finished(run_dir, mcfg, tcfg)
    assert "codec" not in str(err.value) and "\n" not in str(err.value)
