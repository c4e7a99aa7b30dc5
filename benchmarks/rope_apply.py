"""RoPE rotation of q and k against a memory-copy floor, every implementation timed in one run.

    python benchmarks/rope_apply.py                                  # CPU, (4, 16, 2048, 128), fp32 + bf16
    python benchmarks/rope_apply.py --device cuda --shape 4 32 4096 128 --dtypes bf16

For each dtype, layout (half / interleaved) and partial rotary factor (1, 0.25), q and k of the
given shape [b, n_h, s, h_d] are rotated by:

* floor            ``q.clone(); k.clone()`` — reads and writes the same bytes, nothing faster exists;
* posenc auto      ``posenc.encodings.rope.apply`` as users call it (compiled kernel when it pays);
* posenc eager     the same with ``impl="eager"`` (no compiler);
* HF eager         transformers' ``apply_rotary_pos_emb`` (Llama for full rotary, GPT-NeoX for
                   partial; Cohere's interleaved version for the interleaved layout, full rotary only);
* HF compile       the same function under ``torch.compile``;
* rotary-emb-torch ``rotary_embedding_torch.apply_rotary_emb`` (interleaved layout only; skipped
                   where the package is not installed).

The methods are timed in turns within each of ``--repeats`` rounds (warm-up and compilation
excluded), so a change in the shared machine's load falls on all of them alike; each cell is the
median over rounds of the method's time divided by the floor's time in the same round. "% bw" is
floor / time: the fraction of the copy bandwidth a method reaches (its bytes read + written are the
copy's). The floor's own median time and bandwidth are printed per row.

Allocation: most of the floor's time is page faults — every method returns a fresh 32-64 MiB tensor,
which glibc maps anew and the kernel faults in page by page (copying into an existing tensor takes
~0.2× the clone here). By default glibc sometimes reuses a freed block of this size instead (its
mmap threshold moves with the history of frees), and the floor then drops ~5×: one run measured a
7 ms floor where the others measured 35-45 ms. The script therefore re-runs itself with
``MALLOC_MMAP_THRESHOLD_=65536`` (every large tensor freshly mapped, as it is for tensors above
32 MiB anyway) unless that variable is already set.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable

import torch

from posenc.encodings import kernels, rope

DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
METHODS = ["floor", "posenc auto", "posenc eager", "HF eager", "HF compile", "rotary-emb-torch"]


def time_round_robin(
    fns: dict[str, Callable[[], object]], device, repeats: int, inner: int
) -> dict[str, list[float]]:
    """Seconds per call of every function, ``repeats`` timings each of ``inner`` calls, after 2 warm-ups.

    The functions take turns within each repeat (floor, then each method, then the floor again...), so
    a change in the machine's load hits every method in the same repeat instead of whichever method
    happened to be timed during it; ratios are then formed repeat by repeat."""
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    for fn in fns.values():
        for _ in range(2):
            fn()
    sync()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            for _ in range(inner):
                fn()
            sync()
            times[name].append((time.perf_counter() - t0) / inner)
    return times


def hf_functions(layout: str, partial: float) -> Callable | None:
    """transformers' apply_rotary_pos_emb for this layout/partial rotary, or None where it has none."""
    if layout == "half" and partial == 1.0:
        from transformers.models.llama.modeling_llama import apply_rotary_pos_emb
    elif layout == "half":
        from transformers.models.gpt_neox.modeling_gpt_neox import apply_rotary_pos_emb
    elif partial == 1.0:
        from transformers.models.cohere.modeling_cohere import apply_rotary_pos_emb
    else:
        return None
    return apply_rotary_pos_emb


