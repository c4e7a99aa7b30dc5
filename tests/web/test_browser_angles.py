"""The angles page in real Chromium: both plots draw, changing base or factor moves the read-outs and
redraws, a bad value shows the server's message.

Expected numbers come from closed forms (the bound at distance 0 is a²·(d/2 + 1)/2 and the mean q·q is
d·a², YaRN's a = 0.1·ln s + 1), not from the page.
"""

from __future__ import annotations

import math

import pytest

from tests.web.conftest import SCREENSHOTS, plotly_misfits, screenshot
from tests.web.test_browser_tools import number


def _ready(page, after: str = "0") -> str:
    """Wait until the page has drawn an answer newer than ``after``; return its number. (Predicates are
    functions: a bare expression string is eval'd in the page, which the lab's CSP refuses.)"""
    page.wait_for_function(
        "([a]) => Number(document.body.dataset.ready || 0) > Number(a)", arg=[after], timeout=30000
    )
    return page.evaluate("document.body.dataset.ready")


def _numbers(page, cell: str) -> list[float]:
    return [number(part) for part in page.locator(cell).inner_text().split("/")]


def test_angles_page_draws_both_plots_and_the_base_moves_them(page):
    page.goto(page.lab + "/angles")
    page.locator("#scaling").check()  # the scaling controls sit behind a toggle: the page opens on plain RoPE
    page.locator("#rope_type").select_option("default")
    page.locator("#head_dim").fill("64")
    page.wait_for_function("() => document.querySelector('#bound-at').textContent.split('/').length === 2")
    _ready(page)
    assert page.locator("#angle-plot .main-svg").count() >= 1  # plotly drew the map
    assert page.locator("#decay-plot .main-svg").count() >= 1
    assert page.locator("#angle-plot .hm, #angle-plot image").count() >= 1  # the heatmap layer
    legend = page.locator("#angle-plot .legend").text_content()
    assert "training length L = 2,048" in legend and "wavelength > L" in legend
    bound0, bound_l = _numbers(page, "#bound-at")
    mean0, _ = _numbers(page, "#mean-at")
    assert bound0 == pytest.approx((32 + 1) / 2)  # S_j = j at distance 0: mean of 1 … 32
    assert mean0 == pytest.approx(64)  # d at distance 0
    beyond = number(page.locator("#beyond").inner_text())
    # base 10000, d 64, L 2048: λ_i = 2π·10000^(i/32) > 2048 from i = ceil(32·ln(2048/2π)/ln 10000) = 21
    assert beyond == 32 - math.ceil(32 * math.log(2048 / (2 * math.pi)) / math.log(10000))
    screenshot(page, "angles-default")

    before = page.locator("#bound-at").inner_text()
    page.locator("#base").fill("500000")  # fires input: the page asks both routes again
    page.wait_for_function("([b]) => document.querySelector('#bound-at').textContent !== b", arg=[before])
    _, bound_l_large = _numbers(page, "#bound-at")
    assert bound_l_large != pytest.approx(bound_l, rel=1e-3)
    assert number(page.locator("#beyond").inner_text()) > beyond  # a larger base: more slow pairs
    assert "500,000" in page.locator("#angle-plot .gtitle").text_content()


def test_yarn_factor_changes_the_attention_factor_and_the_curves(page):
    page.goto(page.lab + "/angles")
    page.locator("#scaling").check()  # the scaling controls sit behind a toggle: the page opens on plain RoPE
    page.locator("#rope_type").select_option("yarn")
    page.locator("#head_dim").fill("64")
    page.locator("#factor").fill("4")
    page.wait_for_function("() => document.querySelector('#factor-out').textContent.trim() === '4'")
    _ready(page)
    page.wait_for_function("() => document.querySelector('#bound-at').textContent.split('/').length === 3")

    def read(factor: str) -> tuple[float, list[float]]:
        before = page.locator("#attention-factor").inner_text()
        page.locator("#factor").fill(factor)  # a range input: fill sets it and fires input/change
        page.wait_for_function(
            "([b]) => document.querySelector('#attention-factor').textContent !== b", arg=[before]
        )
        return number(page.locator("#attention-factor").inner_text()), _numbers(page, "#mean-at")

    a8, mean8 = read("8")
    assert a8 == pytest.approx(0.1 * math.log(8) + 1, rel=1e-3)
    assert mean8[0] == pytest.approx(64 * (0.1 * math.log(8) + 1) ** 2, rel=1e-3)
    a16, mean16 = read("16")
    assert a16 == pytest.approx(0.1 * math.log(16) + 1, rel=1e-3)
    assert mean16[1] != pytest.approx(mean8[1], rel=1e-3)  # the value at distance L moved
    ramp = page.locator("#ramp").inner_text()
    assert "ramp over pairs 8 … 21" in ramp  # floor(dim(32)) and ceil(dim(1)) for L 2048, base 1e4, d 64
    legend = page.locator("#angle-plot .legend").text_content()
    assert "β_fast = 32" in legend and "β_slow = 1" in legend
    assert "plain RoPE" in page.locator("#decay-plot .legend").text_content()
    screenshot(page, "angles-yarn")

    page.locator("input[name=show][value=angle]").check()
    page.wait_for_function(
        "() => document.querySelector('#angle-plot .gtitle').textContent.startsWith('Angle')"
    )
    assert "rad" in page.locator("#angle-plot .colorbar").text_content()
    screenshot(page, "angles-yarn-angle")


def test_a_bad_value_shows_the_servers_message(page):
    page.goto(page.lab + "/angles")
    _ready(page)
    page.locator("#head_dim").fill("63")
    error = page.locator("#angles-error")
    error.wait_for(state="visible")
    assert "head_dim" in error.inner_text() and "even" in error.inner_text()
    page.locator("#head_dim").fill("64")
    error.wait_for(state="hidden")
    # Chromium logs each refused request as a console error: those 400s are this test's subject
    refused = [e for e in page.watch.errors if "status of 400" in e]
    assert refused, page.watch.errors
    page.watch.errors[:] = [e for e in page.watch.errors if e not in refused]


def test_both_charts_fill_their_box_on_a_phone_and_keep_their_text(page):
    """Drawn at 1280 px, then the window shrinks to 390x844: each Plotly chart is redrawn as wide as its box
    (not scaled: its text keeps its size), and no title, legend entry or note is cut at its edge."""
    page.set_viewport_size({"width": 1280, "height": 844})
    page.goto(page.lab + "/angles?scaling=1&rope_type=yarn&factor=4")
    _ready(page)
    assert plotly_misfits(page, ["angle-plot", "decay-plot"]) == []
    screenshot(page, "angles-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    assert plotly_misfits(page, ["angle-plot", "decay-plot"]) == []
    for chart in ("angle-plot", "decay-plot"):  # each scrolled into the result box
        page.locator(f"#{chart}").scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / f"angles-390-{chart}.png"))


def test_on_a_phone_the_pinned_result_opens_on_the_map_not_its_table(page):
    """At 390x844 the result box stays in view above the form; what it shows first, under the title, is
    the angle map itself (the key-figures table follows it), so editing the base shows the map change."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(page.lab + "/angles")
    _ready(page)
    box = page.locator(".views[data-result]").bounding_box()
    title = page.locator("#map-section h2").bounding_box()
    plot = page.locator("#angle-plot").bounding_box()
    table = page.locator("#map-section table.figures").bounding_box()
    assert title["y"] < plot["y"] < table["y"]
    assert plot["y"] - box["y"] < 120, (box, plot)  # the map starts near the top of the pinned box
