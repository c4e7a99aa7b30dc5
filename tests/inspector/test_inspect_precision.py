"""The closed-form count of positions that survive a cast, against torch's own rounding."""

from __future__ import annotations

import pytest
import torch

from posenc.inspector.precision import FORMATS, distinct_after_cast, precision_report

LENGTHS = [
    1,
    2,
    256,
    257,
    258,
    259,
    513,
    1024,
    2048,
    2049,
    2051,
    4096,
    12345,
    65504,
    65519,
    65520,
    65521,
    70000,
    131072,
    163840,
]


@pytest.mark.parametrize("fmt", ["bf16", "fp16", "fp32"])
def test_distinct_positions_after_cast_match_torch_unique(fmt):
    dtype, p, max_finite = FORMATS[fmt]
    for n in LENGTHS:
        expected = torch.unique(torch.arange(n).to(dtype)).numel()
        assert distinct_after_cast(n, p, max_finite) == expected, (fmt, n)


def test_bf16_keeps_513_of_the_first_1024_positions():
    assert distinct_after_cast(1024, 8, FORMATS["bf16"][2]) == 513  # 0…256 exact, then every 2nd, 4th


def test_fp16_overflow_and_first_inexact_position():
    report = precision_report(70000, 1.0)
    fp16 = report["fp16"]
    overflow = int(torch.isinf(torch.arange(70000).to(torch.float16)).sum())
    assert fp16["overflow_positions"] == overflow == 70000 - 65520
    assert fp16["first_inexact_position"] == 2049 and report["bf16"]["first_inexact_position"] == 257
    assert fp16["max_angle_error_cast_positions"] is None


def test_stored_angle_error_is_half_the_spacing_of_the_largest_angle():
    n, theta = 32768, 1.0  # angles up to 32767 in [2^14, 2^15): bf16 spacing 2^(14-7) = 128, fp16 16
    report = precision_report(n, theta)
    assert report["bf16"]["max_angle_error_stored_angles"] == 64.0
    assert report["fp16"]["max_angle_error_stored_angles"] == 8.0
    assert report["fp32"]["max_angle_error_stored_angles"] == 0.0
