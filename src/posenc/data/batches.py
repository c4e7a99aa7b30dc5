"""Training batches and evaluation windows.

Both are pure functions of their arguments: a training batch depends only on
``(seed, step, rank, world_size)`` and the tokens, never on what was drawn before. That is
what makes ``--resume`` exact (the data position *is* the step) and lets every rank of a
DDP run draw its own share of the batch without talking to the others.
"""

from __future__ import annotations

import hashlib
import warnings

import torch
from torch import Tensor

from posenc.data.corpus import SEPARATOR


def mix_seed(*parts: int) -> int:
    """A 63-bit seed from integers (SHA-256 of their decimal form): unrelated for neighbouring steps."""
    digest = hashlib.sha256(":".join(str(int(p)) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "little") & (2**63 - 1)


def train_batch(
    tokens: Tensor,
    step: int,
    batch_size: int,
    seq_len: int,
    seed: int,
    rank: int = 0,
    world_size: int = 1,
) -> tuple[Tensor, Tensor]:
    """The batch of ``rank`` at ``step``: x, y int64 [batch_size, seq_len] with y[:, t] = x[:, t + 1].

    The *global* batch of the step, ``world_size * batch_size`` windows of ``seq_len + 1`` tokens at
    uniformly random offsets, is drawn from a ``torch.Generator`` seeded with ``mix_seed(seed, step)``;
    rank r takes rows ``[r * batch_size, (r + 1) * batch_size)``. So ranks see different data, and a
    DDP run with N ranks of ``batch_size`` b sees exactly the data of a 1-process run of batch N·b.

    tokens (Tensor): uint8 or integer [n], the training split (``Corpus.tokens("train")``).
    """
    if not isinstance(tokens, Tensor) or tokens.dim() != 1:
        raise ValueError(
            f"tokens must be a 1-D tensor, got {getattr(tokens, 'shape', type(tokens).__name__)}"
        )
    for name, value, low in (
        ("step", step, 0),
        ("batch_size", batch_size, 1),
        ("seq_len", seq_len, 1),
        ("world_size", world_size, 1),
    ):
        if not isinstance(value, int) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    if not isinstance(rank, int) or not 0 <= rank < world_size:
        raise ValueError(f"rank must be in [0, world_size={world_size}), got {rank!r}")
    n_starts = tokens.numel() - seq_len  # valid window starts: 0 .. n - seq_len - 1
    if n_starts < 1:
        raise ValueError(
            f"the training tokens ({tokens.numel()}) are too few for seq_len={seq_len}: "
            f"need at least seq_len + 2 = {seq_len + 2}"
        )
    gen = torch.Generator().manual_seed(mix_seed(seed, step))
    starts = torch.randint(0, n_starts, (world_size * batch_size,), generator=gen)  # [world * b]
    starts = starts[rank * batch_size : (rank + 1) * batch_size]  # [b]
    index = starts[:, None] + torch.arange(seq_len + 1)  # [b, seq_len + 1]
    window = tokens[index].long()  # [b, seq_len + 1]
    return window[:, :-1], window[:, 1:]


def window_sources(
    file_tokens: list[Tensor], length: int, n_windows: int, seed: int = 0
) -> list[tuple[int, int]]:
    """Where ``eval_windows`` takes each window: a list of (file index, offset), one per window.

    Windows of ``length + 1`` tokens are taken round-robin over the files long enough to hold one,
    visited in a seeded random order: one window from every file, then a second from each file long
    enough for two, and so on — so they come from as many files as possible. Inside a file the
    windows lie on a non-overlapping grid (random start, random order). When the long-enough files
    cannot give ``n_windows`` windows, all files are joined with ``SEPARATOR`` in the given order and
    windows are cut from that stream instead (a warning says so); the file index is then -1 and the
    offset is in the joined stream. Fewer than ``n_windows`` windows are returned (with a warning)
    only when even the joined stream is too short.
    """
    if not isinstance(length, int) or length < 1:
        raise ValueError(f"length must be an integer >= 1, got {length!r}")
    if not isinstance(n_windows, int) or n_windows < 1:
        raise ValueError(f"n_windows must be an integer >= 1, got {n_windows!r}")
    width = length + 1
    gen = torch.Generator().manual_seed(mix_seed(seed, length, n_windows))
    sizes = [int(t.numel()) for t in file_tokens]
    long_enough = [i for i, n in enumerate(sizes) if n >= width]
    if sum(sizes[i] // width for i in long_enough) >= n_windows:
        order = [long_enough[j] for j in torch.randperm(len(long_enough), generator=gen).tolist()]
        grids: dict[int, list[int]] = {}
        for i in order:
            slots = sizes[i] // width
            start = int(torch.randint(0, sizes[i] - slots * width + 1, (1,), generator=gen))
            grids[i] = [start + width * s for s in torch.randperm(slots, generator=gen).tolist()]
        sources: list[tuple[int, int]] = []
        round_ = 0
        while len(sources) < n_windows:
            for i in order:
                if round_ < len(grids[i]) and len(sources) < n_windows:
                    sources.append((i, grids[i][round_]))
            round_ += 1
        return sources
    total = sum(sizes) + len(SEPARATOR) * max(len(sizes) - 1, 0)
    slots = total // width
    if slots < 1:
        raise ValueError(
            f"the evaluation files hold {total} tokens in all, too few for one window of {width}"
        )
    warnings.warn(
        f"only {len(long_enough)} of {len(sizes)} evaluation files hold a window of {width} tokens; "
        f"windows are cut from the files joined in order",
        stacklevel=3,
    )
    if slots < n_windows:
        warnings.warn(
            f"the evaluation files give {slots} windows of {width} tokens, not {n_windows}", stacklevel=3
        )
    chosen = sorted(torch.randperm(slots, generator=gen)[:n_windows].tolist())
    return [(-1, width * s) for s in chosen]


def eval_windows(file_tokens: list[Tensor], length: int, n_windows: int, seed: int = 0) -> Tensor:
    """int64 [n, length + 1] evaluation windows, the same for the same (files, length, n_windows, seed).

    Non-overlapping windows drawn from as many different files as possible; see ``window_sources``
    for the rule. Every encoding evaluated with the same arguments sees identical text.

    file_tokens (list[Tensor]): uint8 [n_i] per held-out file (``Corpus.file_tokens("heldout")``).
    """
    sources = window_sources(file_tokens, length, n_windows, seed)
    width = length + 1
    joined = None
    rows = []
    for i, offset in sources:
        if i < 0:
            if joined is None:
                sep = torch.tensor(list(SEPARATOR), dtype=torch.uint8)
                parts = [p for j, t in enumerate(file_tokens) for p in ([sep, t] if j else [t])]
                joined = torch.cat([p.to(torch.uint8) for p in parts])  # [total]
            rows.append(joined[offset : offset + width])
        else:
            rows.append(file_tokens[i][offset : offset + width])
    return torch.stack(rows).long()  # [n, length + 1]
