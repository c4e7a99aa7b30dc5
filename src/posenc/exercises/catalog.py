"""The exercises: what each asks, the cases its checker runs, and the usual mistakes it recognises.

An exercise is one function for the learner to write. Its signature and docstring (shapes, formula)
come from its reference solution in ``solutions/`` (a from-scratch version in plain torch, shown by
``posenc exercise solution NAME``); the *expected values* of every case come from the library
(``posenc.encodings``: ``rope.frequencies``, ``rope.cos_sin``, ``rope.apply``, ``sinusoidal.table``,
``alibi.slopes``), never from the solution files, which tests/exercises checks against it.

A :class:`Mistake` is what code with one usual error returns on a case — pairs (i, i + 1) instead of
(i, i + r/2), sin and cos swapped, v rotated, angles in bf16, positions off by one, … — computed
with the same library functions on altered inputs. When a learner's result misses the expected
value but matches a mistake, the checker prints that mistake's hint.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SOLUTIONS_DIR = Path(__file__).with_name("solutions")


@dataclass(frozen=True)
class Mistake:
    """The result of code with one usual error; ``part`` names the element of a tuple result it is
    about (None: the whole result)."""

    hint: str  # a key of the exercise's hints
    value: Any  # Tensor, float, or a tuple of them
    atol: float
    rtol: float
    part: int | None = None


@dataclass(frozen=True)
class Case:
    """One call of the learner's function and what it must give."""

    label: str  # what the case is about, one short line
    args: tuple  # positional arguments (tensors and Python numbers)
    expected: Any = None  # Tensor, float, or a tuple of them (see ``parts``)
    raises: str | None = None  # instead of a value: the exception the function must raise
    atol: float = 0.0
    rtol: float = 0.0
    parts: tuple[str, ...] = ()  # names of the elements of a tuple result
    mistakes: tuple[Mistake, ...] = ()
    tags: frozenset[str] = frozenset()  # "bf16": the case runs in bf16
    shape_hints: Mapping[tuple[int, ...], str] = field(default_factory=dict)  # wrong shape -> hint key
    tail_from: int | None = None  # features ≥ this must pass through unchanged (partial rotary)
    agree: tuple[int, int] | None = None  # two parts that must be equal (within the tolerance)


@dataclass(frozen=True)
class Exercise:
    name: str  # what the learner types: ``posenc exercise start rope-apply-half``
    title: str
    function: str  # the function the learner writes (and the solution's file name)
    summary: str  # one line for the list
    note: str  # the notes topic that teaches it
    hints: Mapping[str, str]
    build: Callable[[], list[Case]] = field(repr=False)
    bf16_hint: str | None = None  # shown when the float32 cases pass and only bf16 ones fail

    @property
    def solution_path(self) -> Path:
        return SOLUTIONS_DIR / f"{self.function}.py"

    def solution(self) -> str:
        """The reference solution's source, as ``posenc exercise solution`` prints it."""
        return self.solution_path.read_text(encoding="utf-8")

    def template(self) -> str:
        """The solution's imports, signature and docstring, and no body: the file ``start`` writes."""
        from posenc.exercises.template import template

        return template(self.solution(), self.function)

    @functools.cached_property
    def cases(self) -> tuple[Case, ...]:
        return tuple(self.build())


# --------------------------------------------------------------------------------------------------
# helpers: inputs, and mistakes that differ from the expected value
# --------------------------------------------------------------------------------------------------


def _randn(shape: Sequence[int], seed: int, dtype=None):
    import torch

    x = torch.randn(tuple(shape), generator=torch.Generator().manual_seed(seed))
    return x if dtype is None else x.to(dtype)


def _close(a: Any, b: Any, atol: float, rtol: float) -> bool:
    """Whether two results (tensors, numbers or tuples of them) agree within the tolerance."""
    import torch

    if isinstance(a, tuple) or isinstance(b, tuple):
        return (
            isinstance(a, tuple)
            and isinstance(b, tuple)
            and len(a) == len(b)
            and all(_close(x, y, atol, rtol) for x, y in zip(a, b, strict=True))
        )
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        a, b = torch.as_tensor(a), torch.as_tensor(b)
        if a.shape != b.shape:
            return False
        return bool(torch.isclose(a.double(), b.double(), rtol=rtol, atol=atol).all())
    return abs(float(a) - float(b)) <= atol + rtol * abs(float(b))


