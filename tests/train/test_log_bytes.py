"""A non-UTF-8 byte in log.jsonl (issue 37): resuming said only "'utf-8' codec can't decode …"; the
error now names the file and the line."""

from posenc.cli import main
from posenc.model import ModelConfig
from posenc.train import TrainConfig, train


def test_a_non_utf8_byte_in_the_log_names_the_file_and_the_line(tmp_path, capsys):
    run = tmp_path / "run"
    cfg = TrainConfig(steps=4, batch_size=2, warmup_steps=0, eval_every=0, ckpt_every=0, eval_windows=2)
    train(ModelConfig.preset("tiny", max_seq_len=32), cfg, run, progress=False, stop_at=2)
    log = run / "log.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    lines[1] = lines[1].replace(b'"step"', b'"st\xffep"')
    log.write_bytes(b"".join(lines))
    before = log.read_bytes()
    assert main(["train", "--out", str(run), "--resume", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "log.jsonl" in err[0] and "line 2" in err[0] and "0xff" in err[0], err
    assert "codec" not in err[0]
    assert log.read_bytes() == before  # left as it was
