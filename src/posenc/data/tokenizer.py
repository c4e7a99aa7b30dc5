"""Byte-level tokenizer: a token is one UTF-8 byte, so the vocabulary is the 256 byte values.

No training, no merges, no unknown tokens: any text round-trips exactly. The price is long
sequences (one token per byte), which suits a lab about *position*: contexts fill up fast.
"""

from __future__ import annotations

import torch
from torch import Tensor

#: one token per byte value 0..255
VOCAB_SIZE = 256


def encode(text: str) -> Tensor:
    """text -> uint8 [n], the UTF-8 bytes of ``text`` (n = number of bytes, not characters)."""
    if not isinstance(text, str):
        raise ValueError(f"text must be a str, got {type(text).__name__}")
    return bytes_to_tokens(text.encode("utf-8"))


def decode(ids: Tensor | list[int]) -> str:
    """ids (Tensor or list of ints in 0..255): [n] -> text; invalid UTF-8 becomes U+FFFD."""
    values = ids.flatten().tolist() if isinstance(ids, Tensor) else list(ids)
    bad = [v for v in values if not 0 <= int(v) < VOCAB_SIZE]
    if bad:
        raise ValueError(f"ids must be byte values in 0..{VOCAB_SIZE - 1}; got {bad[:5]}")
    return bytes(int(v) for v in values).decode("utf-8", errors="replace")


def bytes_to_tokens(data: bytes) -> Tensor:
    """data (bytes) -> uint8 [len(data)] (a copy, so the tensor owns writable memory)."""
    if not data:
        return torch.empty(0, dtype=torch.uint8)
    return torch.frombuffer(bytearray(data), dtype=torch.uint8)
