"""The experiments and the study in real Chromium: run a job, watch it, see its result; the study's numbers.

The lab is the real ``posenc lab`` (conftest's ``lab_server``, a fresh results folder); the page fixture
fails a test on any console error or any request that leaves 127.0.0.1.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from playwright.sync_api import expect

import posenc.reference
from tests.web.conftest import plotly_misfits, screenshot

WAIT_MS = 300_000  # a job on a shared 2-core machine: generous
REFERENCE = posenc.reference.root()


def images_loaded(page) -> list[str]:
    """The src of every <img> on the page that did not load."""
    return page.evaluate(
        "[...document.images].filter((i) => !(i.complete && i.naturalWidth > 0)).map((i) => i.src)"
    )


def test_run_a_quick_experiment_see_progress_then_its_tables_and_plots(page):
    page.goto(page.lab + "/experiments")
    screenshot(page, "experiments-index")
    page.locator('a[href="/experiments/2"]').click()
    page.wait_for_url("**/experiments/2")
    assert page.locator("#no-result").is_visible()
    page.get_by_role("button", name=re.compile("Run quick")).click()
    status = page.locator(".job-status")
    status.wait_for(state="visible")
    assert page.locator(".job-cancel").is_visible()
    expect(page.locator(".job-message")).to_contain_text("%", timeout=WAIT_MS)
    screenshot(page, "experiment-2-running")

    page.wait_for_url(re.compile(r"/experiments/2\?job=\w+#result$"), timeout=WAIT_MS)
    assert "Finished: experiment 2 (quick)" in page.locator("#result").inner_text()
    # the tables the terminal prints, read back against the results.json the page names
    folder = Path(page.locator(".result-meta code").first.inner_text()).parent
    results = json.loads((folder / "results.json").read_text())
    first = page.locator("table.rich").first
    assert "rotated by" in first.locator("caption").inner_text()
    x, y = results["numbers"]["rotated_2d"]["2"]
    row = first.locator("tbody tr").nth(2).locator("td").all_inner_texts()
    assert row[0] == "2" and float(row[1]) == round(x, 3) + 0.0 and float(row[2]) == round(y, 3)
    assert page.locator("table.rich").count() >= 2
    assert page.locator("figure.plot img").count() == len([p for p in results["plots"] if p.endswith(".png")])
    page.locator("figure.plot img").last.scroll_into_view_if_needed()
    for img in page.locator("img").all():
        expect(img).to_have_js_property("complete", True)
    assert images_loaded(page) == []
    screenshot(page, "experiment-2-result")


def test_a_reloaded_page_follows_the_running_job_and_can_cancel_it(page):
    page.goto(page.lab + "/experiments/3")
    page.get_by_role("button", name=re.compile("Run quick")).click()
    page.locator(".job-status").wait_for(state="visible")
    page.reload()
    # after the reload the page asks for the current job and follows it again
    page.locator(".job-status").wait_for(state="visible")
    assert page.locator(".job-cancel").is_visible()
    assert page.locator(".job-run").first.is_disabled()
    other = page.context.new_page()
    other.goto(page.lab + "/experiments/1")
    other.locator(".job-other").wait_for(state="visible")
    assert "Running now: experiment 3 (quick)" in other.locator(".job-other").inner_text()
    other.get_by_role("button", name=re.compile("Run quick")).click()
    other.locator(".job-error").wait_for(state="visible")
    assert "already running" in other.locator(".job-error").inner_text()
    screenshot(other, "experiment-1-while-3-runs")
    other.close()

    page.locator(".job-cancel").click()
    expect(page.locator(".job-message")).to_have_text(re.compile("^Cancelled"), timeout=60_000)
    job = page.request.get(page.lab + "/api/jobs/current").json()["job"]
    assert job["state"] == "cancelled"
    assert not page.locator(".job-run").first.is_disabled()
    screenshot(page, "experiment-3-cancelled")


def test_the_study_page_shows_the_reference_numbers_chart_and_plots(page):
    results = json.loads((REFERENCE / "study-cpu-full" / "results.json").read_text())
    page.goto(page.lab + "/study#measured")
    assert page.locator("#measured").is_visible()
    alibi = results["encodings"]["alibi"]["rows"]
    row = page.locator("#table-last-ppl tbody tr", has_text="ALiBi").locator("td").all_inner_texts()
    assert [float(cell.split(" ± ")[0]) for cell in row] == [round(r["last_ppl"]["mean"], 2) for r in alibi]
    page.locator("#ppl-chart .main-svg").first.wait_for(state="attached", timeout=30_000)
    assert page.locator("#ppl-chart .legendtext").count() == sum(
        1 for e in results["encodings"].values() if any(r["status"] == "ok" for r in e["rows"])
    )
    page.get_by_role("button", name="All positions").click()
    assert page.get_by_role("button", name="All positions").get_attribute("aria-pressed") == "true"
    for img in page.locator("figure.plot img").all():
        img.scroll_into_view_if_needed()
    for img in page.locator("img").all():
        expect(img).to_have_js_property("complete", True)
    assert images_loaded(page) == []
    screenshot(page, "study")
    page.goto(page.lab + "/study?run=reference-default")
    assert page.locator(".run-picker [aria-current=page]").inner_text().startswith("Reference: default")


def test_the_study_chart_fills_its_box_on_a_phone_and_keeps_its_legend(page):
    """Drawn at 1280 px, then the window shrinks to 390x844: the chart is redrawn as wide as its box, its
    legend under the plot, and no title, axis title or legend entry is cut at its edge."""
    page.set_viewport_size({"width": 1280, "height": 844})
    page.goto(page.lab + "/study")
    page.locator("#ppl-chart .main-svg").first.wait_for(state="attached", timeout=30_000)
    assert plotly_misfits(page, ["ppl-chart"]) == []
    page.set_viewport_size({"width": 390, "height": 844})
    assert plotly_misfits(page, ["ppl-chart"]) == []
    page.locator("#ppl-chart").scroll_into_view_if_needed()
    screenshot(page, "study-390")


def test_a_long_folder_path_wraps_on_a_phone(page):
    """The run's folder is shown in <code>, and a path has no space to break at: where the lab is installed
    deep (CI's clone was /check/work/main/...), it once made the page 391 px wide in a 390 px window."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(page.lab + "/study")
    folder = page.locator("#run-facts > code").last
    assert folder.inner_text().endswith("study-cpu-full")
    deep = "/a/deep/install/of/posenc/src/posenc/reference/study-cpu-full"
    folder.evaluate("(e, text) => { e.textContent = text; }", deep)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
