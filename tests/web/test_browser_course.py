"""The notes' widgets and the bias explorer in real Chromium: move a control, the shown number is the
library's (closed forms, the paper's slopes, transformers' T5 buckets); settings survive a reload and Back
goes to the previous one; a note page with its widgets is interactive within a second.

Widgets set data-ready on their root each time an answer is drawn; the tests wait for it to change.
"""

from __future__ import annotations

import math
import time

import pytest

from tests.web.conftest import quiet, screenshot
from tests.web.test_browser_tools import number


def ready(page, root: str, after: str = "0") -> str:
    """Wait until the widget ``root`` (a CSS selector) drew an answer newer than ``after``; its count."""
    page.wait_for_function(
        "([r, a]) => Number(document.querySelector(r).dataset.ready || 0) > Number(a)", arg=[root, after]
    )
    return page.evaluate("(r) => document.querySelector(r).dataset.ready", root)


def settle(page, root: str, action) -> None:
    """Do ``action`` and wait until the widget drew the answer to it (and no newer request is pending)."""
    before = page.evaluate("(r) => document.querySelector(r).dataset.ready || '0'", root)
    action()
    ready(page, root, before)
    quiet(page)


def paper_slopes(heads: int) -> list[float]:
    """ALiBi's slopes as the paper's reference code builds them (get_slopes)."""
    lower = 2 ** math.floor(math.log2(heads))
    slopes = [2 ** (-8 * (h + 1) / lower) for h in range(lower)]
    return slopes + [2 ** (-8 * (h + 1) / (2 * lower)) for h in range(0, 2 * lower, 2)][: heads - lower]


@pytest.mark.parametrize("heads", [8, 12, 16])
def test_bias_explorer_shows_alibis_slopes_for_any_head_count(page, heads):
    from posenc.encodings import alibi

    root = ".tool-page[data-widget=bias]"
    page.goto(page.lab + "/bias")
    ready(page, root)
    settle(page, root, lambda: page.locator("#heads").fill(str(heads)))
    rows = page.locator("[data-part=slopes] tr")
    assert rows.count() == heads
    shown = [number(rows.nth(h).locator("td").nth(1).inner_text()) for h in range(heads)]
    assert shown == pytest.approx(alibi.slopes(heads).tolist(), rel=1e-5)
    assert shown == pytest.approx(paper_slopes(heads), rel=1e-5)
    reach = [number(rows.nth(h).locator("td").nth(2).inner_text()) for h in range(heads)]
    assert reach == pytest.approx([math.log(100) / m for m in paper_slopes(heads)], rel=1e-3)
    if heads == 12:
        screenshot(page, "bias-alibi-12")


def test_bias_explorer_shows_t5s_buckets_as_transformers_computes_them(page):
    import torch
    from transformers.models.t5.modeling_t5 import T5Attention

    root = ".tool-page[data-widget=bias]"
    page.goto(page.lab + "/bias")
    ready(page, root)
    settle(page, root, lambda: page.locator("input[name=family][value=t5]").check())
    for bidirectional in (False, True):
        if bidirectional:
            settle(page, root, lambda: page.locator("input[name=bidirectional]").check())
        for relative in (-200, -40, -9, -5, 0, 3, 12, 130):
            page.locator("#probe").fill(str(relative))
            want = T5Attention._relative_position_bucket(torch.tensor(relative), bidirectional, 32, 128)
            page.wait_for_function(
                "([v]) => document.querySelector('[data-part=probe]').textContent.trim() === v",
                arg=[str(int(want))],
            )
    screenshot(page, "bias-t5")


def test_shuffle_demo_keeps_the_word_without_position_and_changes_it_with_rope(page):
    from posenc.experiments.exp1_why_position import shuffled_outputs

    root = "#figure-shuffle"
    page.goto(page.lab + "/notes/why-position")
    ready(page, root)  # the note's marker starts shuffled: "the man bit the dog"
    assert page.locator("[data-part=shuffled]").inner_text().split() == ["the", "man", "bit", "the", "dog"]
    assert page.locator("[data-part=nope-verdict]").inner_text() == "same"
    assert page.locator("[data-part=rope-verdict]").inner_text() == "changed"
    library = shuffled_outputs("the dog bit the man".split(), [3, 4, 2, 0, 1], 1)["encodings"]["rope"][
        "max_diff"
    ]
    assert number(page.locator("[data-part=rope-diff]").inner_text()) == pytest.approx(library, rel=1e-2)
    settle(page, root, lambda: page.locator("[data-part=reset]").click())
    assert page.locator("[data-part=nope-verdict]").inner_text() == "same"
    assert page.locator("[data-part=rope-verdict]").inner_text() == "same"  # nothing moved
    settle(page, root, lambda: page.locator("[data-part=reverse]").click())
    assert page.locator("[data-part=nope-verdict]").inner_text() == "same"
    assert page.locator("[data-part=rope-verdict]").inner_text() == "changed"
    settle(page, root, lambda: page.locator("[data-part=shuffle]").click())
    assert page.locator("[data-part=nope-verdict]").inner_text() == "same"


