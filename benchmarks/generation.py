"""Decoding cost per token: KV cache vs recomputing the whole sequence, measured in one run.

    python benchmarks/generation.py                      # "small" preset, RoPE, 1024-token context
    python benchmarks/generation.py --preset minimind --context 2048 --device cuda

After a prompt of ``--context`` tokens (random init: timing does not depend on the weights),
each of ``--tokens`` new tokens costs

* with the KV cache: one forward of the single new token (keys/values of the context are cached);
* without it: one forward of the full sequence so far (context + tokens generated), as
  ``TinyLM.generate(use_cache=False)`` does.

Printed: median ms per token of each and the speed-up (recompute / cache). Greedy next tokens;
the prefill of the cache is not timed.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from posenc.model import ModelConfig, TinyLM


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="small", help="model preset (default small)")
    parser.add_argument("--pe", default="rope", help="position encoding (default rope)")
    parser.add_argument("--context", type=int, default=1024, help="prompt length (default 1024)")
    parser.add_argument("--tokens", type=int, default=16, help="new tokens timed (default 16)")
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    args = parser.parse_args()
    if args.context < 1 or args.tokens < 1:
        raise SystemExit("--context and --tokens must be positive integers")

    device = torch.device(args.device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    config = ModelConfig.preset(args.preset, pe=args.pe, max_seq_len=max(args.context + args.tokens, 128))
    torch.manual_seed(0)
    model = TinyLM(config).to(device).eval()
    prompt = torch.randint(0, config.vocab_size, (1, args.context), device=device)  # [1, context]

    with torch.inference_mode():
        model(prompt[:, :8])  # warm-up: first-call allocation
        cache = model.new_cache(1)
        logits, _ = model(prompt, cache=cache)  # prefill, not timed
        token = logits[:, -1:].argmax(-1)  # [1, 1]
        seq = torch.cat([prompt, token], dim=1)
        cached, full = [], []
        for _ in range(args.tokens):
            sync()
            t0 = time.perf_counter()
            logits, _ = model(token, cache=cache)  # one new token
            token = logits[:, -1:].argmax(-1)
            sync()
            cached.append(time.perf_counter() - t0)

            t0 = time.perf_counter()
            logits_full, _ = model(seq)  # the whole sequence again
            sync()
            full.append(time.perf_counter() - t0)
            seq = torch.cat([seq, logits_full[:, -1:].argmax(-1)], dim=1)

    t_cache, t_full = statistics.median(cached), statistics.median(full)
    c = config
    print(
        f"model {args.preset}: d {c.d_model}, {c.n_layers} layers, {c.n_heads}/{c.n_kv_heads} heads, "
        f"pe {c.pe} · "
        f"{device} · torch {torch.__version__} · {torch.get_num_threads()} threads"
    )
    print(f"context {args.context} tokens, {args.tokens} new tokens, median per token:")
    print(f"  KV cache (1-token forward)      {t_cache * 1e3:9.3f} ms")
    print(f"  recompute (full-sequence fwd)   {t_full * 1e3:9.3f} ms")
    print(f"  speed-up                        {t_full / t_cache:9.1f}×")


if __name__ == "__main__":
    main()
