"""Sampling text from a trained model with the KV cache.

Byte-level: the model produces ``max_new_tokens`` *bytes*; they are decoded as UTF-8 with invalid
sequences (a character cut at the end) shown as U+FFFD, so the text can hold fewer characters.

``on_text`` streams: it gets each piece of text as soon as its bytes form whole characters, so a
long generation shows its output as it goes. ``max_new_tokens`` is capped at ``MAX_NEW_TOKENS``:
each new byte costs a forward over a KV cache that grows with it, so 10^8 bytes would run for days.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable

import torch
from torch import Tensor, nn

from posenc.data import decode, encode

#: the most bytes one call generates (64 KiB of text: minutes on a CPU for the small models)
MAX_NEW_TOKENS = 65_536


#: the smallest positive float32 (a subnormal, 2^-149); a temperature of at most half of it (2^-150) rounds
#: to 0 in the model's float32 arithmetic
MIN_TEMPERATURE = 2.0**-149


def check_temperature(temperature: object) -> None:
    """``ValueError`` naming ``--temperature`` for a positive temperature too small for float32 (the model
    divides its float32 logits by it: 1e-300 rounds to 0, and 0/0 made torch's "probability tensor contains
    inf/nan"); the other checks (finite, >= 0) are the model's."""
    if (
        isinstance(temperature, (int, float))
        and not isinstance(temperature, bool)
        and 0 < temperature <= MIN_TEMPERATURE / 2
    ):
        raise ValueError(
            f"--temperature {temperature:g} is below the smallest float32 number ({MIN_TEMPERATURE:.1e}), "
            "which the model computes in; use 0 for greedy sampling (always the most likely byte)"
        )


def generate_text(
    model: nn.Module,
    prompt: str,
    max_new_tokens: int = 200,
    temperature: float = 0.8,
    top_k: int | None = 50,
    seed: int = 0,
    on_text: Callable[[str], object] | None = None,
) -> tuple[str, Tensor]:
    """Continue ``prompt`` by ``max_new_tokens`` sampled bytes; returns (text of the new bytes, int64 [n]).

    Sampling: softmax(logits / temperature) over the ``top_k`` most likely bytes (``temperature`` 0:
    greedy), from a ``torch.Generator`` seeded with ``seed`` — the same seed gives the same text on
    the same device. Uses the KV cache (one single-token forward per new byte).
    ``on_text(piece)``, when given, receives the text as it is generated (see the module docstring);
    the pieces join to the returned text.
    Raises ``ValueError`` naming the argument when the prompt is empty, ``max_new_tokens`` is not in
    1 … ``MAX_NEW_TOKENS``, or the model's position table (learned PE) is too short for prompt + new bytes.
    """
    if not isinstance(prompt, str) or not prompt:
        raise ValueError(
            "--prompt must be a non-empty string (the model needs at least one byte to continue)"
        )
    if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, int) or max_new_tokens < 1:
        raise ValueError(f"--max-new-tokens must be a positive integer, got {max_new_tokens!r}")
    if max_new_tokens > MAX_NEW_TOKENS:
        raise ValueError(
            f"--max-new-tokens {max_new_tokens} is more than {MAX_NEW_TOKENS} bytes, the most one call "
            "generates (each byte is a forward pass: this would run for hours); "
            f"ask for at most {MAX_NEW_TOKENS}"
        )
    check_temperature(temperature)
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
    stream = None
    if on_text is not None:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")  # whole characters only

        def stream(token: Tensor) -> None:
            piece = decoder.decode(bytes([int(token[0, 0])]))
            if piece:
                on_text(piece)

    out = model.generate(
        idx.to(device),
        max_new_tokens,
        temperature=temperature,
        top_k=top_k,
        use_cache=True,
        generator=generator,
        on_token=stream,
    )  # [1, p + n]
    if on_text is not None:
        tail = decoder.decode(b"", final=True)  # a character cut at the end: U+FFFD, as decode() gives
        if tail:
            on_text(tail)
    new = out[0, idx.shape[1] :].cpu()  # [n]
    return decode(new), new