def _distinct(
    expected: Any, atol: float, rtol: float, candidates: list[tuple[str, Any]], part: int | None = None
) -> tuple[Mistake, ...]:
    """Mistakes for ``candidates`` ((hint, value) pairs), leaving out any that the expected value
    itself would match (a mistake that changes nothing on this case says nothing about it)."""
    target = expected if part is None else expected[part]
    return tuple(
        Mistake(hint, value, atol, rtol, part)
        for hint, value in candidates
        if not _close(value, target, atol, rtol)
    )


def _near_miss(expected: Any, rtol: float, atol: float = 0.0, part: int | None = None) -> Mistake:
    """Right up to a loose tolerance: the learner computed the right thing in too low a precision."""
    return Mistake("precision", expected if part is None else expected[part], atol, rtol, part)


# --------------------------------------------------------------------------------------------------
# sinusoidal
# --------------------------------------------------------------------------------------------------

SINUSOIDAL_HINTS = {
    "swapped": "sin and cos are swapped: PE[p, 2i] is the sine, PE[p, 2i + 1] the cosine.",
    "concatenated": "all sines come first and all cosines after them; here the sine and the cosine "
    "of one frequency sit side by side, at features 2i and 2i + 1.",
    "exponent": "each frequency is base^(−2i/d) with i the pair index (features 2i and 2i + 1 share "
    "it); your table turns as base^(−i/d): the exponent misses its factor 2.",
    "offset": "positions start at 0: row p of the table is position p, so row 0 is "
    "sin 0 = 0, cos 0 = 1.",
    "precision": "close, but not within the tolerance: form the angles p / base^(2i/d) in float64 "
    "and cast the table to float32 at the end (at p ≈ 4000 a float32 angle is off by ~1e-4 rad).",
}


