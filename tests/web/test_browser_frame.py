"""The lab's frame in real Chromium: the path page, a note with math, progress kept in the browser."""

from __future__ import annotations

from posenc.learn.path import load_path
from tests.web.conftest import screenshot


def test_home_then_a_note_marks_progress_and_next_follows_the_path(page):
    page.goto(page.lab + "/")
    steps = len(load_path())
    assert page.locator("#path-progress").inner_text() == f"0 of {steps} steps visited"
    screenshot(page, "home")
    page.locator("ol.path li").first.locator("a").click()
    page.wait_for_url("**/notes/why-position")
    assert page.locator("article.note h1").inner_text() == "Why attention needs position"
    next_link = page.locator("#next-link")
    assert next_link.get_attribute("href") == "/experiments/1"
    page.goto(page.lab + "/")
    assert page.locator("#path-progress").inner_text() == f"1 of {steps} steps visited"
    assert "done" in page.locator('li[data-key="note:why-position"]').get_attribute("class")


def test_off_path_page_resumes_at_the_first_unvisited_step(page):
    page.goto(page.lab + "/notes/why-position")
    page.goto(page.lab + "/notes")
    assert page.locator("#next-link").get_attribute("href") == "/experiments/1"


def test_a_note_with_tables_renders_without_console_errors(page):
    page.goto(page.lab + "/notes/frequencies")
    assert page.locator("article.note table").count() >= 1
    screenshot(page, "note-frequencies")
