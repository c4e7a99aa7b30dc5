"""Sampling text from a trained model with the KV cache.

Byte-level: the model produces ``max_new_tokens`` *bytes*; they are decoded as UTF-8 with invalid
sequences (a character cut at the end) shown as U+FFFD, so the text can hold fewer characters.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from posenc.data import decode, encode


def generate_text(
    model: nn.Module,
    prompt: str,
    max_new_tokens: int = 200,
    temperature: float = 0.8,
    top_k: int | None = 50,
    seed: int = 0,
) -> tuple[str, Tensor]:
    """Continue ``prompt`` by ``max_new_tokens`` sampled bytes; returns (text of the new bytes, int64 [n]).

    Sampling: softmax(logits / temperature) over the ``top_k`` most likely bytes (``temperature`` 0:
    greedy), from a ``torch.Generator`` seeded with ``seed`` — the same seed gives the same text on
    the same device. Uses the KV cache (one single-token forward per new byte).
    Raises ``ValueError`` naming the argument when the prompt is empty or the model's position table
    (learned PE) is too short for prompt + new bytes.
    """
    if not isinstance(prompt, str) or not prompt:
        raise ValueError(
            "--prompt must be a non-empty string (the model needs at least one byte to continue)"
        )
    if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, int) or max_new_tokens < 1:
        raise ValueError(f"--max-new-tokens must be a positive integer, got {max_new_tokens!r}")
    idx = encode(prompt).long()[None]  # [1, p]
    table = getattr(getattr(model, "pe", None), "max_positions", None)
    # the last sampled byte is never fed back: positions 0 .. p + n - 2 are read
    if table is not None and idx.shape[1] + max_new_tokens - 1 > table:
        raise ValueError(
            f"--max-new-tokens {max_new_tokens}: the prompt ({idx.shape[1]} bytes) plus the new bytes need "
            f"{idx.shape[1] + max_new_tokens - 1} positions, but learned positions stop at {table} "
            "(they cannot extrapolate)"
        )
    device = next(model.parameters()).device
    generator = torch.Generator(device=device).manual_seed(seed)
    out = model.generate(
        idx.to(device),
        max_new_tokens,
        temperature=temperature,
        top_k=top_k,
        use_cache=True,
        generator=generator,
    )  # [1, p + n]
    new = out[0, idx.shape[1] :].cpu()  # [n]
    return decode(new), new