def test_rotation_in_the_proof_note_keeps_the_score_under_a_common_shift(page):
    root = "#figure-rotation"
    page.goto(page.lab + "/notes/relative-proof")
    ready(page, root)
    score = page.locator("#rotation-score")
    # unit q at 30°, k at 80°, θ = 0.5, m = 3, n = 7: <R_m q, R_n k> = cos(50° + (n − m)θ)
    assert number(score.inner_text()) == pytest.approx(math.cos(math.radians(50) + 4 * 0.5), abs=1e-3)
    before = score.inner_text()
    settle(page, root, lambda: page.locator("#rotation-shift-up").click())
    settle(page, root, lambda: page.locator("#rotation-shift-up").click())
    assert page.locator("#rotation-m-out").inner_text() == "5" and score.inner_text() == before
    assert page.locator("#rotation-same").is_visible()
    settle(page, root, lambda: page.locator("#rotation-n").fill("12"))  # offset 7
    assert number(score.inner_text()) == pytest.approx(math.cos(math.radians(50) + 7 * 0.5), abs=1e-3)


def test_clock_hands_turn_by_position_times_theta(page):
    root = "#figure-clock"
    page.goto(page.lab + "/notes/clock")
    ready(page, root)
    for position in ("100", "1234"):
        settle(page, root, lambda p=position: page.locator("#clock-position").fill(p))
        for row in page.locator("[data-part=hands] tr").all():
            pair = int(row.get_attribute("data-pair"))
            theta = 10000 ** (-2 * pair / 64)
            shown = number(row.locator("td").nth(3).inner_text())
            assert shown == pytest.approx(math.degrees(int(position) * theta) % 360, abs=0.05)


def test_ladder_shows_the_slowest_wavelength_of_head_dim_and_base(page):
    root = "#figure-ladder"
    page.goto(page.lab + "/notes/frequencies")
    ready(page, root)
    for head_dim, base in ((64, 10000), (128, 500000), (16, 500)):
        settle(page, root, lambda h=head_dim: page.locator("#ladder-head_dim").select_option(str(h)))
        settle(page, root, lambda b=base: page.locator("#ladder-base").select_option(str(b)))
        slowest = 2 * math.pi * base ** ((head_dim - 2) / head_dim)
        assert number(page.locator("#figure-ladder [data-part=longest]").inner_text()) == pytest.approx(
            slowest, rel=1e-3
        )


def test_scaling_figure_shows_each_methods_per_pair_factors(page):
    root = "#figure-scaling"
    page.goto(page.lab + "/notes/rope-scaling")
    ready(page, root)
    counts = page.locator("#figure-scaling [data-part=counts]")
    settle(page, root, lambda: page.locator("#figure-scaling input[value=linear]").check())
    assert counts.inner_text().replace(" ", "") == "0/32/0"  # PI divides every pair by s
    settle(page, root, lambda: page.locator("#figure-scaling input[value=yarn]").check())
    attention = number(page.locator("#figure-scaling [data-part=attention]").inner_text())
    assert attention == pytest.approx(0.1 * math.log(16) + 1, rel=1e-3)  # YaRN's √(1/t) at s = 16
    assert page.locator("#figure-scaling .ref.band").count() == 4  # β_fast and β_slow: line + label each
    screenshot(page, "note-rope-scaling")


def test_widget_state_round_trips_through_the_url_a_reload_and_back(page):
    root = "#figure-clock"
    page.goto(page.lab + "/notes/clock")
    ready(page, root)
    settle(page, root, lambda: page.locator("#clock-position").fill("40"))
    settle(page, root, lambda: page.locator("#clock-base").select_option("1000000"))
    assert "clock.position=40" in page.url and "clock.base=1000000" in page.url
    page.reload()
    ready(page, root)
    assert page.locator("#clock-position").input_value() == "40"
    assert page.locator("#clock-base").input_value() == "1000000"
    page.go_back()  # the base change was one step: Back restores base 10,000, position stays
    page.wait_for_function("() => document.querySelector('#clock-base').value === '10000'")
    assert page.locator("#clock-position").input_value() == "40"
    # a shared link opens on its settings
    page.goto(page.lab + "/notes/clock?clock.position=7")
    ready(page, root)
    assert page.locator("[data-part=position-out]").inner_text() == "7"


