"""The per-pair ladder (``posenc inspect NAME --pairs``) at 80 columns: every wavelength whole, on one
line and in one style (20,473,565, never 2.047e+07 or a number folded across two lines)."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from posenc.inspector.render import render_report, tokens, turns

from .inspect_helpers import CONFIG_DIR, inspect_json

BUNDLED = sorted(p.stem for p in CONFIG_DIR.glob("*.json"))


def ladder(name: str) -> tuple[dict, str]:
    report = inspect_json(name)
    console = Console(width=80, file=io.StringIO(), color_system=None, record=True)
    render_report(report, console, pairs=True)
    text = console.export_text()
    return report, text[text.index("Frequency ladder") : text.index("Positions 0 to")]


@pytest.mark.parametrize("name", BUNDLED)
def test_ladder_fits_80_columns_with_every_wavelength_whole(name):
    report, text = ladder(name)
    if report["family"] != "rope":
        pytest.skip("not RoPE: no ladder")
    assert all(len(line) <= 80 for line in text.splitlines())
    assert not re.search(r"\de[+-]\d", text), re.search(r".{20}\de[+-]\d.{5}", text).group(0)
    rows = {line.split()[0]: line for line in text.splitlines() if re.match(r"\s*\d+\s+\d+,\d+", line)}
    for pair in report["pairs"]:
        row = rows[str(pair["pair"])]  # one line per pair: nothing folded onto a second line
        assert tokens(pair["wavelength_default"]) in row and tokens(pair["wavelength"]) in row, row
        assert turns(pair["turns_in_training"]) in row, row


def test_wavelengths_print_in_full_with_separators():
    assert tokens(20_473_565.2) == "20,473,565"
    assert tokens(47_117.24) == "47,117"
    assert tokens(6.2832) == "6.283"
    assert turns(9.777e-4) == "9.8 × 10⁻⁴" and turns(0.0123) == "0.0123" and turns(1304.0) == "1,304"
