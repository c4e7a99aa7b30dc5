"""Peak memory of long-context evaluation (the ``posenc eval`` perplexity path) at two lengths.

    python benchmarks/long_context_memory.py                         # "small" preset, L 128: 8·L and 16·L
    python benchmarks/long_context_memory.py --pes rope nope --device cuda

For each encoding, one window of n tokens (random init and tokens: memory does not depend on the
weights) goes through ``posenc.evaluate.perplexity.perplexity`` at n = 8·L and n = 16·L (L: the
preset's training length). Peak memory growth over the state before the evaluation:

* CPU: the process's peak resident set (``ru_maxrss``), each measurement in a fresh subprocess run
  with ``MALLOC_MMAP_THRESHOLD_=65536``: glibc then returns every freed block above 64 KiB at once,
  where by default it raises that threshold as blocks are freed and keeps freed heap pages resident,
  which makes the peak depend on the history of allocations rather than on what is live;
* CUDA: ``torch.cuda.max_memory_allocated``.

The ratio of the two peaks against the ratio of the lengths (2) tells the growth: ≈ 2 linear, ≈ 4
quadratic. RoPE and NoPE: SDPA's causal path builds no [n, n] tensor. ALiBi and T5 add a float
score bias that SDPA takes only as a mask; the model builds it a chunk of query rows at a time
(``posenc.model.lm.AttentionMask``, at most ``MASK_CHUNK_BYTES`` of scores per SDPA call), so
their growth is linear too once n passes one chunk. "whole bias MB" prints the [n_h, n, n] float32
mask a whole-sequence build would need at the longer length, for comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys

import torch

from posenc.evaluate.perplexity import perplexity
from posenc.model import ModelConfig, TinyLM


def measure(preset: str, pe: str, length: int, device: str) -> float:
    """Peak memory growth (bytes) of one perplexity evaluation of a ``length``-token window."""
    config = ModelConfig.preset(preset, pe=pe)
    torch.manual_seed(0)
    model = TinyLM(config).to(device)
    windows = torch.randint(0, config.vocab_size, (1, length + 1))  # [1, n + 1]
    perplexity(model, windows[:, :17], batch_size=1)  # warm-up: allocator and kernels, short window
    if device.startswith("cuda"):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
        perplexity(model, windows, batch_size=1)
        return float(torch.cuda.max_memory_allocated() - before)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    perplexity(model, windows, batch_size=1)
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024  # KiB -> bytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="small", help="model preset (default small)")
    parser.add_argument("--pes", nargs="+", default=["rope", "nope", "alibi", "t5"], help="encodings")
    parser.add_argument("--multiples", type=int, nargs=2, default=[8, 16], help="lengths as multiples of L")
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--child", nargs=2, metavar=("PE", "LENGTH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.preset, args.child[0], int(args.child[1]), args.device)))
        return

    config = ModelConfig.preset(args.preset)
    lengths = [m * config.max_seq_len for m in args.multiples]
    print(
        f"model {args.preset}: d {config.d_model}, {config.n_layers} layers, {config.n_heads} heads, "
        f"L {config.max_seq_len} · {args.device} · peak memory growth of one evaluation window"
    )
    print(
        f"{'pe':6} "
        + " ".join(f"{f'n={n} MB':>11}" for n in lengths)
        + f" {'ratio':>7} {'whole bias MB':>14}"
    )
    for pe in args.pes:
        peaks = []
        for n in lengths:
            if args.device.startswith("cuda"):
                peaks.append(measure(args.preset, pe, n, args.device))
                continue
            cmd = [
                sys.executable,
                __file__,
                "--preset",
                args.preset,
                "--device",
                args.device,
                "--child",
                pe,
                str(n),
            ]
            env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "65536"}
            result = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
            peaks.append(json.loads(result.stdout.strip().splitlines()[-1]))
        bias = config.n_heads * lengths[-1] ** 2 * 4 / 2**20 if pe in ("alibi", "t5") else 0.0
        cells = " ".join(f"{p / 2**20:11.1f}" for p in peaks)
        print(f"{pe:6} {cells} {peaks[1] / max(peaks[0], 1.0):7.2f} {bias:14.1f}", flush=True)
    print(
        f"length ratio {lengths[1] / lengths[0]:.0f}: a memory ratio near it is linear growth, "
        "near its square quadratic"
    )


if __name__ == "__main__":
    main()
