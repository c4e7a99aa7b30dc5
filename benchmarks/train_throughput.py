"""Training throughput of the default config against this machine's measured fp32 matmul peak.

    python benchmarks/train_throughput.py                 # "small" preset, TrainConfig defaults, eager
    python benchmarks/train_throughput.py --compile       # the same under torch.compile
    python benchmarks/train_throughput.py --threads 1 --batch-size 64

Everything is measured in this one run, on this machine:

* peak: the best of several ``torch.mm`` of two fp32 n×n matrices (default n 2048), 2·n³ FLOPs each;
  also the best time of the model's largest matmul shape (the SwiGLU up-projection,
  [b·L, d] × [d, 2·ffn]) — the ceiling small matrices allow;
* training: ``posenc.train.train`` itself (the loop ``posenc train`` runs) on the built-in corpus;
  its tokens/s leaves out the first step (warm-up, compilation) and the evaluation and
  checkpoint time. Achieved FLOP/s = ``model.flops_per_token(L)`` × tokens/s, where
  flops_per_token = 6·N_matmul + 6·n_layers·d·L (causal attention; see TinyLM.flops_per_token).
* breakdown (``--profile-steps``, default 5; 0 skips it): ``torch.profiler`` over that many more
  steps of the same model (forward, backward, AdamW) splits the step's time into matmuls
  (``aten::mm``/``addmm``/``bmm``), attention (``aten::_scaled_dot_product*``) and the rest, and
  prints the ceilings they set: the fraction of peak reached if everything but the matmuls took no
  time, and if everything but the matmuls and attention took none.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import torch

from posenc.model import ModelConfig, TinyLM
from posenc.train import TrainConfig, train


def best_mm_flops(m: int, k: int, n: int, device: torch.device, reps: int) -> float:
    """FLOP/s of the fastest of ``reps`` fp32 matmuls [m, k] × [k, n] (2·m·k·n FLOPs each)."""
    a = torch.randn(m, k, device=device)
    b = torch.randn(k, n, device=device)
    torch.mm(a, b)  # warm-up: first-call allocation and library dispatch
    best = float("inf")
    for _ in range(reps):
        if device.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        torch.mm(a, b)
        if device.type == "cuda":
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t0)
    return 2.0 * m * k * n / best


MATMUL_OPS = {"aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm"}
ATTENTION_PREFIX = "aten::_scaled_dot_product"


def step_breakdown(model: TinyLM, batch_size: int, steps: int, compile_model: bool) -> dict[str, float]:
    """Seconds per step spent in matmuls, attention and everything else (profiler self times), over
    ``steps`` training steps (forward, backward, AdamW) after two unprofiled warm-up steps."""
    from torch.profiler import ProfilerActivity, profile

    device = next(model.parameters()).device
    seq_len = model.config.max_seq_len
    tokens = torch.randint(0, model.config.vocab_size, (batch_size, seq_len + 1), device=device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    run = torch.compile(model) if compile_model else model

    def step() -> None:
        _, loss = run(tokens[:, :-1], targets=tokens[:, 1:])
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    for _ in range(2):
        step()
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    with profile(activities=activities) as prof:
        for _ in range(steps):
            step()
    shares = dict.fromkeys(("matmul", "attention", "other"), 0.0)
    for event in prof.key_averages():
        own = event.self_device_time_total if device.type == "cuda" else event.self_cpu_time_total
        kind = (
            "matmul"
            if event.key in MATMUL_OPS
            else "attention"
            if event.key.startswith(ATTENTION_PREFIX)
            else "other"
        )
        shares[kind] += own / 1e6 / steps
    return shares


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="small", help="model preset (default small, the default model)")
    parser.add_argument("--batch-size", type=int, default=TrainConfig.batch_size, help="sequences per step")
    parser.add_argument("--seq-len", type=int, help="training length L (default: the preset's)")
    parser.add_argument("--pe", default="rope", help="position encoding (default rope)")
    parser.add_argument("--steps", type=int, default=40, help="training steps to time (default 40)")
    parser.add_argument("--compile", action="store_true", help="torch.compile the model")
    parser.add_argument("--threads", type=int, help="torch.set_num_threads (default: torch's, one per core)")
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--mm-size", type=int, default=2048, help="n of the n×n×n peak matmul (default 2048)")
    parser.add_argument("--mm-reps", type=int, default=10, help="repetitions of the peak matmul (default 10)")
    parser.add_argument(
        "--profile-steps",
        type=int,
        default=5,
        help="steps profiled for the time breakdown (default 5; 0: none)",
    )
    args = parser.parse_args()

    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    overrides = {"pe": args.pe} | ({"max_seq_len": args.seq_len} if args.seq_len else {})
    model_config = ModelConfig.preset(args.preset, **overrides)
    seq_len = model_config.max_seq_len
    flops_per_token = TinyLM(model_config).flops_per_token(seq_len)

    n = args.mm_size
    peak = best_mm_flops(n, n, n, device, args.mm_reps)
    up = 2 * model_config.ffn_hidden_size  # gate and up projections in one matrix
    shape_peak = best_mm_flops(args.batch_size * seq_len, model_config.d_model, up, device, args.mm_reps)

    # fp32 on every device: the fraction is of the fp32 peak
    train_config = TrainConfig(
        steps=args.steps,
        batch_size=args.batch_size,
        eval_every=0,
        ckpt_every=0,
        eval_windows=1,
        log_every=args.steps,
        device=args.device,
        dtype="float32",
        compile=args.compile,
    )
    with tempfile.TemporaryDirectory() as tmp:
        summary = train(model_config, train_config, f"{tmp}/run", progress=False)
    tokens_per_s = summary["tokens_per_s"]
    achieved = flops_per_token * tokens_per_s

    c = model_config
    print(f"device {device} · torch {torch.__version__} · {torch.get_num_threads()} threads")
    print(f"fp32 matmul peak       {peak / 1e9:9.1f} GFLOP/s   (best of {args.mm_reps} torch.mm {n}×{n}×{n})")
    print(
        f"model's largest matmul {shape_peak / 1e9:9.1f} GFLOP/s   "
        f"([{args.batch_size * seq_len}, {c.d_model}] × [{c.d_model}, {up}]: {shape_peak / peak:.0%} of peak)"
    )
    print(
        f"model  {args.preset}: d {c.d_model}, {c.n_layers} layers, {c.n_heads}/{c.n_kv_heads} heads, "
        f"L {seq_len}, pe {c.pe}, {summary['params'] / 1e6:.2f} M params, "
        f"{flops_per_token / 1e6:.2f} MFLOP/token"
    )
    print(
        f"train  batch {args.batch_size} × {seq_len}, fp32, {'torch.compile' if args.compile else 'eager'}, "
        f"{args.steps} steps (first left out)"
    )
    print(f"tokens/s               {tokens_per_s:9.0f}")
    print(f"achieved               {achieved / 1e9:9.1f} GFLOP/s")
    print(f"fraction of peak       {achieved / peak:9.1%}")

    if args.profile_steps > 0:
        model = TinyLM(model_config).to(device)
        times = step_breakdown(model, args.batch_size, args.profile_steps, args.compile)
        step_s = sum(times.values())
        tokens_per_step = args.batch_size * seq_len
        matmul_flops = 6.0 * model.matmul_params() * tokens_per_step
        print(
            f"breakdown ({args.profile_steps} profiled steps, {step_s * 1e3:.0f} ms/step under the profiler):"
        )
        mm_rate = matmul_flops / times["matmul"]
        print(
            f"  matmuls    {times['matmul'] / step_s:6.1%} of the step at {mm_rate / 1e9:.1f} GFLOP/s", end=""
        )
        print(f" ({mm_rate / peak:.0%} of peak)")
        print(f"  attention  {times['attention'] / step_s:6.1%} of the step")
        rest = "norms, SwiGLU, RoPE, loss, optimizer, ..."
        print(f"  the rest   {times['other'] / step_s:6.1%} of the step ({rest})")
        all_flops = flops_per_token * tokens_per_step
        print(
            f"ceilings: if only the matmuls took time {all_flops / times['matmul'] / peak:.0%} of peak; "
            f"matmuls + attention {all_flops / (times['matmul'] + times['attention']) / peak:.0%}"
        )


if __name__ == "__main__":
    main()
