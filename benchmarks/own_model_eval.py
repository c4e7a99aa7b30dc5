"""posenc eval on a Hugging Face model vs a plain transformers loop, on the same windows, in one run.

    python benchmarks/own_model_eval.py                           # small random Llama, CPU
    python benchmarks/own_model_eval.py --device cuda --lengths 1024,4096,16384 --d-model 768

Both sides compute the loss of the same windows [K, n] with the same model (random weights: timing
does not depend on them):

* posenc: ``posenc.evaluate.own_measure.window_losses``, the decoder once per batch and the LM head with
  the cross-entropy over chunks of positions (the [b, n, V] logits are never held whole);
* transformers: ``model(input_ids=w, labels=w).loss``, the usual loop.

Printed per length: tokens/s of each, the ratio posenc / transformers (target >= 0.95), and the peak
memory each needs for one window beyond what the model itself holds (posenc's grows linearly in n: no
logits held whole, SDPA attention). On CUDA that is ``torch.cuda.max_memory_allocated``; on CPU it is
measured in a fresh process per length and side: how far its resident memory peaks (VmHWM) above where
it stood after a warm-up window of 16 tokens (weights, torch, buffers).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import torch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--lengths", default="256,1024,2048", help="window lengths (default 256,1024,2048)")
    parser.add_argument("--windows", type=int, default=4, help="windows per length (default 4)")
    parser.add_argument("--d-model", type=int, default=256, help="hidden size (default 256)")
    parser.add_argument("--layers", type=int, default=4, help="layers (default 4)")
    parser.add_argument("--vocab", type=int, default=32000, help="vocabulary (default 32000)")
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats, best kept (default 3)")
    parser.add_argument("--child", choices=("posenc", "hf"), help=argparse.SUPPRESS)  # a memory probe
    parser.add_argument("--length", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    import transformers

    from posenc.evaluate.hf_model import _loaded, best_dtype
    from posenc.evaluate.own_measure import window_losses

    device = torch.device(args.device)
    dtype = best_dtype(args.device)
    config = transformers.LlamaConfig(
        vocab_size=args.vocab,
        hidden_size=args.d_model,
        intermediate_size=4 * args.d_model,
        num_hidden_layers=args.layers,
        num_attention_heads=args.d_model // 64,
        num_key_value_heads=max(1, args.d_model // 256),
        max_position_embeddings=2048,
    )
    config._attn_implementation = "sdpa"
    torch.manual_seed(0)
    model = transformers.LlamaForCausalLM(config).to(device=device, dtype=dtype).eval()
    loaded = _loaded(model, None, "random llama", "hf", None)
    sides = {"posenc": lambda w: window_losses(loaded, w), "hf": lambda w: model(input_ids=w, labels=w).loss}
    if args.child:
        print(json.dumps(_rss_growth_mib(sides[args.child], args.length, args.vocab)))
        return
    cuda = device.type == "cuda"
    sync = torch.cuda.synchronize if cuda else (lambda: None)

    def timed(fn, windows) -> tuple[float, float]:
        best, peak = float("inf"), float("nan")
        for _ in range(args.repeats):
            if cuda:
                torch.cuda.reset_peak_memory_stats()
            sync()
            start = time.perf_counter()
            with torch.inference_mode():
                for w in windows:
                    fn(w[None])
            sync()
            best = min(best, time.perf_counter() - start)
            if cuda:
                peak = torch.cuda.max_memory_allocated() / 2**20
        return best, peak

    header = ("length", "posenc tok/s", "hf tok/s", "ratio", "posenc MiB", "hf MiB")
    print(" ".join(f"{name:>{width}}" for name, width in zip(header, (7, 13, 10, 6, 11, 8), strict=True)))
    for length in (int(x) for x in args.lengths.split(",")):
        windows = torch.randint(0, args.vocab, (args.windows, length), device=device)
        ours, our_peak = timed(sides["posenc"], windows)
        theirs, their_peak = timed(sides["hf"], windows)
        if not cuda:
            our_peak, their_peak = (_cpu_peak_mib(side, length) for side in ("posenc", "hf"))
        tokens = args.windows * (length - 1)
        print(
            f"{length:>7} {tokens / ours:>13,.0f} {tokens / theirs:>10,.0f} {theirs / ours:>6.2f} "
            f"{our_peak:>11.0f} {their_peak:>8.0f}"
        )
    print(f"device {args.device}, {dtype}, batch 1; ratio = posenc tokens/s / transformers tokens/s")
    print("MiB: peak memory for one window beyond the model's own (CPU: peak resident, a process per cell)")
    print("Next: benchmarks/README.md records these numbers; rerun idle before you update them")


def _status_kib(field: str) -> int:
    """A field of /proc/self/status in KiB (VmRSS: resident now, VmHWM: its peak)."""
    with open("/proc/self/status", encoding="ascii") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))


def _rss_growth_mib(fn, length: int, vocab: int) -> float:
    """In this (fresh) process: how far resident memory rises above where it stood after a warm-up window
    of 16 tokens while one window of ``length`` tokens is evaluated, in MiB. The peak is VmHWM, reset to
    the current resident size after the warm-up (``5`` written to /proc/self/clear_refs); ru_maxrss would
    not do: Linux carries the parent's peak into a child across fork and exec."""
    with torch.inference_mode():
        fn(torch.randint(0, vocab, (1, 16)))
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
        base = _status_kib("VmRSS")
        fn(torch.randint(0, vocab, (1, length)))
    return (_status_kib("VmHWM") - base) / 1024


def _cpu_peak_mib(side: str, length: int) -> float:
    """:func:`_rss_growth_mib` of ``side`` at ``length`` in a child process with this run's options."""
    out = subprocess.run(
        [sys.executable, __file__, *sys.argv[1:], "--child", side, "--length", str(length)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(json.loads(out.strip().splitlines()[-1]))


if __name__ == "__main__":
    main()
