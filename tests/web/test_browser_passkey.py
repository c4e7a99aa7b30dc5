"""The models page's live passkey view in real Chromium, with shipped models (tiny ones trained for
real, ``tests.evaluate.shipped_models``): every retrieval-arm model answers digit by digit, the sliders
and the key redraw it from the keyboard, a bad key says so, the study's accuracy stands beside each
answer, and axe finds nothing serious at 1280 px or at 390 px (where nothing overflows sideways)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

import posenc.reference
from tests.evaluate.shipped_models import MEASURED, shipped_reference
from tests.web.conftest import PageWatch, quiet, screenshot, start_lab, stop


@pytest.fixture(scope="module")
def shipped_lab(tmp_path_factory):
    root = shipped_reference(tmp_path_factory)
    base = tmp_path_factory.mktemp("passkey-lab")
    env = {posenc.reference.ENV: str(root), "POSENC_CACHE_DIR": str(base / "cache")}
    proc, url = start_lab(base / "results", env)
    yield url.rstrip("/")
    stop(proc)


@pytest.fixture(params=[{"width": 1280, "height": 950}, {"width": 390, "height": 844}], ids=["wide", "phone"])
def page(browser, shipped_lab, request):
    context = browser.new_context(viewport=request.param)
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    watch = PageWatch(pg, shipped_lab)
    pg.lab, pg.size = shipped_lab, request.param
    yield pg
    context.close()
    assert watch.outside == [], f"requests left 127.0.0.1: {watch.outside}"
    assert watch.errors == [], f"console errors: {watch.errors}"


def answered(page, at_least: int) -> None:
    page.wait_for_function(f"() => Number(document.body.dataset.passkey || 0) >= {at_least}")


def test_every_retrieval_model_answers_and_the_controls_redraw_it(page):
    page.goto(page.lab + "/models#passkey")
    answered(page, 1)
    cards = page.locator("#pk-answers .pk-card")
    expect(cards).to_have_count(2)
    assert cards.nth(0).locator(".pk-digit").count() == 5 and cards.nth(1).locator(".pk-digit").count() == 5
    assert cards.nth(0).locator("h3").text_content().startswith("RoPE (base 1e4)")
    alibi = cards.nth(1)
    expect(alibi).to_contain_text(
        f"The study: {round(MEASURED[('alibi', 4, 0.5)] * 100)}% exact of 20 trials at 4 × L"
    )
    assert alibi.locator("svg.pk-strip rect.pk-keyband").count() == 1
    expect(page.locator("#pk-length-out")).to_have_text("4 × L = 128 bytes")

    page.locator("#pk-depth").focus()
    for _ in range(10):
        page.keyboard.press("ArrowLeft")  # depth 0.5 -> 0: the key at the start of the text
    answered(page, 2)
    expect(page.locator("#pk-depth-out")).to_have_text("at the start")
    expect(alibi).to_contain_text(f"{round(MEASURED[('alibi', 4, 0.0)] * 100)}% exact")

    page.locator("#pk-length").focus()
    page.keyboard.press("End")  # 16 × L
    answered(page, 3)
    expect(page.locator("#pk-facts")).to_contain_text("512 bytes")

    page.locator("#pk-key").fill("12")
    expect(page.locator("#pk-error")).to_contain_text("5 digits")
    page.locator("#pk-key").fill("27182")
    page.wait_for_function("() => document.getElementById('pk-facts').textContent.includes('27182')")
    expect(page.locator("#pk-error")).to_be_hidden()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= page.size["width"], f"the page is {width} px wide at {page.size['width']} px"
    screenshot(page, f"models-passkey-{page.size['width']}")


def test_axe_finds_nothing_serious_on_the_models_page_with_shipped_models(page):
    from axe_playwright_python.sync_playwright import Axe

    page.goto(page.lab + "/models")
    answered(page, 1)
    quiet(page)
    results = Axe().run(page)
    bad = [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == []
