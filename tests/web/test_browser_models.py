"""/models in real Chromium, on tiny models trained for real: both views draw, the controls redraw them,
a too-long text shows the lab's message, and without models the page offers the quick study as a job.

The lab is the real ``posenc lab`` on a results folder holding the trained study (``trained_runs``);
the page fixture's checks (no console error, nothing loaded from the network) apply to every test.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.evaluate.trained_runs import TRAIN_LENGTH, trained_study
from tests.web.conftest import SCREENSHOTS, PageWatch, plotly_misfits, screenshot, start_lab, stop


@pytest.fixture(scope="module")
def models_lab(tmp_path_factory):
    proc, url = start_lab(trained_study(tmp_path_factory))
    yield url.rstrip("/")
    stop(proc)


@pytest.fixture
def page(browser, models_lab):
    context = browser.new_context(viewport={"width": 1300, "height": 950})
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    watch = PageWatch(pg, models_lab)
    pg.lab = models_lab
    pg.refusals_expected = False  # a test that sends bad input expects Chromium to log its 400s
    yield pg
    context.close()
    assert watch.outside == [], f"requests left 127.0.0.1: {watch.outside}"
    errors = [e for e in watch.errors if not (pg.refusals_expected and "status of 400" in e)]
    assert errors == [], f"console errors: {errors}"


def drawn(page, key: str, at_least: int = 1) -> None:
    """Wait until the page has answered ``key`` (attention, profiles, loss) ``at_least`` times."""
    page.wait_for_function(f"() => Number(document.body.dataset.{key} || 0) >= {at_least}")


def count(page, key: str) -> int:
    return int(page.evaluate(f"() => Number(document.body.dataset.{key} || 0)"))


def test_attention_view_draws_labelled_axes_and_redraws_for_a_head_and_a_model(page):
    page.goto(page.lab + "/models")
    drawn(page, "attention")
    drawn(page, "profiles")
    assert page.locator("#attn-error").is_hidden()
    heat = page.locator("#attn-heatmap")
    titles = heat.locator(".g-xtitle, .g-ytitle").all_text_contents()
    assert titles == ["key position j (bytes)", "query position i (bytes)"]
    assert "attention weight" in heat.locator(".cbtitle").text_content()
    assert heat.locator(".heatmaplayer image").count() == 1
    assert "RoPE (base 1e4)" in page.locator("#attn-facts").inner_text()
    assert "trained at L = 32" in page.locator("#attn-facts").inner_text()
    assert "step 40 of 40" in page.locator("#attn-facts").inner_text()
    screenshot(page, "models-attention")

    before = count(page, "attention")
    page.select_option("#attn-head", "1")
    drawn(page, "attention", before + 1)
    assert "head 1" in page.locator("#attn-facts").inner_text()
    page.select_option("#attn-layer", "1")
    drawn(page, "attention", before + 2)
    assert "layer 1, head 1" in page.locator("#attn-facts").inner_text()
    page.select_option("#attn-model", "alibi-s0")
    drawn(page, "attention", before + 3)
    assert page.locator("#attn-facts").inner_text().startswith("ALiBi (alibi-s0), layer 1, head 1")
    page.locator("#attn-heatmap .nsewdrag").first.hover(position={"x": 40, "y": 300})
    expect(page.locator("#attn-readout")).to_contain_text("gives key byte")
    screenshot(page, "models-attention-alibi")

    profiles = page.locator("#profiles-plot")
    legend = profiles.locator(".legendtext").all_text_contents()
    even = "spread evenly over the earlier bytes"
    assert legend == ["Learned (first 32 bytes)", "NoPE", "RoPE (base 1e4)", "ALiBi", even]
    assert profiles.locator(".g-xtitle").text_content() == "distance Δ = i − j (bytes back)"
    profiles.scroll_into_view_if_needed()
    screenshot(page, "models-profiles")


def test_loss_view_colours_every_byte_marks_L_and_switches_units(page):
    page.goto(page.lab + "/models#breaks")
    drawn(page, "loss")
    text = page.locator("#loss-text").input_value()
    n = len(text.encode())
    panels = page.locator("#loss-panels .loss-panel")
    assert panels.count() == 3
    assert panels.nth(0).locator("h3").inner_text() == "RoPE (base 1e4)"
    assert panels.nth(1).locator("h3").inner_text() == "ALiBi"
    assert re.fullmatch(
        r"RoPE \(base 1e4\) \+ YaRN, factor [0-9.]+", panels.nth(2).locator("h3").inner_text()
    )
    first = panels.nth(0)
    assert first.locator(".byte").count() == n
    assert first.locator(".byte.first").count() == 1
    # the L mark sits after byte L: L + 1 bytes before it (byte 0 and the L bytes predicted inside L)
    before_mark = page.evaluate(
        """() => { const mark = document.querySelector('#loss-panels .loss-panel .train-mark');
        let k = 0;
        for (let el = mark.previousElementSibling; el; el = el.previousElementSibling) k += 1;
        return k; }"""
    )
    assert before_mark == TRAIN_LENGTH + 1
    coloured = first.locator(".byte[title*='bits']").count()
    assert coloured == n - 1
    assert page.locator("#legend-title").inner_text() == "loss per byte (bits)"
    assert page.locator("#legend-ticks span").all_inner_texts() == ["0", "2", "4", "6", "≥ 8"]
    assert page.locator("#loss-chart .g-ytitle").text_content() == "loss (bits per byte)"
    page.locator("#breaks").scroll_into_view_if_needed()
    screenshot(page, "models-loss")

    before = count(page, "loss")
    page.select_option("#loss-unit", "nats")
    drawn(page, "loss", before + 1)
    assert page.locator("#legend-title").inner_text() == "loss per byte (nats)"
    assert page.locator("#legend-ticks span").last.inner_text() == "≥ 5.55"
    page.select_option("#loss-model-b", "learned-s0")
    drawn(page, "loss", before + 2)
    learned = panels.nth(1)
    assert learned.locator(".byte.na").count() == n - (TRAIN_LENGTH + 1)
    assert "table of 32 positions" in learned.locator(".note").inner_text()
    page.select_option("#loss-scaling", "none")
    drawn(page, "loss", before + 3)
    assert panels.nth(2).locator("h3").inner_text() == "RoPE (base 1e4)"
    screenshot(page, "models-loss-learned-nats")


def test_every_chart_fills_its_box_on_a_phone_and_keeps_its_text(page):
    """Drawn at 1280 px, then the window shrinks to 390x844: each Plotly chart (attention map, this head,
    every encoding, loss) is redrawn as wide as its box, its column shrinks with the window (a chart drawn
    wider never holds it wide), and no title, legend entry, colour-bar title or note is cut at its edge."""
    charts = ["attn-heatmap", "attn-head-profile", "profiles-plot", "loss-chart"]
    page.set_viewport_size({"width": 1280, "height": 844})
    page.goto(page.lab + "/models")
    for key in ("attention", "profiles", "loss"):
        drawn(page, key)
    assert plotly_misfits(page, charts) == []
    page.set_viewport_size({"width": 390, "height": 844})
    assert plotly_misfits(page, charts) == []
    for chart in charts:
        page.locator(f"#{chart}").screenshot(path=str(SCREENSHOTS / f"models-390-{chart}.png"))


def test_settings_round_trip_through_the_url_a_reload_and_back(page):
    page.goto(page.lab + "/models")
    drawn(page, "attention")
    drawn(page, "loss")
    for select, value in [("#attn-model", "alibi-s0"), ("#attn-layer", "1"), ("#attn-head", "1")]:
        before = count(page, "attention")
        page.select_option(select, value)
        drawn(page, "attention", before + 1)
    for select, value in [("#loss-unit", "nats"), ("#loss-model-b", "learned-s0")]:
        before = count(page, "loss")
        page.select_option(select, value)
        drawn(page, "loss", before + 1)
    for part in ("model=alibi-s0", "layer=1", "head=1", "unit=nats", "middle=learned-s0"):
        assert part in page.url
    page.reload()
    drawn(page, "attention")
    drawn(page, "loss")
    assert page.locator("#attn-facts").inner_text().startswith("ALiBi (alibi-s0), layer 1, head 1")
    assert (
        page.locator("#attn-layer").input_value() == "1" and page.locator("#attn-head").input_value() == "1"
    )
    assert page.locator("#legend-title").inner_text() == "loss per byte (nats)"
    assert page.locator("#loss-panels .loss-panel").nth(1).get_attribute("data-model") == "learned-s0"
    before = count(page, "loss")
    page.go_back()  # the middle panel's change was one step: Back restores its model, the unit stays
    drawn(page, "loss", before + 1)
    assert page.locator("#loss-model-b").input_value() != "learned-s0"
    assert page.locator("#loss-unit").input_value() == "nats"
    # a shared link opens on its settings
    page.goto(page.lab + "/models?model=alibi-s0&layer=1&head=0")
    drawn(page, "attention")
    assert page.locator("#attn-facts").inner_text().startswith("ALiBi (alibi-s0), layer 1, head 0")


def test_a_too_long_text_shows_the_labs_message(page):
    page.refusals_expected = True
    page.goto(page.lab + "/models")
    drawn(page, "attention")
    drawn(page, "loss")
    page.locator("#attn-text").fill("x" * 1500)
    page.wait_for_function("() => Boolean(document.body.dataset.attentionError)")
    expect(page.locator("#attn-error")).to_have_text(
        "text is 1,500 bytes (UTF-8); the attention view reads at most 1,024 bytes"
    )
    expect(page.locator("#attn-count")).to_have_class(re.compile("bad"))
    page.locator("#loss-text").fill("y" * 5000)
    page.wait_for_function("() => Boolean(document.body.dataset.lossError)")
    expect(page.locator("#loss-error")).to_contain_text("at most 4,096 bytes")
    page.locator("#attn-text").scroll_into_view_if_needed()
    screenshot(page, "models-too-long")
    page.locator("#attn-text").fill("hello, world")
    page.wait_for_function("() => !document.body.dataset.attentionError")
    assert page.locator("#attn-error").is_hidden()


def test_without_models_the_page_starts_the_quick_study_as_a_job(browser, tmp_path):
    # an install that ships no models (POSENC_REFERENCE_DIR: an empty folder) and a learner with none
    proc, url = start_lab(tmp_path / "empty-results", {"POSENC_REFERENCE_DIR": str(tmp_path / "none")})
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    watch = PageWatch(pg, url.rstrip("/"))
    try:
        pg.goto(url + "models")
        expect(pg.locator("#no-models")).to_contain_text("No trained models yet", timeout=30_000)
        expect(pg.locator("#no-models")).to_contain_text("posenc study --preset default")
        button = pg.get_by_role("button", name=re.compile("Train the quick preset"))
        assert json.loads(button.get_attribute("data-job")) == {"kind": "study", "preset": "quick"}
        screenshot(pg, "models-none")
        button.click()
        pg.locator(".job-status").wait_for(state="visible")
        expect(pg.locator(".job-message")).to_contain_text("%", timeout=60_000)
        assert pg.locator(".job-cancel").is_visible()
        pg.locator(".job-cancel").click()
        expect(pg.locator(".job-message")).to_have_text(re.compile("^Cancelled"), timeout=120_000)
        job = pg.request.get(url + "api/jobs/current").json()["job"]
        assert job["kind"] == "study" and job["state"] == "cancelled"
    finally:
        context.close()
        stop(proc)
    assert watch.outside == [] and watch.errors == [], (watch.outside, watch.errors)
