"""Every float a user can type is checked where it enters (issue 18, "silent nonsense"): NaN, ±inf and
out-of-range values end in one line naming the option, exit 2, and nothing written. Before, e.g.
``--pe-option base=1e-300`` made θ infinite and trained on NaN with exit 0, ``--temperature inf`` sampled
uniform noise."""

import pytest
import torch

from posenc import cli
from posenc.model import ModelConfig, TinyLM
from posenc.train.checkpoint import save_checkpoint

NON_FINITE = ["nan", "inf", "-inf"]
TRAIN_FLOATS = ["--lr", "--min-lr", "--weight-decay", "--grad-clip", "--heldout-fraction", "--dropout"]
PE_OPTIONS = [  # (--pe, option): every float an encoding takes
    ("rope", "base"),
    ("rope", "partial_rotary_factor"),
    ("sinusoidal", "base"),
    ("sinusoidal", "scale"),
    ("xpos", "base"),
    ("xpos", "scale_base"),
    ("learned", "init_std"),
    ("t5", "init_std"),
]


def _one_line(capsys, rc, *words):
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert rc == 2 and len(lines) == 1 and "Traceback" not in err, err
    for word in words:
        assert word in lines[0], (word, lines[0])


def _train(tmp_path, *extra):
    out = tmp_path / "run"
    argv = ["train", "--out", str(out), "--preset", "tiny", "--steps", "2", "--no-progress", *extra]
    return cli.main(argv), out


@pytest.mark.parametrize("value", NON_FINITE)
@pytest.mark.parametrize("option", TRAIN_FLOATS)
def test_train_float_options_refuse_non_finite_values(tmp_path, capsys, option, value):
    rc, out = _train(tmp_path, f"{option}={value}")
    _one_line(capsys, rc, option.lstrip("-").replace("-", "_"))
    assert not out.exists()


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e-300", "1e309", '"1e4"', "true"])
@pytest.mark.parametrize(("pe", "option"), PE_OPTIONS)
def test_every_encoding_float_option_refuses_nonsense(tmp_path, capsys, pe, option, value):
    if value == "1e-300" and option != "base":
        pytest.skip("a tiny positive number is a valid value of this option")
    if option == "scale_base" and value in ("Infinity", "1e309"):
        pytest.skip("xPos documents scale_base = inf as plain RoPE")
    rc, out = _train(tmp_path, "--pe", pe, "--pe-option", f"{option}={value}")
    _one_line(capsys, rc, "--pe-option", option if option != "base" or pe == "sinusoidal" else "rope_theta")
    assert not (out / "checkpoint.pt").exists()


@pytest.mark.parametrize("factor", ["NaN", "Infinity", "1e308", "0.5", '"4"'])
def test_a_rope_scaling_factor_in_pe_options_is_checked(tmp_path, capsys, factor):
    scaling = f'rope_scaling={{"rope_type": "yarn", "factor": {factor}}}'
    rc, _ = _train(tmp_path, "--pe-option", scaling)
    _one_line(capsys, rc, "factor")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    torch.manual_seed(0)
    config = ModelConfig.preset("tiny")
    folder = tmp_path_factory.mktemp("run")
    save_checkpoint(folder / "checkpoint.pt", model=TinyLM(config), model_config=config.to_dict(), step=0)
    return folder


@pytest.mark.parametrize("value", [*NON_FINITE, "-1"])
def test_generate_refuses_a_temperature_that_is_not_a_finite_number(run, capsys, value):
    _one_line(capsys, cli.main(["generate", str(run), f"--temperature={value}"]), "--temperature")


@pytest.mark.parametrize("factor", ["nan", "inf", "1e308", "0.5", "x"])
def test_eval_refuses_a_rope_scaling_factor_that_is_not_a_sane_number(run, capsys, factor):
    rc = cli.main(["eval", str(run), "--rope-scaling", f"yarn:{factor}", "--lengths", "1x"])
    _one_line(capsys, rc, "--rope-scaling")
    assert not (run / "eval.json").exists()


@pytest.mark.parametrize("lengths", ["99999999999999999999x", "16777217", "0x"])
def test_eval_refuses_lengths_beyond_what_positions_can_hold(run, capsys, lengths):
    _one_line(capsys, cli.main(["eval", str(run), "--lengths", lengths]), "--lengths")
