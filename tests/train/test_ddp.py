"""A 2-process DDP run with gloo on CPU, launched as a user would with torchrun."""

import socket
import subprocess
import sys

import torch

from posenc.model import ModelConfig, TinyLM
from posenc.train import TrainConfig, load_model, train


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_process_gloo_run_trains_and_matches_one_process_with_the_global_batch(tmp_path):
    steps, per_rank = 3, 2
    out = tmp_path / "ddp"
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node=2",
        "--master_addr=127.0.0.1",
        f"--master_port={_free_port()}",
        "-m",
        "posenc.train",
        "--preset",
        "tiny",
        "--steps",
        str(steps),
        "--batch-size",
        str(per_rank),
        "--lr",
        "1e-3",
        "--warmup-steps",
        "0",
        "--eval-windows",
        "4",
        "--device",
        "cpu",
        "--no-progress",
        "--out",
        str(out),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.count("rope: step 3/3") == 1  # rank 0 alone prints the summary

    model, meta = load_model(out)  # a 1-process load of the DDP checkpoint
    assert meta["step"] == steps and meta["world_size"] == 2
    logits, _ = model(torch.randint(0, 256, (1, 16)))
    assert torch.isfinite(logits).all()

    # DDP averages the ranks' gradients, and rank r trains on rows r·b..(r+1)·b of the step's global
    # batch: the same as one process with batch 2·b, up to the order of float additions
    cfg = TrainConfig(
        steps=steps, batch_size=2 * per_rank, lr=1e-3, warmup_steps=0, eval_windows=4, device="cpu"
    )
    train(ModelConfig.preset("tiny"), cfg, tmp_path / "single", progress=False)
    single, _ = load_model(tmp_path / "single")
    torch.manual_seed(0)  # the initial weights of both runs (seed 0)
    start = TinyLM(ModelConfig.preset("tiny")).state_dict()
    for name, p in model.state_dict().items():
        q = single.state_dict()[name]
        torch.testing.assert_close(p, q, rtol=0, atol=1e-6, msg=name)
    moved = max((p - start[n]).abs().max().item() for n, p in model.state_dict().items())
    assert moved > 1e-4  # the runs trained: the comparison is not between untouched weights
