"""Numbers as the experiments print them: one style in tables and sentences, terminal and web alike.

    47,117      ≥ 10,000: whole, with thousands separators (never 4.712e+04)
    6,283 · 628.3 · 6.283 · 0.0032      between 0.001 and 10,000: ``digits`` significant digits
    1.8 × 10⁻⁷  below 0.001: two significant digits and a power of ten (round-off, tiny angles)
    1e4         a RoPE base (:func:`base`), as the notes write it

The notes' numbers follow the same rules (``posenc.learn.numbers``).
"""

from __future__ import annotations

import math

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_of_ten(x: float, digits: int = 2) -> str:
    """``1.8 × 10⁻⁷``: ``digits`` significant digits times a power of ten (Unicode, no ``e``)."""
    mantissa, exponent = f"{x:.{digits - 1}e}".split("e")
    return f"{mantissa.replace('-', '−')} × 10{str(int(exponent)).translate(_SUPERSCRIPT)}"


def num(x: float, digits: int = 4) -> str:
    """``x`` in the style above; ``−`` for negatives, ``—`` for a missing or non-finite value."""
    if x is None or not math.isfinite(x):
        return "—"
    a = abs(x)
    if a == 0:
        return "0"
    if a >= 10_000:
        text = f"{x:,.0f}"
    elif a >= 1e-3:
        text = f"{x:,.{digits}g}"
        if "e" in text:  # 9,999.5 rounds up to 1e+04 at 4 digits
            text = f"{x:,.0f}"
    else:
        return power_of_ten(x)
    return text.replace("-", "−")


def signed(x: float, decimals: int) -> str:
    """``+0.35``, ``−0.14``, and ``0.00`` for what rounds to zero (never ``-0.00``)."""
    text = f"{x:+.{decimals}f}"
    return text[1:] if float(text) == 0 else text.replace("-", "−")


def base(b: float, digits: int = 2) -> str:
    """A RoPE base as the notes write it: ``1e4``, ``1e6``, ``5e5``; ``1.5e6`` when it needs it
    (up to ``digits`` significant digits: NTK's b' = ``1.75e7`` at 3)."""
    mantissa, exponent = f"{b:.{digits - 1}e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"
