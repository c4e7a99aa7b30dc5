"""What happens to RoPE angles when positions or angles are stored in a low-precision float.

A float with ``p`` significant bits (bf16: 8, fp16: 11, fp32: 24) holds every integer up to 2^p
exactly; in the binade [2^e, 2^(e+1)) above that, it holds only multiples of 2^(e−p+1). Positions
cast to such a format collapse onto those multiples, and the angle m·θ of the fastest pair (θ ≈ 1)
inherits the whole rounding error — up to half a spacing, i.e. 256 radians for position 131071 in
bf16: the rotation is meaningless. transformers therefore forms angles from integer positions in
float32 with autocast disabled; ``posenc.encodings.rope.cos_sin`` refuses float positions.

Two independent ways of getting the collapse count are used: :func:`distinct_after_cast` counts the
representable numbers in closed form (below), the tests count ``torch.unique`` of the cast positions.
"""

from __future__ import annotations

import math

import torch

#: name -> (torch dtype, significant bits p incl. the implicit one, largest finite value)
FORMATS: dict[str, tuple[torch.dtype, int, float]] = {
    "bf16": (torch.bfloat16, 8, torch.finfo(torch.bfloat16).max),
    "fp16": (torch.float16, 11, torch.finfo(torch.float16).max),
    "fp32": (torch.float32, 24, torch.finfo(torch.float32).max),
}
CHUNK = 1 << 20  # positions per chunk when measuring angle errors (bounded memory for long targets)


def _representable_up_to(m: int, p: int) -> int:
    """How many non-negative integers ≤ m a p-bit float holds exactly.

    All of 0 … 2^p − 1 (2^p numbers); then 2^(p−1) per full binade [2^e, 2^(e+1)), e ≥ p; then the
    multiples of 2^(E−p+1) in the last, partial binade [2^E, m].
    """
    if m < 2**p:
        return m + 1
    top = m.bit_length() - 1  # E: 2^E ≤ m < 2^(E+1)
    spacing = 2 ** (top - p + 1)
    return 2**p + (top - p) * 2 ** (p - 1) + (m - 2**top) // spacing + 1


def _rounds_up(m: int, p: int) -> bool:
    """Whether round-to-nearest-even takes the integer m to the next representable number above it."""
    if m < 2**p:
        return False
    top = m.bit_length() - 1
    spacing = 2 ** (top - p + 1)
    rest = m % spacing
    if rest * 2 != spacing:
        return rest * 2 > spacing
    return ((m - rest) // spacing) % 2 == 1  # a tie goes to the even neighbour


def overflow_threshold(p: int, max_finite: float) -> float:
    """Smallest value that rounds to infinity: the largest finite value plus half its spacing."""
    top = math.floor(math.log2(max_finite))
    return max_finite + 2.0 ** (top - p + 1) / 2


def distinct_after_cast(n: int, p: int, max_finite: float) -> int:
    """Number of distinct values among the integers 0 … n−1 rounded to a p-bit float.

    Rounding is monotone, so the values hit are the representable integers ≤ n−1, plus the number
    above n−1 that n−1 itself may round up to, plus ``inf`` once when positions pass the overflow
    threshold (fp16: every position ≥ 65520 becomes inf).
    """
    if n <= 0:
        return 0
    last = n - 1
    threshold = overflow_threshold(p, max_finite)
    if last >= threshold:
        return _representable_up_to(int(max_finite), p) + 1  # every finite value up to the max, then inf
    return _representable_up_to(last, p) + int(_rounds_up(last, p))


def _max_errors(n: int, theta: float) -> dict[str, tuple[float, float]]:
    """Per format: max over m < n of |cast(m)·θ − m·θ| and of |cast(fp32(m·θ)) − m·θ|, in radians.

    θ is the float32 inverse frequency as stored; the reference angle m·θ is exact in float64 for
    m < 2^24, so the errors measure only the rounding of the position or of the angle.
    """
    theta32 = torch.tensor(theta, dtype=torch.float32)
    theta64 = theta32.double()
    worst = {name: (0.0, 0.0) for name in FORMATS}
    for start in range(0, n, CHUNK):
        m = torch.arange(start, min(n, start + CHUNK), dtype=torch.float64)  # [chunk]
        exact = m * theta64  # [chunk], exact reference angles
        fp32_angles = m.float() * theta32  # [chunk], what fp32 code computes
        for name, (dtype, _, _) in FORMATS.items():
            from_cast_positions = m.to(dtype).double() * theta64  # positions rounded first
            stored_angles = fp32_angles.to(dtype).double()  # angle formed in fp32, kept in `dtype`
            err_pos = float((from_cast_positions - exact).abs().max())
            err_angle = float((stored_angles - exact).abs().max())
            worst[name] = (max(worst[name][0], err_pos), max(worst[name][1], err_angle))
    return worst


def precision_report(n: int, theta_fastest: float) -> dict[str, dict[str, float | int | None]]:
    """For bf16, fp16 and fp32: what positions 0 … n−1 and the fastest pair's angles become.

    Per format: ``distinct_positions`` and ``collapsed_positions`` (n − distinct) after casting the
    positions, ``first_inexact_position`` (2^p + 1), ``overflow_positions`` (positions that become inf),
    ``max_angle_error_cast_positions`` (rad; positions cast, then multiplied exactly) and
    ``max_angle_error_stored_angles`` (rad; angle formed in fp32, then stored in the format).
    Errors are ``None`` when a value overflows to inf.
    """
    report: dict[str, dict[str, float | int | None]] = {}
    errors = _max_errors(n, theta_fastest)
    for name, (_, p, max_finite) in FORMATS.items():
        distinct = distinct_after_cast(n, p, max_finite)
        threshold = overflow_threshold(p, max_finite)
        overflow = max(0, n - math.ceil(threshold)) if n - 1 >= threshold else 0
        err_pos, err_angle = errors[name]
        report[name] = {
            "significant_bits": p,
            "distinct_positions": distinct,
            "collapsed_positions": n - distinct,
            "first_inexact_position": 2**p + 1,
            "overflow_positions": overflow,
            "max_angle_error_cast_positions": err_pos if math.isfinite(err_pos) else None,
            "max_angle_error_stored_angles": err_angle if math.isfinite(err_angle) else None,
        }
    return report
