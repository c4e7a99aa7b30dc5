"""The lab's tools in real Chromium: every page loads clean, the playground's slider moves the dot
product, the explorer's factor moves the wavelengths, the inspector explains a bundled config.

Expected numbers come from closed forms (a 2D rotation; λ = 2π/θ with PI's θ/s), not from the page.
"""

from __future__ import annotations

import math
import re

import pytest

from posenc.web.app import NAV
from tests.web.conftest import quiet, screenshot


def number(text: str) -> float:
    """The first number in a cell ("1,234.5 tokens" -> 1234.5; "−0.25" -> -0.25)."""
    found = re.search(r"[-−]?[0-9][0-9,]*(?:\.[0-9]+)?(?:e[-+]?[0-9]+)?", text)
    assert found, f"no number in {text!r}"
    return float(found.group(0).replace(",", "").replace("−", "-"))


@pytest.mark.parametrize("href", [href for _, href in NAV] + ["/playground", "/explorer", "/experiments/1"])
def test_every_page_loads_with_no_console_error_and_nothing_from_the_network(page, href):
    """The page fixture fails the test on any console error or any request that leaves 127.0.0.1.
    (Predicates passed to wait_for_function are functions: the lab's CSP forbids eval of a string.)"""
    response = page.goto(page.lab + href)
    assert response.status == 200
    quiet(page)
    assert page.locator("h1").count() >= 1
    assert page.locator("#next-link").count() == 1  # every page says where to go next


def test_playground_slider_changes_the_dot_product_and_a_common_shift_keeps_it(page):
    page.goto(page.lab + "/playground")
    score = page.locator("#score")
    page.wait_for_function("() => document.querySelector('#score').textContent.trim() !== '—'")
    first = number(score.inner_text())
    # unit q at 30°, k at 80°, θ = 0.5, m = 3, n = 7: <R_m q, R_n k> = cos(80° - 30° + (n - m)θ)
    assert first == pytest.approx(math.cos(math.radians(50) + 4 * 0.5), abs=1e-3)
    shown = score.inner_text()
    page.locator("#n").fill("10")  # a range input: fill sets the value and fires input/change
    page.wait_for_function("([b]) => document.querySelector('#score').textContent !== b", arg=[shown])
    moved = number(score.inner_text())
    assert moved == pytest.approx(math.cos(math.radians(50) + 7 * 0.5), abs=1e-3) and moved != first
    before = score.inner_text()
    rows = page.locator("#history tr").count()
    page.locator("#shift-up").click()  # m = 4, n = 11: the server's answer adds a row to the history
    page.wait_for_function("([n]) => document.querySelectorAll('#history tr').length > n", arg=[rows])
    assert page.locator("#m-out").inner_text().strip() == "4"
    assert page.locator("#history tr").first.inner_text().split()[:3] == ["4", "11", "7"]
    assert page.locator("#same").is_visible()
    assert score.inner_text() == before
    screenshot(page, "playground")


def test_explorer_factor_changes_the_wavelengths(page):
    page.goto(page.lab + "/explorer")
    page.locator("#head_dim").fill("64")
    page.locator("#base").select_option("10000")
    page.locator("#scaling").check()  # the scaling controls sit behind a toggle: the page opens on plain RoPE
    page.locator("#rope_type").select_option("linear")
    page.wait_for_function(  # the page shows linear's answer: every pair divided by s
        "() => document.querySelector('#counts').textContent.replace(/\\s/g, '') === '0/32/0'"
    )
    longest = page.locator("#longest")
    # the slowest pair of d = 64 has θ = 10000^(-62/64); PI divides θ by s, so λ grows s-fold
    slowest_plain = 2 * math.pi * 10000 ** (62 / 64)

    def wavelengths_at(factor: str) -> tuple[float, float]:
        """Set the factor; the "plain → scaled" longest wavelengths once the page shows them."""
        before = longest.inner_text()
        page.locator("#factor").fill(factor)  # a range input: fill sets it and fires input/change
        page.wait_for_function(
            "([v]) => document.querySelector('#factor-out').textContent.trim() === v", arg=[factor]
        )
        page.wait_for_function("([b]) => document.querySelector('#longest').textContent !== b", arg=[before])
        plain, scaled = longest.inner_text().split("→")
        return number(plain), number(scaled)

    plain, two = wavelengths_at("2")
    assert plain == pytest.approx(slowest_plain, rel=1e-3)  # shown to 4 significant digits
    assert two == pytest.approx(2 * slowest_plain, rel=1e-3)
    _, eight = wavelengths_at("8")
    assert eight == pytest.approx(8 * slowest_plain, rel=1e-3)
    assert number(page.locator("#counts").inner_text().split("/")[1]) == 32  # PI divides every pair
    assert page.locator("#pair-rows tr").count() == 32
    # the scaling note's charts (ScalingCharts): a marker per pair, its tooltip the pair's wavelength
    assert page.locator("#wavelength-plot circle.dot").count() == 32
    assert page.locator("#scale-plot circle.dot title").first.text_content() == "pair 0: θ divided by 8"
    assert page.locator("script[src*=plotly]").count() == 0
    screenshot(page, "explorer")


def test_explorer_charts_fill_their_box_on_a_phone(page):
    """At 390x844 each chart is as wide as its box and its viewBox is its size (its text keeps its size);
    shrinking the window from 1280 px redraws it at the new width."""
    page.set_viewport_size({"width": 1280, "height": 844})
    page.goto(page.lab + "/explorer?scaling=1&rope_type=yarn")
    page.wait_for_function("() => document.body.dataset.ready")
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(300)  # the resize observer's redraw
    sizes = page.evaluate(
        """() => ['wavelength-plot', 'scale-plot'].map((id) => {
          const svg = document.getElementById(id), box = svg.parentElement, style = getComputedStyle(box);
          const inner = box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
          const axis = svg.querySelector('line.axis').getBoundingClientRect();
          return [id, svg.getBoundingClientRect().width, inner, svg.viewBox.baseVal.width,
                  axis.right - svg.getBoundingClientRect().left];
        })"""
    )
    for name, width, box, view, axis_end in sizes:
        assert abs(width - box) <= 1, f"{name}: {width:.0f} px in a {box:.0f} px box"
        assert abs(view - width) <= 1, f"{name}: drawn for {view:.0f} px, shown at {width:.0f} px"
        assert axis_end >= width - 20, f"{name}: its x axis ends at {axis_end:.0f} of {width:.0f} px"
    screenshot(page, "explorer-390")


def test_inspector_explains_a_bundled_config(page):
    page.goto(page.lab + "/inspector")
    page.locator('#bundled button[data-name="llama-3.1-8b"]').click()
    page.wait_for_selector("#result:not([hidden])")
    figures = page.locator("#figures").inner_text()
    assert "500,000" in figures  # Llama 3.1's rope_theta
    assert page.locator("#scaling-summary").inner_text().strip() != ""
    assert page.locator("#inspect-plot polyline.line.scaled").count() == 1  # the explorer's charts
    assert page.locator("#inspect-plot .ref.critical").count() == 2  # the critical dimension: line + label
    screenshot(page, "inspector")


def test_inspector_refuses_malformed_json_by_name_and_keeps_the_text(page):
    page.goto(page.lab + "/inspector")
    page.locator("#config-text").fill('{"hidden_size": 4096,')
    page.locator("#inspect-button").click()
    error = page.locator("#inspect-error")
    error.wait_for(state="visible")
    assert "JSON" in error.inner_text()
    assert page.locator("#config-text").input_value() == '{"hidden_size": 4096,'