def test_tool_state_round_trips_through_the_url(page):
    page.goto(page.lab + "/explorer")
    page.wait_for_function("() => document.body.dataset.ready")
    assert page.locator("#scaling-controls").is_hidden()  # opens on plain RoPE
    page.locator("#scaling").check()
    page.locator("#rope_type").select_option("linear")
    page.locator("#factor").fill("8")
    page.wait_for_function(
        "() => document.querySelector('#counts').textContent.replace(/\\s/g, '') === '0/32/0'"
    )
    assert "rope_type=linear" in page.url and "scaling=1" in page.url
    page.reload()
    page.wait_for_function(
        "() => document.querySelector('#counts').textContent.replace(/\\s/g, '') === '0/32/0'"
    )
    assert (
        page.locator("#rope_type").input_value() == "linear" and page.locator("#factor").input_value() == "8"
    )
    assert page.locator("#scaling-controls").is_visible()
    page.goto(page.lab + "/bias?family=alibi&heads=12")
    ready(page, ".tool-page[data-widget=bias]")
    assert page.locator("[data-part=slopes] tr").count() == 12
    page.goto(page.lab + "/playground?m=10&n=13")
    page.wait_for_function("() => document.querySelector('#score').textContent.trim() !== '—'")
    assert page.locator("#offset").inner_text() == "3"


def test_a_note_page_with_its_widgets_is_interactive_within_a_second(page):
    """From navigation to every widget drawn with the library's numbers, on the note with the most widgets
    (three bias explorers), after one visit has warmed the server (torch loaded, the routes answered once)."""
    path = page.lab + "/notes/other-encodings"
    all_ready = "() => [...document.querySelectorAll('[data-widget]')].every((w) => w.dataset.ready)"
    page.goto(path)
    page.wait_for_function(all_ready)
    times = []
    for _ in range(3):
        start = time.perf_counter()
        page.goto(path + f"?bias.length={10 + len(times)}")  # a new query: the widget asks the server again
        page.wait_for_function(all_ready, polling=10)
        times.append(time.perf_counter() - start)
    assert min(times) < 1.0, times
    assert page.locator("script[src*=plotly]").count() == 0  # the notes draw without plotly


@pytest.mark.parametrize("width", [1280, 390])
def test_note_figures_fit_the_width(page, width):
    page.set_viewport_size({"width": width, "height": 900})
    for topic in ("rope-rotation", "clock", "other-encodings", "why-position"):
        page.goto(page.lab + f"/notes/{topic}")
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-widget]')].every((w) => w.dataset.ready)"
        )
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{topic} is {overflow} px wider than a {width} px window"
        screenshot(page, f"note-{topic}-{width}")


def charts_drawn(page, wavelength: str, scale: str) -> dict:
    """What ScalingCharts drew in two charts: each marker's tooltip (a pair's number), the texts and the
    series' classes, i.e. everything but the pixel positions (which follow each chart's width)."""
    return page.evaluate(
        """([w, s]) => Object.fromEntries([['wavelength', w], ['scale', s]].map(([k, sel]) => {
          const svg = document.querySelector(sel);
          return [k, { dots: [...svg.querySelectorAll('circle.dot title')].map((t) => t.textContent),
                       texts: [...svg.querySelectorAll('text')].map((t) => t.textContent),
                       series: [...svg.querySelectorAll('polyline, line.ref')]
                         .map((l) => l.getAttribute('class')) }];
        }))""",
        [wavelength, scale],
    )


def test_a_figure_opens_its_tool_with_the_same_settings(page):
    root = "#figure-scaling"
    page.goto(page.lab + "/notes/rope-scaling")
    ready(page, root)
    settle(page, root, lambda: page.locator("#figure-scaling input[value=linear]").check())
    shown = page.locator("#figure-scaling [data-part=counts]").inner_text().replace(" ", "")
    note_charts = charts_drawn(
        page, "#figure-scaling [data-part=wavelengths]", "#figure-scaling [data-part=scales]"
    )
    page.locator("#figure-scaling a.open-tool").click()
    page.wait_for_url("**/explorer?*")
    page.wait_for_function("() => document.body.dataset.ready")
    assert page.locator("#scaling").is_checked() and page.locator("#rope_type").input_value() == "linear"
    assert page.locator("#factor").input_value() == "16" and page.locator("#base").input_value() == "1000000"
    page.wait_for_function(
        "([c]) => document.querySelector('#counts').textContent.replace(/\\s/g, '') === c", arg=[shown]
    )
    # one implementation: the explorer draws the note's charts (the same renderer, the same per-pair numbers,
    # the same lines and labels), and neither page loads plotly
    assert charts_drawn(page, "#wavelength-plot", "#scale-plot") == note_charts
    assert (
        len(note_charts["wavelength"]["dots"]) == 32
        and note_charts["scale"]["dots"][0] == "pair 0: θ divided by 16"
    )
    assert page.locator("script[src*=plotly]").count() == 0
    page.goto(page.lab + "/notes/relative-proof")
    ready(page, "#figure-rotation")
    settle(page, "#figure-rotation", lambda: page.locator("#rotation-shift-up").click())
    page.locator("#figure-rotation a.open-tool").click()
    page.wait_for_url("**/playground?*")
    page.wait_for_function("() => document.querySelector('#score').textContent.trim() !== '—'")
    assert page.locator("#m-out").inner_text() == "4" and page.locator("#offset").inner_text() == "4"