def _sinusoidal_cases() -> list[Case]:
    import torch

    from posenc.encodings.sinusoidal import table

    atol = 1e-5
    cases = []
    for seq_len, dim, base, label in [
        (4, 4, 10000.0, "4 positions · d 4"),
        (50, 32, 10000.0, "50 positions · d 32"),
        (16, 6, 10000.0, "d 6: an odd number of pairs"),
        (20, 16, 100.0, "base 100"),
        (4096, 64, 10000.0, "4096 positions (past a 2048 training length) · d 64"),
    ]:
        expected = table(seq_len, dim, base)  # [s, d]
        pairs = expected.view(seq_len, dim // 2, 2)  # [s, d/2, 2]: (sin, cos)
        mistakes = _distinct(
            expected,
            atol,
            0.0,
            [
                ("swapped", pairs.flip(-1).reshape(seq_len, dim)),
                ("concatenated", torch.cat((expected[:, 0::2], expected[:, 1::2]), dim=-1)),
                ("exponent", table(seq_len, dim, math.sqrt(base))),
                ("offset", table(seq_len + 1, dim, base)[1:]),
            ],
        )
        cases.append(
            Case(
                label,
                (seq_len, dim, base),
                expected,
                atol=atol,
                mistakes=(*mistakes, _near_miss(expected, 0.0, 5e-3)),
            )
        )
    cases.append(Case("odd d 7: must raise ValueError", (8, 7, 10000.0), raises="ValueError"))
    return cases


# --------------------------------------------------------------------------------------------------
# RoPE frequencies
# --------------------------------------------------------------------------------------------------

FREQUENCY_HINTS = {
    "rotary_dim": "the exponent divides by the rotary dim r = int(h_d · partial_rotary_factor), "
    "not by h_d: θ_i = base^(−2i/r).",
    "sign": "θ_i = base^(−2i/r) has a negative exponent: the first pair turns fastest (θ_0 = 1 "
    "radian per token) and the others ever more slowly.",
    "pair_index": "the exponent is 2i/r with i the pair index — torch.arange(0, r, 2) / r — not i/r.",
    "length": "one frequency per pair: r/2 values, not r.",
    "precision": "close, but off by up to a few tenths of a percent: that is bf16/fp16 rounding. "
    "Compute the exponent and the power in float32.",
}


def _theta(head_dim: int, base: float = 10000.0, partial: float = 1.0):
    from posenc.encodings import rope

    config = {"head_dim": head_dim, "rope_theta": base, "partial_rotary_factor": partial}
    return rope.frequencies(config)[0]


def _frequency_cases() -> list[Case]:
    rtol = 1e-5
    cases = []
    for head_dim, base, partial, label in [
        (8, 10000.0, 1.0, "h_d 8 · base 1e4"),
        (64, 10000.0, 1.0, "h_d 64 · base 1e4"),
        (128, 500000.0, 1.0, "h_d 128 · base 5e5 (Llama 3)"),
        (64, 1e6, 1.0, "h_d 64 · base 1e6 (MiniMind)"),
        (6, 10000.0, 1.0, "h_d 6: an odd number of pairs"),
        (64, 10000.0, 0.25, "partial rotary 0.25 (GPT-NeoX): r = 16 of h_d 64"),
        (80, 10000.0, 0.5, "h_d 80 · partial rotary 0.5: r = 40"),
    ]:
        expected = _theta(head_dim, base, partial)  # [r/2]
        rotary = int(head_dim * partial)
        mistakes = _distinct(
            expected,
            0.0,
            rtol,
            [
                ("rotary_dim", _theta(head_dim, base)[: rotary // 2]),
                ("sign", 1.0 / expected),
                ("pair_index", _theta(rotary, math.sqrt(base))),
            ],
        )
        cases.append(
            Case(
                label,
                (head_dim, base, partial),
                expected,
                rtol=rtol,
                mistakes=(*mistakes, _near_miss(expected, 1e-2)),
                shape_hints={(rotary,): "length"},
            )
        )
    cases.append(Case("odd h_d 9: must raise ValueError", (9, 10000.0, 1.0), raises="ValueError"))
    odd_rotary = "h_d 10 · partial 0.5: odd r = 5, must raise ValueError"
    cases.append(Case(odd_rotary, (10, 10000.0, 0.5), raises="ValueError"))
    return cases


# --------------------------------------------------------------------------------------------------
# RoPE apply (both layouts) and attention
# --------------------------------------------------------------------------------------------------

APPLY_HINTS = {
    "pairs_half": "you paired neighbours (2i, 2i + 1); the half layout pairs feature i with "
    "i + r/2 (x₁ = x[..., :r/2], x₂ = x[..., r/2:r]).",
    "pairs_interleaved": "you paired feature i with i + r/2 (the half layout); the interleaved "
    "layout pairs neighbours (2i, 2i + 1): x₁ = x[..., 0:r:2], x₂ = x[..., 1:r:2].",
    "swapped": "sin and cos are swapped: y₁ = x₁ cos − x₂ sin, y₂ = x₂ cos + x₁ sin.",
    "direction": "you rotate by −m·θ: check the signs, y₁ = x₁ cos − x₂ sin and "
    "y₂ = x₂ cos + x₁ sin.",
    "off_by_one": "the angles are off by one position: token j sits at positions[j], the angle is "
    "positions[j] · θ_i (no + 1, no − 1).",
    "arange": "you used positions 0 … s − 1; use the positions you are given (after a KV cache, or "
    "past the training length, they do not start at 0).",
    "bf16": "the angles m · θ_i were formed in bf16 (positions or θ cast to x's dtype): bf16 keeps "
    "8 bits, so position 3001 becomes 3008. Cast positions and θ to float32, compute cos/sin and "
    "the products in float32, round to x's dtype once at the end.",
    "tail": "features r … h_d − 1 (partial rotary) must pass through unchanged: rotate only the first "
    "r = 2 · len(inv_freq) features and concatenate the rest.",
    "identity": "the output equals x: nothing was rotated.",
    "precision": "close, but not within the tolerance: form the angles and the products in float32 "
    "(not bf16), then round once.",
}

ATTENTION_HINTS = {
    "rotate_v": "v was rotated too. RoPE rotates q and k only: position decides where to look "
    "(the scores q·k), not what is read (v). See `posenc notes why-not-v`.",
    "only_q": "only q was rotated: rotate k at its positions too, so that the score depends on the "
    "offset between them.",
    "no_mask": "no causal mask: token j may attend only to tokens 0 … j (mask the scores above the "
    "diagonal with −inf before the softmax).",
    "no_scale": "the scores are not divided by √h_d.",
    "pairs": "the rotation pairs neighbours (2i, 2i + 1); here pair i is features (i, i + h_d/2), "
    "the half layout.",
    "precision": APPLY_HINTS["precision"],
}


def _rope_inputs(shape, dtype_name: str, positions: list[int], theta_dims: tuple[int, float], seed: int):
    import torch

    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16}[dtype_name]
    head_dim, partial = theta_dims
    return (
        _randn(shape, seed, dtype),
        torch.tensor(positions, dtype=torch.int64),
        _theta(head_dim, 10000.0, partial),
    )


#: (label, x shape [b, n_h, s, h_d], dtype, positions, (head_dim of θ, partial rotary factor))
APPLY_SETUPS = [
    ("fp32 · [1, 1, 4, 8] · positions 0…3", (1, 1, 4, 8), "fp32", range(4), (8, 1.0)),
    ("fp32 · [2, 3, 16, 64] · positions 0…15", (2, 3, 16, 64), "fp32", range(16), (64, 1.0)),
    ("fp32 · h_d 6: an odd number of pairs", (1, 2, 10, 6), "fp32", range(10), (6, 1.0)),
    (
        "fp32 · positions 5000…5015 (past a 4096 training length)",
        (1, 2, 16, 64),
        "fp32",
        range(5000, 5016),
        (64, 1.0),
    ),
    ("fp32 · positions 7, 3, 3, 100 (any order, repeats)", (1, 1, 4, 16), "fp32", [7, 3, 3, 100], (16, 1.0)),
    ("fp32 · one token at position 2047 (decoding)", (2, 4, 1, 32), "fp32", [2047], (32, 1.0)),
    ("fp32 · partial rotary 0.25: r = 16 of h_d 64", (1, 2, 8, 64), "fp32", range(8), (64, 0.25)),
    ("fp32 · odd h_d 9, r = 8: one feature passes through", (1, 1, 6, 9), "fp32", range(6), (8, 1.0)),
    ("bf16 · [2, 3, 16, 64] · positions 0…15", (2, 3, 16, 64), "bf16", range(16), (64, 1.0)),
    ("bf16 · positions 3000…3015", (1, 2, 16, 64), "bf16", range(3000, 3016), (64, 1.0)),
    ("bf16 · partial 0.25 · positions 1000…1007", (1, 2, 8, 64), "bf16", range(1000, 1008), (64, 0.25)),
]

TOLERANCES = {"fp32": 2e-3, "bf16": 3e-2}


def _bf16_angle_tables(positions, theta):
    """cos/sin as code that forms the angles in bf16 gets them (three ways of doing it)."""
    import torch

    bf = torch.bfloat16
    variants = [
        positions.to(bf).float()[:, None] * theta,  # positions cast to bf16
        (positions.to(bf)[:, None] * theta.to(bf)).float(),  # the whole product in bf16
        positions.float()[:, None] * theta.to(bf).float(),  # θ cast to bf16
    ]
    return [(angles.cos(), angles.sin()) for angles in variants]


def _apply_cases(layout: str) -> list[Case]:
    import torch

    from posenc.encodings import rope

    other = "interleaved" if layout == "half" else "half"
    cases = []
    for seed, (label, shape, dtype_name, positions, theta_dims) in enumerate(APPLY_SETUPS):
        x, pos, theta = _rope_inputs(shape, dtype_name, list(positions), theta_dims, seed)
        cos, sin = rope.cos_sin(pos, theta)  # [s, r/2] float32

        def rotated(c, s, how=layout, x=x):
            return rope.apply(x, c, s, how)

        expected = rotated(cos, sin)
        tol = TOLERANCES[dtype_name]
        rotary = 2 * theta.shape[0]
        candidates = [
            ("identity", x.clone()),
            (f"pairs_{layout}", rotated(cos, sin, other)),
            ("swapped", rotated(sin, cos)),
            ("direction", rotated(cos, -sin)),
            ("off_by_one", rotated(*rope.cos_sin(pos + 1, theta))),
            ("off_by_one", rotated(*rope.cos_sin(pos - 1, theta))),
            ("arange", rotated(*rope.cos_sin(torch.arange(len(pos)), theta))),
        ]
        if dtype_name == "bf16":
            candidates += [("bf16", rotated(c, s)) for c, s in _bf16_angle_tables(pos, theta)]
        if rotary < shape[-1]:
            zero_tail = torch.cat((expected[..., :rotary], torch.zeros_like(expected[..., rotary:])), -1)
            candidates.append(("tail", zero_tail))
        mistakes = _distinct(expected, tol, tol, candidates)
        cases.append(
            Case(
                label,
                (x, pos, theta),
                expected,
                atol=tol,
                rtol=tol,
                mistakes=(*mistakes, _near_miss(expected, 5 * tol, 5 * tol)),
                tags=frozenset({dtype_name}),
                shape_hints={(*shape[:-1], rotary): "tail"} if rotary < shape[-1] else {},
                tail_from=rotary if rotary < shape[-1] else None,
            )
        )
    return cases


def _attention_case(seed: int, label: str, shape: tuple[int, ...], positions: list[int]) -> Case:
    import torch
    import torch.nn.functional as F

    from posenc.encodings import rope

    tol = 2e-3
    q, k, v = (_randn(shape, 3 * seed + j) for j in range(3))  # [b, n_h, s, h_d] each
    pos = torch.tensor(positions, dtype=torch.int64)
    theta = _theta(shape[-1])
    cos, sin = rope.cos_sin(pos, theta)  # [s, h_d/2]

    def rot(t, layout="half"):
        return rope.apply(t, cos, sin, layout)

    def attend(q_, k_, v_, causal=True, scale=None):
        return F.scaled_dot_product_attention(q_, k_, v_, is_causal=causal, scale=scale)

    expected = attend(rot(q), rot(k), v)
    candidates = [
        ("rotate_v", attend(rot(q), rot(k), rot(v))),
        ("only_q", attend(rot(q), k, v)),
        ("no_mask", attend(rot(q), rot(k), v, causal=False)),
        ("no_scale", attend(rot(q), rot(k), v, scale=1.0)),
        ("pairs", attend(rot(q, "interleaved"), rot(k, "interleaved"), v)),
    ]
    return Case(
        label,
        (q, k, v, pos, theta),
        expected,
        atol=tol,
        rtol=tol,
        mistakes=(*_distinct(expected, tol, tol, candidates), _near_miss(expected, 5 * tol, 5 * tol)),
    )


def _attention_cases() -> list[Case]:
    setups = [
        ("[1, 1, 4, 8] · positions 0…3", (1, 1, 4, 8), range(4)),
        ("[2, 3, 12, 32] · positions 0…11", (2, 3, 12, 32), range(12)),
        ("positions 4000…4009 (past a 2048 training length)", (1, 2, 10, 64), range(4000, 4010)),
        ("h_d 6: an odd number of pairs", (1, 2, 6, 6), range(6)),
        ("one token at position 9 (s = 1)", (2, 2, 1, 16), [9]),
    ]
    return [_attention_case(seed, label, shape, list(p)) for seed, (label, shape, p) in enumerate(setups)]


# --------------------------------------------------------------------------------------------------
# the relative-position property
# --------------------------------------------------------------------------------------------------

RELATIVE_HINTS = {
    "only_q": "only q was rotated: with k left at position 0 the score depends on m itself. Rotate k "
    "to position n.",
    "same_position": "k was rotated to position m instead of n: ⟨R_m q, R_m k⟩ = ⟨q, k⟩, which holds "
    "no position at all.",
    "pairs": "the rotation pairs neighbours (2i, 2i + 1); here pair i is features (i, i + h_d/2), the "
    "half layout.",
    "swapped": "sin and cos are swapped: y₁ = x₁ cos − x₂ sin, y₂ = x₂ cos + x₁ sin.",
    "direction": "you rotate by −m·θ: check the signs, y₁ = x₁ cos − x₂ sin and "
    "y₂ = x₂ cos + x₁ sin.",
    "precision": "close, but not within the tolerance: form the angles in float32 or wider.",
}


def _score(q, k, theta, m: int, n: int, layout="half", swap=False, sign=1.0, rotate_k=True) -> float:
    """⟨R_m q, R_n k⟩ by the library's rotation (or by a mistaken variant of it), in float64."""
    import torch

    from posenc.encodings import rope

    def rotated(v, position):
        cos, sin = rope.cos_sin(torch.tensor([position]), theta)  # [1, h_d/2]
        if swap:
            cos, sin = sin, cos
        return rope.apply(v.view(1, 1, 1, -1), cos, sign * sin, layout).view(-1)  # [h_d]

    k_rot = rotated(k, n) if rotate_k else k
    return float(torch.dot(rotated(q, m).double(), k_rot.double()))


def _relative_case(seed: int, head_dim: int, base: float, m: int, n: int, shift: int, label: str) -> Case:
    q, k = _randn((head_dim,), 2 * seed), _randn((head_dim,), 2 * seed + 1)
    theta = _theta(head_dim, base)
    tol = 2e-3 * float(q.norm() * k.norm())  # float32 angles at positions ≤ 6000: ≲ 5e-4 rad off

    def both(**how) -> tuple[float, float]:
        return _score(q, k, theta, m, n, **how), _score(q, k, theta, m + shift, n + shift, **how)

    expected = both()
    candidates = [
        ("only_q", both(rotate_k=False)),
        ("same_position", (_score(q, k, theta, m, m), _score(q, k, theta, m + shift, m + shift))),
        ("pairs", both(layout="interleaved")),
        ("swapped", both(swap=True)),
        ("direction", both(sign=-1.0)),
    ]
    return Case(
        label,
        (q, k, theta, m, n, shift),
        expected,
        atol=tol,
        parts=("score", "shifted_score"),
        mistakes=(*_distinct(expected, tol, 0.0, candidates), _near_miss(expected, 0.0, 5 * tol)),
        agree=(0, 1),
    )


def _relative_cases() -> list[Case]:
    setups = [
        (8, 10000.0, 3, 7, 5, "h_d 8 · m 3, n 7 · shift 5"),
        (64, 10000.0, 100, 40, 1000, "h_d 64 · m 100, n 40 (n < m) · shift 1000"),
        (64, 10000.0, 0, 0, 3000, "h_d 64 · m = n = 0 · shift 3000"),
        (128, 500000.0, 2047, 2000, 2048, "h_d 128 · base 5e5 · m 2047, n 2000 · shift 2048"),
        (6, 10000.0, 10, 12, 7, "h_d 6 · m 10, n 12 · shift 7"),
        (64, 1e6, 5, 3000, 3000, "h_d 64 · base 1e6 · m 5, n 3000 · shift 3000"),
    ]
    return [_relative_case(seed, *setup) for seed, setup in enumerate(setups)]


# --------------------------------------------------------------------------------------------------
# ALiBi slopes
# --------------------------------------------------------------------------------------------------

ALIBI_HINTS = {
    "geometric": "for n heads not a power of two, 2^(−8(h+1)/n) is not what the paper uses: take the "
    "slopes of the closest power of two n' < n, then every other slope (0, 2, 4, …) of the 2n' "
    "sequence for the remaining n − n' heads.",
    "start_at_zero": "the exponent is −8(h + 1)/n with h = 0 … n − 1: the first slope is 2^(−8/n), not 1.",
    "odd_extras": "the extra slopes are every other slope of the 2n' sequence starting at its first "
    "one (indices 0, 2, 4, …), not at its second.",
    "reversed": "the largest slope comes first (head 0 looks nearest).",
    "precision": "close, but not within the tolerance: compute the slopes in float64 or as Python "
    "floats and return float32.",
}


def _alibi(n: int, offset: int = 1, extras: slice = slice(0, None, 2), plain: bool = False) -> list[float]:
    """Slopes as written by code with a mistake (the default arguments are the paper's own rule)."""

    def geometric(count: int) -> list[float]:
        return [2.0 ** (-8.0 * (h + offset) / count) for h in range(count)]

    if plain:
        return geometric(n)
    lower = 1 << (n.bit_length() - 1)
    return geometric(lower) + geometric(2 * lower)[extras][: n - lower]


def _alibi_cases() -> list[Case]:
    import torch

    from posenc.encodings import alibi

    rtol = 1e-6
    cases = []
    for n in (1, 2, 8, 16, 32, 3, 5, 6, 12, 24, 40):
        expected = alibi.slopes(n)  # [n]
        power = n & (n - 1) == 0
        candidates = [
            ("geometric", torch.tensor(_alibi(n, plain=True))),
            ("start_at_zero", torch.tensor(_alibi(n, offset=0))),
            ("odd_extras", torch.tensor(_alibi(n, extras=slice(1, None, 2)))),
            ("reversed", expected.flip(0)),
        ]
        label = f"{n} head{'s' if n > 1 else ''}" + ("" if power else " (not a power of two)")
        cases.append(
            Case(
                label,
                (n,),
                expected,
                rtol=rtol,
                mistakes=(*_distinct(expected, 0.0, rtol, candidates), _near_miss(expected, 1e-3)),
            )
        )
    return cases


# --------------------------------------------------------------------------------------------------
# NTK-aware and YaRN frequencies
# --------------------------------------------------------------------------------------------------

NTK_HINTS = {
    "no_exponent": "the new base is base · factor^(d/(d − 2)): you multiplied the base by the factor "
    "itself, so the slowest pair turns slower by less than the factor.",
    "linear": "θ_i / factor for every pair is position interpolation (rope_type linear); NTK keeps "
    "the fastest pair and changes the base instead.",
    "inverse_exponent": "the exponent is d/(d − 2), not (d − 2)/d.",
    "precision": FREQUENCY_HINTS["precision"],
}

YARN_HINTS = {
    "minimind": "this is MiniMind's YaRN ramp: it clamps hi at d/2 − 1, transformers' YaRN at d − 1 "
    "(hi = min(ceil(dim(beta_slow)), d − 1)).",
    "no_truncate": "lo and hi are rounded: lo = floor(dim(beta_fast)), hi = ceil(dim(beta_slow)) "
    "(transformers' truncate = True).",
    "reversed_ramp": "the ramp runs the wrong way: the fast pairs (small i, γ = 0) keep θ_i, the slow "
    "pairs (γ = 1) get θ_i / s: θ'_i = θ_i (1 − γ_i) + (θ_i / s) γ_i.",
    "linear": "θ_i / s for every pair is position interpolation; YaRN keeps the fast pairs and ramps "
    "between them and the slow ones.",
    "attention_missing": "the attention factor is 0.1 · ln(s) + 1 (MiniMind's YaRN defaults it to "
    "1.0; transformers' YaRN does not).",
    "attention_squared": "you returned (0.1 · ln(s) + 1)²: that is what the attention logits are "
    "multiplied by; cos and sin each carry 0.1 · ln(s) + 1.",
    "attention_sqrt": "you returned √(0.1 · ln(s) + 1); the factor on cos and sin is 0.1 · ln(s) + 1 "
    "itself (the paper's √(1/t)).",
    "attention_log10": "ln is the natural logarithm: 0.1 · ln(s) + 1, not log10.",
    "precision": FREQUENCY_HINTS["precision"],
}


def _ntk_cases() -> list[Case]:
    from posenc.encodings import rope

    rtol = 1e-5
    cases = []
    for head_dim, base, factor, label in [
        (64, 10000.0, 2.0, "h_d 64 · base 1e4 · factor 2"),
        (64, 1e6, 16.0, "h_d 64 · base 1e6 · factor 16 (MiniMind's settings)"),
        (128, 500000.0, 8.0, "h_d 128 · base 5e5 · factor 8"),
        (6, 10000.0, 4.0, "h_d 6: an odd number of pairs · factor 4"),
        (32, 10000.0, 1.0, "factor 1: plain RoPE"),
    ]:
        scaling = {"rope_type": "ntk", "factor": factor}
        expected, _ = rope.frequencies({"head_dim": head_dim, "rope_theta": base, "rope_scaling": scaling})
        candidates = [
            ("no_exponent", _theta(head_dim, base * factor)),
            ("linear", _theta(head_dim, base) / factor),
            ("inverse_exponent", _theta(head_dim, base * factor ** ((head_dim - 2) / head_dim))),
        ]
        cases.append(
            Case(
                label,
                (head_dim, base, factor),
                expected,
                rtol=rtol,
                mistakes=(*_distinct(expected, 0.0, rtol, candidates), _near_miss(expected, 1e-2)),
            )
        )
    return cases


def _yarn_cases() -> list[Case]:
    from posenc.encodings import rope

    rtol, atol_factor = 1e-5, 1e-6
    cases = []
    for head_dim, base, factor, original, beta_fast, beta_slow, label in [
        (64, 1e6, 16.0, 2048, 32.0, 1.0, "h_d 64 · base 1e6 · s 16 · L 2048 (MiniMind's settings)"),
        (128, 1e6, 4.0, 32768, 32.0, 1.0, "h_d 128 · base 1e6 · s 4 · L 32768 (Qwen2.5)"),
        (64, 10000.0, 40.0, 4096, 32.0, 1.0, "h_d 64 · base 1e4 · s 40 · L 4096"),
        (64, 10000.0, 8.0, 65536, 32.0, 1.0, "L 65536: hi lands past d/2 − 1"),
        (8, 10000.0, 2.0, 512, 32.0, 1.0, "h_d 8 · s 2 · L 512"),
        (64, 10000.0, 4.0, 4096, 16.0, 2.0, "beta_fast 16 · beta_slow 2"),
    ]:
        scaling = {
            "rope_type": "yarn",
            "factor": factor,
            "original_max_position_embeddings": original,
            "beta_fast": beta_fast,
            "beta_slow": beta_slow,
        }
        config = {"head_dim": head_dim, "rope_theta": base}
        inv_freq, attention = rope.frequencies(config | {"rope_scaling": scaling})
        expected = (inv_freq, attention)
        theta = _theta(head_dim, base)
        minimind, _ = rope.frequencies(
            config
            | {"max_position_embeddings": int(original * factor)}
            | {"rope_scaling": scaling | {"rope_type": "minimind_yarn"}}
        )
        loose, _ = rope.frequencies(config | {"rope_scaling": scaling | {"truncate": False}})
        frequency_mistakes = _distinct(
            expected,
            0.0,
            rtol,
            [
                ("minimind", minimind),
                ("no_truncate", loose),
                ("reversed_ramp", theta + theta / factor - inv_freq),
                ("linear", theta / factor),
            ],
            part=0,
        )
        mscale = 0.1 * math.log(factor) + 1
        factor_mistakes = _distinct(
            expected,
            atol_factor,
            0.0,
            [
                ("attention_missing", 1.0),
                ("attention_squared", mscale**2),
                ("attention_sqrt", math.sqrt(mscale)),
                ("attention_log10", 0.1 * math.log10(factor) + 1),
            ],
            part=1,
        )
        cases.append(
            Case(
                label,
                (head_dim, base, factor, original, beta_fast, beta_slow),
                expected,
                atol=atol_factor,
                rtol=rtol,
                parts=("inv_freq", "attention_factor"),
                mistakes=(*frequency_mistakes, _near_miss(expected, 1e-2, part=0), *factor_mistakes),
            )
        )
    return cases


# --------------------------------------------------------------------------------------------------
# the registry, in the order the learning path takes them
# --------------------------------------------------------------------------------------------------

EXERCISES: dict[str, Exercise] = {
    e.name: e
    for e in [
        Exercise(
            "sinusoidal",
            "Sinusoidal position table",
            "sinusoidal_table",
            "PE[p, 2i] = sin(p / base^(2i/d)), PE[p, 2i+1] = cos(…)",
            "history",
            SINUSOIDAL_HINTS,
            _sinusoidal_cases,
        ),
        Exercise(
            "rope-frequencies",
            "RoPE frequencies",
            "rope_frequencies",
            "θ_i = base^(−2i/r), r = rotary dim (partial rotary)",
            "frequencies",
            FREQUENCY_HINTS,
            _frequency_cases,
        ),
        Exercise(
            "rope-apply-half",
            "RoPE apply, half layout",
            "rope_apply_half",
            "rotate pairs (i, i + r/2) by m·θ_i; tail passes through",
            "rope-rotation",
            APPLY_HINTS,
            lambda: _apply_cases("half"),
            bf16_hint="bf16",
        ),
        Exercise(
            "rope-apply-interleaved",
            "RoPE apply, interleaved layout",
            "rope_apply_interleaved",
            "rotate pairs (2i, 2i + 1) by m·θ_i; tail passes through",
            "rope-rotation",
            APPLY_HINTS,
            lambda: _apply_cases("interleaved"),
            bf16_hint="bf16",
        ),
        Exercise(
            "relative-position",
            "The relative-position property, numerically",
            "relative_position_scores",
            "⟨R_m q, R_n k⟩ = ⟨R_(m+t) q, R_(n+t) k⟩ for any shift t",
            "relative-proof",
            RELATIVE_HINTS,
            _relative_cases,
        ),
        Exercise(
            "rope-attention",
            "Causal attention with RoPE on q and k (not v)",
            "rope_attention",
            "softmax(R q · (R k)ᵀ / √h_d + causal mask) · v",
            "why-not-v",
            ATTENTION_HINTS,
            _attention_cases,
        ),
        Exercise(
            "alibi-slopes",
            "ALiBi slopes for any head count",
            "alibi_slopes",
            "m_h = 2^(−8(h+1)/n), and the paper's rule for other n",
            "other-encodings",
            ALIBI_HINTS,
            _alibi_cases,
        ),
        Exercise(
            "ntk-frequencies",
            "NTK-aware scaled frequencies",
            "ntk_frequencies",
            "b' = base · s^(d/(d−2)), θ'_i = b'^(−2i/d)",
            "rope-scaling",
            NTK_HINTS,
            _ntk_cases,
        ),
        Exercise(
            "yarn",
            "YaRN frequencies and attention factor",
            "yarn_frequencies",
            "NTK-by-parts ramp between β_fast and β_slow; 0.1·ln(s) + 1",
            "rope-scaling",
            YARN_HINTS,
            _yarn_cases,
        ),
    ]
}


def find(name: str) -> Exercise:
    """An exercise by name (or by its function's name); ``ValueError`` listing them otherwise."""
    key = name.strip().lower()
    for exercise in EXERCISES.values():
        if key in (exercise.name, exercise.function):
            return exercise
    raise ValueError(f"unknown exercise {name!r}; exercises: {', '.join(EXERCISES)}")