def bench_row(shape, dtype, layout, partial, device, repeats, inner) -> dict[str, list[float] | None]:
    """Seconds per (q, k) rotation, one per round, for each method in METHODS (None: not applicable)."""
    b, n_h, s, h_d = shape
    gen = torch.Generator(device=device).manual_seed(0)
    q = torch.randn(shape, generator=gen, device=device).to(dtype)  # [b, n_h, s, h_d]
    k = torch.randn(shape, generator=gen, device=device).to(dtype)  # [b, n_h, s, h_d]
    inv_freq, scale = rope.frequencies({"head_dim": h_d, "partial_rotary_factor": partial})
    cos, sin = rope.cos_sin(torch.arange(s, device=device), inv_freq, scale)  # [s, r/2] float32

    fns: dict[str, Callable[[], object]] = {
        "floor": lambda: (q.clone(), k.clone()),
        "posenc auto": lambda: (rope.apply(q, cos, sin, layout), rope.apply(k, cos, sin, layout)),
        "posenc eager": lambda: (
            rope.apply(q, cos, sin, layout, impl="eager"),
            rope.apply(k, cos, sin, layout, impl="eager"),
        ),
    }
    kernels.warm_up(q, cos, sin, layout)  # compile outside the timed loop

    hf_apply = hf_functions(layout, partial)
    if hf_apply is not None:
        # transformers' tables: full rotary width, activation dtype, [b, s, r]
        repeat = (
            (lambda t: t.repeat_interleave(2, -1)) if layout == "interleaved" else (lambda t: t.repeat(1, 2))
        )
        hf_cos = repeat(cos).to(dtype)[None].expand(b, -1, -1)  # [b, s, r]
        hf_sin = repeat(sin).to(dtype)[None].expand(b, -1, -1)  # [b, s, r]
        compiled = torch.compile(hf_apply)
        fns["HF eager"] = lambda: hf_apply(q, k, hf_cos, hf_sin)
        fns["HF compile"] = lambda: compiled(q, k, hf_cos, hf_sin)

    if layout == "interleaved":
        try:
            from rotary_embedding_torch import apply_rotary_emb
        except ImportError:
            apply_rotary_emb = None
        if apply_rotary_emb is not None:
            freqs = (torch.arange(s, device=device)[:, None].float() * inv_freq.to(device)).repeat_interleave(
                2, -1
            )  # [s, r], the package's interleaved angle table
            fns["rotary-emb-torch"] = lambda: (apply_rotary_emb(freqs, q), apply_rotary_emb(freqs, k))
    times = time_round_robin(fns, device, repeats, inner)
    return {method: times.get(method) for method in METHODS}


MALLOC_ENV = "MALLOC_MMAP_THRESHOLD_"


def main() -> None:
    if MALLOC_ENV not in os.environ:  # a fixed glibc threshold: the same allocations every run
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, MALLOC_ENV: "65536"})
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--shape", type=int, nargs=4, default=[4, 16, 2048, 128], metavar=("B", "H", "S", "D")
    )
    parser.add_argument("--dtypes", nargs="+", default=["fp32", "bf16"], choices=list(DTYPES))
    parser.add_argument("--layouts", nargs="+", default=list(rope.LAYOUTS), choices=list(rope.LAYOUTS))
    parser.add_argument("--partials", type=float, nargs="+", default=[1.0, 0.25])
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--repeats", type=int, default=7, help="timings per cell; the median is kept")
    parser.add_argument("--inner", type=int, help="calls per timing (default 1 on CPU, 20 on CUDA)")
    args = parser.parse_args()
    device = torch.device(args.device)
    inner = args.inner or (20 if device.type == "cuda" else 1)
    shape = tuple(args.shape)

    name = (
        torch.cuda.get_device_name(device)
        if device.type == "cuda"
        else f"cpu, {torch.get_num_threads()} threads"
    )
    print(f"q and k {shape} · {name} · torch {torch.__version__} · median of {args.repeats} × {inner} calls")
    print(f"compiled path available: {kernels.compiler_available(device.type)}", end="")
    print(f" · {MALLOC_ENV}={os.environ[MALLOC_ENV]}")
    head = f"{'dtype':5} {'layout':11} {'rot':>4} {'floor ms':>9} {'GB/s':>7} " + " ".join(
        f"{m:>16}" for m in METHODS[1:]
    )
    print(head)
    for dtype_name in args.dtypes:
        dtype = DTYPES[dtype_name]
        for layout in args.layouts:
            for partial in args.partials:
                row = bench_row(shape, dtype, layout, partial, device, args.repeats, inner)
                floor = statistics.median(row["floor"])
                moved = 2 * 2 * torch.Size(shape).numel() * dtype.itemsize  # q and k, read + written
                cells = []
                for method in METHODS[1:]:
                    if row[method] is None:
                        cells.append(f"{'—':>16}")
                        continue
                    ratio = statistics.median(t / f for t, f in zip(row[method], row["floor"], strict=True))
                    cells.append(f"{ratio:6.2f}× {1 / ratio:5.0%} bw")
                print(
                    f"{dtype_name:5} {layout:11} {partial:4.2f} "
                    f"{floor * 1e3:9.3f} {moved / floor / 1e9:7.1f} " + " ".join(cells),
                    flush=True,
                )


if __name__ == "__main__":
    main()
