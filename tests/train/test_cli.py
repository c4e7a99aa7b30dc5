import argparse
import json

import pytest

from posenc.cli import main
from posenc.model import ModelConfig
from posenc.train import TrainConfig, load_model, train
from posenc.train.cli import parse_pe_option

QUICK = [
    "--preset",
    "tiny",
    "--steps",
    "2",
    "--batch-size",
    "2",
    "--eval-windows",
    "2",
    "--device",
    "cpu",
    "--no-progress",
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("base=1e6", ("base", 1_000_000.0)),
        ("partial_rotary_factor=0.5", ("partial_rotary_factor", 0.5)),
        ("layout=half", ("layout", "half")),
        (
            'rope_scaling={"rope_type": "yarn", "factor": 4}',
            ("rope_scaling", {"rope_type": "yarn", "factor": 4}),
        ),
    ],
)
def test_pe_option_values_are_read_as_json_else_as_strings(text, expected):
    assert parse_pe_option(text) == expected


def test_pe_option_without_equals_sign_is_a_usage_error():
    with pytest.raises(argparse.ArgumentTypeError, match="KEY=VALUE"):
        parse_pe_option("base")


def test_train_command_writes_the_run_and_prints_a_one_line_summary(tmp_path, capsys):
    out = tmp_path / "rope"
    rc = main(
        [
            "train",
            *QUICK,
            "--pe",
            "rope",
            "--pe-option",
            "base=1e6",
            "--pe-option",
            "layout=interleaved",
            "--seq-len",
            "32",
            "--lr",
            "2e-3",
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert all(len(line.replace(str(out), "RUN")) <= 80 for line in lines)  # wrapped; a path stays whole
    text = " ".join(lines)
    assert text.startswith("posenc train: warm-up shortened from 100 to 0 steps")  # 2 steps: a tenth is 0
    summary = text[text.index("rope: step 2/2") :]
    assert "held-out loss" in summary and lines[-1].startswith(f"Next: posenc eval {out}")
    saved = json.loads((out / "config.json").read_text())
    assert saved["model"]["pe_options"] == {"base": 1_000_000.0, "layout": "interleaved"}
    assert saved["model"]["max_seq_len"] == 32 and saved["model"]["d_model"] == 64  # tiny preset + override
    assert saved["train"]["lr"] == 2e-3 and saved["train"]["steps"] == 2
    assert load_model(out)[1]["step"] == 2


def test_existing_run_is_a_one_line_error(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", *QUICK, "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["train", *QUICK, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("posenc train: error:") and "already holds a run" in err and "Traceback" not in err


def test_resume_from_the_command_line_takes_the_saved_config(tmp_path, capsys):
    out = tmp_path / "run"
    cfg = TrainConfig(steps=4, batch_size=2, eval_windows=2, eval_every=0, device="cpu")
    train(ModelConfig.preset("tiny", pe="alibi"), cfg, out, progress=False, stop_at=2)
    assert main(["train", "--out", str(out), "--resume", "--no-progress"]) == 0
    assert capsys.readouterr().out.startswith("alibi: step 4/4")
    assert main(["train", "--out", str(out), "--resume", "--lr", "0.1", "--no-progress"]) == 2
    assert "train.lr" in capsys.readouterr().err


def test_bad_config_value_names_the_field(tmp_path, capsys):
    assert main(["train", *QUICK, "--n-heads", "3", "--out", str(tmp_path / "run")]) == 2
    assert "n_heads" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_unknown_pe_option_names_the_option(tmp_path, capsys):
    assert main(["train", *QUICK, "--pe-option", "bsae=1e6", "--out", str(tmp_path / "run")]) == 2
    assert "bsae" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--out", "", "--out must name the run folder"),
        ("--out", " ", "--out must name the run folder"),
        ("--corpus", "", "corpus must be a path"),
    ],
)
def test_an_empty_path_is_refused_not_the_current_folder(
    tmp_path, monkeypatch, capsys, option, value, message
):
    """Issue 18: ``--out ''`` trained into the current folder; ``--corpus ''`` read it as the corpus."""
    monkeypatch.chdir(tmp_path)
    argv = {"--out": str(tmp_path / "run"), "--preset": "tiny", "--steps": "1"} | {option: value}
    assert main(["train", *[x for kv in argv.items() for x in kv], "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []  # nothing written anywhere
