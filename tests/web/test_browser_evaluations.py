"""/evaluations in Chromium with an evaluation folder in it: axe-core finds nothing serious at 1280 px
and at 390 px, the table scrolls inside itself on a phone (the page does not), and the plots load."""

from __future__ import annotations

import pytest

from tests.web.conftest import PageWatch, quiet, screenshot, start_lab, stop
from tests.web.test_eval_pages import _row


@pytest.fixture(scope="module")
def eval_lab(tmp_path_factory):
    from posenc.evaluate.own_results import OwnResults

    results = tmp_path_factory.mktemp("eval-lab") / "results"
    store = OwnResults(results / "eval" / "tiny-llama")
    facts = {"model": "models/tiny-llama", "kind": "hf", "model_type": "llama", "train_length": 32}
    store.start({**facts, "rope_parameters": {"rope_theta": 1e4}}, "f" * 64)
    for scaling, key in ((None, "none"), ("yarn:4", "yarn:4")):
        header = {
            "rope_scaling": scaling,
            "text": "book.txt",
            "text_tokens": 9000,
            "dtype": "float32",
            "device": "cpu",
        }
        for length, ppl in ((32, 9.5), (64, 10.5), (128, 12.0)):
            store.save_row(key, header, _row(length, ppl, ppl * length / 32, 0.5))
    store.finish()
    proc, url = start_lab(results)
    yield url.rstrip("/")
    stop(proc)


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}])
def test_evaluations_page_passes_axe_and_fits(browser, eval_lab, viewport):
    from axe_playwright_python.sync_playwright import Axe

    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    watch = PageWatch(page, eval_lab)
    page.goto(eval_lab + "/evaluations")
    quiet(page)
    bad = [v["id"] for v in Axe().run(page).response["violations"] if v["impact"] in ("serious", "critical")]
    loaded = page.eval_on_selector_all(
        "figure.plot img", "imgs => imgs.map(i => i.complete && i.naturalWidth > 0)"
    )
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    screenshot(page, f"evaluations-{viewport['width']}")
    context.close()
    assert bad == [] and loaded == [True, True] and overflow <= 0, (bad, loaded, overflow)
    assert watch.outside == [] and watch.errors == [], (watch.outside, watch.errors)
