"""Passkey trials: a number hidden in held-out code, asked for at the end (the data of the passkey test).

After Mohtashami & Jaggi 2023 ("Landmark Attention"), who hide a pass key in repeated filler
("The grass is green. The sky is blue. ...") and ask for it at the end. Adapted here to a
byte-level model trained on Python source, so the test looks like the code it has seen:

    <held-out Python code ...>
    PASSKEY = 48213                      <- key line, at a line start near depth * filler
    <held-out Python code ...>
    PASSKEY = |4 8 2 1 3|                <- prompt ends at "PASSKEY = "; 5 bytes to produce

* The whole trial (prompt + the 5 key bytes) is exactly ``length`` tokens, so the answer's last
  byte sits at position ``length - 1`` and the key is about ``(1 - depth) * length`` tokens back.
* Filler: a contiguous slice of the held-out split (tokens never trained on) at a random offset;
  the key line goes after the first newline at or after ``depth`` of the filler (``depth=0.5``:
  the middle), so it is a line of its own.
* Keys are uniform in 10000..99999. Offsets and keys come from a ``torch.Generator`` seeded with
  ``seed``: the same seed gives the same trials on every machine.

Both sides use these trials from here, below them: the evaluator asks them
(``posenc.evaluate.passkey.passkey_accuracy``) and the trainer learns from rows in their exact format
(:func:`passkey_batch`, the study's retrieval arm; ``posenc.train.loop.passkey_loss``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from posenc.data.batches import mix_seed

KEY_DIGITS = 5
KEY_PREFIX = b"PASSKEY = "
#: the line hidden in the filler is KEY_PREFIX + key + b"\n"; the prompt ends with QUESTION
QUESTION = b"\n" + KEY_PREFIX
#: shortest length a trial fits in: question, key line and the answer, with no filler at all
MIN_LENGTH = len(QUESTION) + len(KEY_PREFIX) + KEY_DIGITS + 1 + KEY_DIGITS


def _bytes_to_tokens(data: bytes) -> Tensor:
    return torch.tensor(list(data), dtype=torch.long)


@dataclass
class PasskeyTrial:
    """One trial: ``prompt`` int64 [length - 5], ``answer`` int64 [5] (the key's ASCII digits),
    ``key`` (the digits as text) and ``key_line_start`` (index of the key line in the prompt)."""

    prompt: Tensor
    answer: Tensor
    key: str
    key_line_start: int


def build_passkey_prompt(filler: Tensor, length: int, key: str, depth: float = 0.5) -> PasskeyTrial:
    """Hide ``key`` in ``filler`` so that prompt + answer is exactly ``length`` tokens.

    filler (Tensor): at least ``length - MIN_LENGTH`` byte tokens [f]; its first tokens are used.
    Raises ``ValueError`` when ``length < MIN_LENGTH``, the key is not 5 digits or the filler is short.
    """
    if not (len(key) == KEY_DIGITS and key.isdigit() and key.isascii()):
        raise ValueError(f"passkey key must be {KEY_DIGITS} ASCII digits, got {key!r}")
    if length < MIN_LENGTH:
        raise ValueError(f"passkey length must be at least {MIN_LENGTH} tokens, got {length}")
    if not 0.0 <= depth <= 1.0:
        raise ValueError(f"passkey depth must be in [0, 1], got {depth}")
    key_line = KEY_PREFIX + key.encode() + b"\n"
    n_filler = length - KEY_DIGITS - len(key_line) - len(QUESTION)
    if filler.numel() < n_filler:
        raise ValueError(f"passkey filler has {filler.numel()} tokens, {n_filler} needed for length {length}")
    body = filler[:n_filler].to(torch.long)
    cut = round(depth * n_filler)
    newlines = (body[cut:] == ord("\n")).nonzero()
    if newlines.numel():
        cut += int(newlines[0]) + 1  # just after the newline: the key line starts a line
    prompt = torch.cat([body[:cut], _bytes_to_tokens(key_line), body[cut:], _bytes_to_tokens(QUESTION)])
    return PasskeyTrial(prompt=prompt, answer=_bytes_to_tokens(key.encode()), key=key, key_line_start=cut)


def passkey_trials(
    filler: Tensor, length: int, n_trials: int, seed: int = 0, depth: float = 0.5
) -> list[PasskeyTrial]:
    """``n_trials`` trials at ``length``, a pure function of (filler, length, n_trials, seed, depth).

    filler (Tensor): held-out byte tokens [f]; repeated end to end if shorter than one trial's filler.
    """
    if n_trials < 1:
        raise ValueError(f"passkey n_trials must be >= 1, got {n_trials}")
    if filler.numel() == 0:
        raise ValueError("passkey filler is empty")
    n_filler = max(0, length - MIN_LENGTH)
    if filler.numel() <= n_filler:
        filler = filler.repeat(n_filler // filler.numel() + 2)  # [k * f]
    generator = torch.Generator().manual_seed(seed)
    offsets = torch.randint(0, filler.numel() - n_filler, (n_trials,), generator=generator)
    keys = torch.randint(10 ** (KEY_DIGITS - 1), 10**KEY_DIGITS, (n_trials,), generator=generator)
    return [
        build_passkey_prompt(filler[int(offset) :], length, str(int(key)), depth)
        for offset, key in zip(offsets, keys, strict=True)
    ]


#: stream id mixed into the seed of a passkey training batch: its draws never repeat a plain batch's
PASSKEY_STREAM = 0x5A55


def passkey_batch(
    tokens: Tensor,
    step: int,
    batch_size: int,
    seq_len: int,
    seed: int,
    rank: int = 0,
    world_size: int = 1,
) -> tuple[Tensor, Tensor]:
    """Training rows in exactly the evaluation's format and place: x, y int64 [batch_size, seq_len]
    with y[:, t] = x[:, t + 1]. Each row is one trial of ``seq_len`` tokens (the evaluation's trial at
    1× L: prompt, then the key's 5 digits) followed by a newline, so x holds the whole trial at the
    positions the evaluation puts it, and the 5 answer digits are the targets ``y[:, ANSWER]``
    (the sixth-to-last to second-to-last). An absolute encoding learns the question where the
    evaluation asks it: a row one token longer would teach it the answer one position late.

    Like ``posenc.data.train_batch``, a pure function of (seed, step): the *global* batch of the step
    (``world_size * batch_size`` rows) draws filler offsets in ``tokens`` (the training split: the
    evaluation's held-out filler is never trained on), keys uniform in 10000..99999 and depths uniform
    in [0, 1] from one generator; rank r takes rows ``[r * batch_size, (r + 1) * batch_size)``.
    """
    if seq_len < MIN_LENGTH:
        raise ValueError(f"passkey training needs seq_len >= {MIN_LENGTH} (one trial), got {seq_len}")
    n_filler = seq_len - MIN_LENGTH
    if tokens.numel() <= n_filler:
        raise ValueError(f"the training tokens ({tokens.numel()}) are too few for passkey rows of {seq_len}")
    n = world_size * batch_size
    generator = torch.Generator().manual_seed(mix_seed(seed, step, PASSKEY_STREAM))
    offsets = torch.randint(0, tokens.numel() - n_filler, (n,), generator=generator)
    keys = torch.randint(10 ** (KEY_DIGITS - 1), 10**KEY_DIGITS, (n,), generator=generator)
    depths = torch.rand(n, generator=generator, dtype=torch.float64)
    end = _bytes_to_tokens(b"\n")
    rows = []
    for i in range(rank * batch_size, (rank + 1) * batch_size):
        filler = tokens[int(offsets[i]) : int(offsets[i]) + n_filler]
        trial = build_passkey_prompt(filler, seq_len, str(int(keys[i])), float(depths[i]))
        rows.append(torch.cat([trial.prompt, trial.answer, end]))
    window = torch.stack(rows)  # [b, seq_len + 1]
    return window[:, :-1], window[:, 1:]


#: where the key's digits are among a passkey training row's targets (the last target is the newline)
ANSWER = slice(-KEY_DIGITS - 1, -1)
