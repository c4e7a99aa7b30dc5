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


#: every text box in the figure and the rectangles where two of them overlap (by more than half a pixel)
OVERLAPS = """() => {
  const svg = document.querySelector('#rotation-svg');
  const boxes = [...svg.querySelectorAll('text')].map((t) => [t.textContent, t.getBoundingClientRect()]);
  const out = [];
  boxes.forEach(([a, r], i) => boxes.slice(i + 1).forEach(([b, s]) => {
    const w = Math.min(r.right, s.right) - Math.max(r.left, s.left);
    const h = Math.min(r.bottom, s.bottom) - Math.max(r.top, s.top);
    if (w > 0.5 && h > 0.5) out.push([a, b, Math.round(w), Math.round(h)]);
  }));
  const frame = svg.getBoundingClientRect();
  const outside = boxes.filter(([, r]) => r.left < frame.left - 1 || r.right > frame.right + 1
    || r.top < frame.top - 1 || r.bottom > frame.bottom + 1).map(([a]) => a);
  return { out, outside, labels: boxes.filter(([t]) => /^(q|k|Rₘq|Rₙk)$/.test(t)).length };
}"""


@pytest.mark.parametrize(
    "query",
    [
        "m=0&n=0&q_angle=30&k_angle=40",  # m = n = 0: each rotated arrow on its original (stacked)
        "m=3&n=3&q_angle=80&k_angle=80",  # q = k: all four arrows point one way
        "m=0&n=1&q_angle=0&k_angle=-28&theta=0.5",  # along the x axis, by "feature 1 of the pair"
        "m=2&n=7&q_angle=30&k_angle=80&theta=0.5",  # the default figure
    ],
)
@pytest.mark.parametrize("width", [1280, 390])
def test_arrow_tip_labels_do_not_overlap_each_other_or_the_figures_text(page, query, width):
    page.set_viewport_size({"width": width, "height": 844})
    page.goto(page.lab + f"/playground?{query}")
    page.wait_for_function("() => document.querySelector('#score').textContent.trim() !== '—'")
    found = page.evaluate(OVERLAPS)
    assert found["labels"] == 4
    assert found["out"] == [], f"overlapping labels (text, text, w, h): {found['out']}"
    assert found["outside"] == [], f"labels outside the figure: {found['outside']}"
