"""The lab's frame in real Chromium: the path page, a note with math, progress kept by the lab (a note counts
as done once read to its end, not when opened)."""

from __future__ import annotations

from playwright.sync_api import expect

from posenc.learn.path import load_path
from tests.web.conftest import screenshot


def read_to_the_end(page, key: str) -> None:
    """Scroll the open note to its last paragraph and wait until the lab has it as done."""
    page.locator("article.note > :last-child").scroll_into_view_if_needed()
    page.wait_for_function("key => Progress.isDone(key)", arg=key, timeout=10000)


def test_home_then_a_note_read_to_its_end_marks_progress_and_next_follows_the_path(page):
    page.goto(page.lab + "/")
    steps = len(load_path())
    expect(page.locator("#path-progress")).to_have_text(f"0 of {steps} steps done")  # filled by script
    screenshot(page, "home")
    page.locator("ol.path li").first.locator("a").click()
    page.wait_for_url("**/notes/why-position")
    assert page.locator("article.note h1").inner_text() == "Why attention needs position"
    next_link = page.locator("#next-link")
    assert next_link.get_attribute("href") == "/experiments/1"
    page.wait_for_timeout(500)  # opened, not read: not done
    page.goto(page.lab + "/")
    expect(page.locator("#path-progress")).to_have_text(f"0 of {steps} steps done")  # filled by script
    page.goto(page.lab + "/notes/why-position")
    read_to_the_end(page, "note:why-position")
    page.goto(page.lab + "/")
    expect(page.locator("#path-progress")).to_have_text(f"1 of {steps} steps done")
    assert "done" in page.locator('li[data-key="note:why-position"]').get_attribute("class")


def test_off_path_page_resumes_at_the_first_step_not_done(page):
    page.goto(page.lab + "/notes/why-position")
    page.goto(page.lab + "/notes")
    page.wait_for_function("() => Progress.state !== null")
    assert page.locator("#next-link").get_attribute("href") == "/notes/why-position"  # opened, not read
    page.goto(page.lab + "/notes/why-position")
    read_to_the_end(page, "note:why-position")
    page.goto(page.lab + "/notes")
    page.wait_for_function("() => Progress.state !== null")
    assert page.locator("#next-link").get_attribute("href") == "/experiments/1"


def test_a_note_with_tables_renders_without_console_errors(page):
    page.goto(page.lab + "/notes/frequencies")
    assert page.locator("article.note table").count() >= 1
    screenshot(page, "note-frequencies")
