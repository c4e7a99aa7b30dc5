"""The playground's readout: angles "mod 360°" in [0°, 360°); the history of scores names θ."""

from __future__ import annotations

import math

import pytest


def test_angles_mod_360_are_in_0_to_360_and_history_rows_carry_theta(page):
    page.goto(page.lab + "/playground")  # m = 3, n = 7, θ = 0.5: k turned by 3.5 rad = 200.5°
    page.wait_for_function("() => document.querySelector('#turn-k').textContent.trim() !== '—'")
    turn_k = float(page.inner_text("#turn-k").rstrip("°").replace(",", ""))
    assert turn_k == pytest.approx(math.degrees(3.5), abs=0.05)
    for part in ("#turn-q", "#turn-k"):
        assert 0 <= float(page.inner_text(part).rstrip("°").replace(",", "")) < 360
    headers = page.locator("table.history thead th").all_inner_texts()
    assert headers == ["m", "n", "n − m", "θ", "score"]
    rows = page.locator("#history tr").count()
    page.locator("#shift-up").click()
    page.wait_for_function("([n]) => document.querySelectorAll('#history tr').length > n", arg=[rows])
    assert page.locator("#history tr").first.inner_text().split()[:4] == ["4", "8", "4", "0.5"]
