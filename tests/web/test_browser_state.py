"""The learner's state in real Chromium (issue 34): progress kept by the lab in the file `posenc progress`
reads (it survives a restart on another port in a fresh browser profile, and the terminal and the lab see
each other's quiz), an exercise written and checked in the browser, and requests another site could send
refused."""

from __future__ import annotations

import functools
import http.server
import io
import json
import sys
import threading

import pytest
from playwright.sync_api import expect

from posenc.cli import main
from posenc.exercises.catalog import EXERCISES
from posenc.learn.content import load_quiz
from posenc.learn.path import load_path
from tests.web.conftest import LAB_DATA_HOMES, PageWatch, lab_progress_file, start_lab, stop

SHOTS = "/tmp/posenc-state-shots"


def answer_quiz(page, wrong: int | None = None) -> None:
    """Click an answer to every question (the right one but for question ``wrong``, 0-based)."""
    for k, q in enumerate(load_quiz().mcq):
        letter = q.answer if k != wrong else next(x for x in "abcd" if x != q.answer)
        page.locator(f'#q-{q.id} .option[data-letter="{letter}"] button').click()
    page.wait_for_function("() => Progress.isDone('quiz')")


def read_note(page, topic: str) -> None:
    page.goto(page.lab + f"/notes/{topic}")
    page.locator("article.note > :last-child").scroll_into_view_if_needed()
    page.wait_for_function("key => Progress.isDone(key)", arg=f"note:{topic}", timeout=10000)


def new_page(browser, base: str, **context):
    ctx = browser.new_context(viewport={"width": 1200, "height": 900}, **context)
    pg = ctx.new_page()
    pg.set_default_timeout(15000)
    pg.lab = base
    PageWatch(pg, base)
    return ctx, pg


def run_cli(argv: list[str], stdin: str, monkeypatch, capsys, data_home: str) -> str:
    monkeypatch.setenv("XDG_DATA_HOME", data_home)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    assert main(argv) == 0
    return " ".join(capsys.readouterr().out.split())


# --------------------------------------------------------------------------------------------------
# one store, whatever the port, the browser profile or the front end
# --------------------------------------------------------------------------------------------------


def test_progress_survives_a_restart_on_another_port_in_a_fresh_browser_profile(browser, tmp_path):
    data_home = {"XDG_DATA_HOME": str(tmp_path / "xdg-data")}
    first, url = start_lab(tmp_path / "results", data_home)
    try:
        ctx, page = new_page(browser, url.rstrip("/"))
        read_note(page, "why-position")
        page.goto(page.lab + "/quiz")
        answer_quiz(page, wrong=1)
        assert page.watch.errors == [] and page.watch.outside == []
        ctx.close()
    finally:
        stop(first)
    second, url2 = start_lab(tmp_path / "results", data_home)
    try:
        assert url2 != url  # another port
        ctx, page = new_page(browser, url2.rstrip("/"))  # a fresh profile: no localStorage at all
        page.goto(page.lab + "/")
        steps = len(load_path())
        page.wait_for_function("() => Progress.state !== null")
        expect(page.locator("#path-progress")).to_have_text(f"2 of {steps} steps done")
        for key in ("note:why-position", "quiz"):
            assert "done" in page.locator(f'li[data-key="{key}"]').get_attribute("class")
        page.goto(page.lab + "/quiz")
        last = page.locator("#quiz-last")
        last.wait_for(state="visible")
        assert "kept in your progress" in last.inner_text() and "4 of 5 right" in last.inner_text()
        assert page.watch.errors == [] and page.watch.outside == []
        ctx.close()
    finally:
        stop(second)


def test_a_quiz_in_the_terminal_shows_in_the_lab_and_one_in_the_lab_in_posenc_progress(
    page, monkeypatch, capsys
):
    data_home = LAB_DATA_HOMES[page.lab]
    mcq = load_quiz().mcq
    answers = [q.answer for q in mcq]
    answers[2] = next(x for x in "abcd" if x != mcq[2].answer)
    run_cli(["quiz", "--no-open"], "\n".join(answers) + "\n", monkeypatch, capsys, data_home)

    page.goto(page.lab + "/quiz")
    last = page.locator("#quiz-last")
    last.wait_for(state="visible")
    assert "4 of 5 right" in last.inner_text() and "posenc quiz" in last.inner_text()
    page.goto(page.lab + "/")
    page.wait_for_function("() => Progress.state !== null")
    assert "done" in page.locator('li[data-key="quiz"]').get_attribute("class")

    page.goto(page.lab + "/quiz")
    answer_quiz(page)
    # the quiz was already done (in the terminal): wait for the lab to have saved this one
    page.wait_for_function("n => Progress.state.quiz && Progress.state.quiz.score === n", arg=len(mcq))
    out = run_cli(["progress"], "", monkeypatch, capsys, data_home)
    assert "Quiz: 5/5" in out and "missed: none." in out


def test_grill_grades_given_in_the_lab_show_in_posenc_progress(page, monkeypatch, capsys):
    page.goto(page.lab + "/grill?section=D")
    page.wait_for_function("() => Progress.state !== null")
    articles = page.locator(".grill-q")
    for k in range(2):
        articles.nth(k).locator(".reveal").click()
        articles.nth(k).locator(".got" if k == 0 else ".missed-button").click()
    page.wait_for_function(
        "() => Progress.state.grill.sections.D && Progress.state.grill.sections.D.asked === 2"
    )
    out = run_cli(["progress"], "", monkeypatch, capsys, LAB_DATA_HOMES[page.lab])
    assert "1/2 (of" in out


def test_forget_my_progress_asks_first_then_forgets_everything(page):
    read_note(page, "why-position")
    page.goto(page.lab + "/quiz")
    answer_quiz(page)
    page.goto(page.lab + "/")
    page.wait_for_function("() => Progress.state !== null")
    steps = len(load_path())
    expect(page.locator("#path-progress")).to_have_text(f"2 of {steps} steps done")
    page.locator("#reset-progress").click()
    assert page.locator("#forget-confirm").is_visible()
    page.locator("#forget-no").click()  # keep it
    assert page.locator("#forget-confirm").is_hidden()
    assert lab_progress_file(page.lab).exists()
    page.locator("#reset-progress").click()
    page.locator("#forget-yes").click()
    page.wait_for_function("() => Progress.state.steps.length === 0")
    expect(page.locator("#path-progress")).to_have_text(f"0 of {steps} steps done")
    assert "Forgotten" in page.locator("#forget-done").inner_text()
    assert not lab_progress_file(page.lab).exists()
    assert page.evaluate("() => Object.keys(localStorage).filter((k) => k.startsWith('posenc.'))") == []
    page.goto(page.lab + "/quiz")
    page.wait_for_function("() => Progress.state !== null")
    assert page.locator("#quiz-last").is_hidden()  # the quiz is forgotten too


# --------------------------------------------------------------------------------------------------
# exercises in the browser
# --------------------------------------------------------------------------------------------------


def type_code(page, code: str) -> None:
    content = page.locator("#editor .cm-content")
    content.click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(code)
    assert content.inner_text().startswith(code.splitlines()[0])


def test_an_exercise_checked_in_the_browser_passes_with_the_reference_and_fails_with_a_hint(page):
    e = EXERCISES["rope-frequencies"]
    page.goto(page.lab + f"/exercises/{e.name}")
    editor_text = page.locator("#editor .cm-content").inner_text()
    assert editor_text.startswith(f"# posenc exercise: {e.name}") and "press Check" in editor_text
    page.set_viewport_size({"width": 1280, "height": 800})
    page.screenshot(path=f"{SHOTS}/exercise-start-1280.png")

    broken = e.solution().replace("return 1.0 / (base**exponent)", "return base**exponent")
    type_code(page, broken)
    page.locator("#check").click()
    verdict = page.locator("#check-verdict")
    verdict.wait_for(state="visible", timeout=120000)
    assert "cases pass" in verdict.inner_text() and "Passed" not in verdict.inner_text()
    hints = page.locator("#check-hints li").all_inner_texts()
    assert e.hints["sign"] in hints
    assert "hint:" in page.locator("#check-report").inner_text()
    page.screenshot(path=f"{SHOTS}/exercise-failed-1280.png", full_page=True)
    page.reload()  # the draft is kept in this browser
    assert "return base**exponent" in page.locator("#editor .cm-content").inner_text()

    type_code(page, e.solution())
    page.locator("#check").click()
    page.wait_for_function(
        "() => document.getElementById('check-verdict').textContent.startsWith('Passed')", timeout=120000
    )
    assert page.locator("#check-hints-block").is_hidden()
    kept = json.loads(lab_progress_file(page.lab).read_text())
    assert kept["exercises"][e.name]["passed"] and "exercises" in kept["steps"]
    page.set_viewport_size({"width": 390, "height": 844})
    page.locator("#check-result").scroll_into_view_if_needed()
    page.screenshot(path=f"{SHOTS}/exercise-passed-390.png")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=f"{SHOTS}/exercise-start-390.png")


# --------------------------------------------------------------------------------------------------
# what another site could send
# --------------------------------------------------------------------------------------------------

ATTACK = """<!doctype html><title>another site</title><script>
const lab = new URLSearchParams(location.search).get("lab");
const send = (url, kind, body, extra = {}) => fetch(lab + url, {
  method: "POST", mode: kind === "text/plain" ? "no-cors" : "cors",
  headers: { "content-type": kind, ...extra }, body,
}).then((r) => `read ${r.type} ${r.status}`, (e) => "blocked");
Promise.all([
  send("/api/progress/step", "text/plain", JSON.stringify({ key: "note:clock" })),
  send("/api/progress/forget", "text/plain", JSON.stringify({ confirm: true })),
  send("/api/exercises/rope-frequencies/check", "text/plain", JSON.stringify({ code: "import os" })),
  send("/api/progress/step", "application/json", JSON.stringify({ key: "note:clock" }),
       { "x-posenc-token": "guess" }),
  fetch(lab + "/").then((r) => r.text()).then(() => "read the page", () => "blocked"),
]).then((results) => { document.body.dataset.results = JSON.stringify(results); });
</script>"""


@pytest.fixture
def other_site(tmp_path):
    """A page served from another port of 127.0.0.1 (another origin): http://127.0.0.1:PORT/attack.html."""
    (tmp_path / "attack.html").write_text(ATTACK)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_another_origin_can_neither_record_progress_nor_run_code_nor_read_the_token(
    browser, lab_server, other_site, monkeypatch, capsys
):
    file = lab_progress_file(lab_server)
    run_cli(["quiz", "--no-open"], "a\n", monkeypatch, capsys, LAB_DATA_HOMES[lab_server])  # some progress
    before = file.read_bytes()
    ctx = browser.new_context()
    pg = ctx.new_page()
    sent = []  # the requests that left the browser for the lab (the page sees none of the answers)
    pg.on("request", lambda r: sent.append((r.method, r.url.removeprefix(lab_server))))
    pg.goto(f"{other_site}/attack.html?lab={lab_server}")
    pg.wait_for_function("() => document.body.dataset.results", timeout=30000)
    results = json.loads(pg.evaluate("() => document.body.dataset.results"))
    ctx.close()
    assert results == ["blocked"] * 5  # nothing read: no answer, no page, so no token
    # the simple (text/plain) POSTs reached the lab, which refused them (nothing changed below); the JSON
    # one got no CORS permission for its preflight
    for url in ("/api/progress/step", "/api/progress/forget", "/api/exercises/rope-frequencies/check"):
        assert ("POST", url) in sent, sent
    assert file.read_bytes() == before  # nothing recorded, nothing forgotten


def test_the_labs_own_page_cannot_post_text_plain_or_without_its_token(page):
    page.goto(page.lab + "/notes")
    statuses = page.evaluate(
        """async () => {
        const token = document.querySelector('meta[name="posenc-token"]').content;
        const body = JSON.stringify({ key: "note:clock" });
        const go = (headers) => fetch("/api/progress/step", { method: "POST", headers, body })
          .then((r) => r.status);
        const code = (headers) => fetch("/api/exercises/rope-frequencies/check",
          { method: "POST", headers, body: JSON.stringify({ code: "x" }) }).then((r) => r.status);
        return [await go({ "content-type": "text/plain", "x-posenc-token": token }),
                await go({ "content-type": "application/json" }),
                await code({ "content-type": "text/plain", "x-posenc-token": token }),
                await code({ "content-type": "application/json", "x-posenc-token": "nope" }),
                await go({ "content-type": "application/json", "x-posenc-token": token })];
      }"""
    )
    assert statuses == [415, 403, 415, 403, 200]
    # Chromium logs each refused request as a console error: those four, and nothing else
    assert len(page.watch.errors) == 4 and all("Failed to load resource" in e for e in page.watch.errors)
    page.watch.errors.clear()


def test_a_tool_page_counts_as_done_when_used_not_when_opened(page):
    page.goto(page.lab + "/playground")
    page.wait_for_function("() => Progress.state !== null")
    page.wait_for_timeout(500)
    assert page.evaluate("() => Progress.isDone('playground')") is False  # opened is not done
    slider = page.locator('main input[type="range"]').first
    slider.focus()
    page.keyboard.press("ArrowRight")  # the learner moves a slider
    page.wait_for_function("() => Progress.isDone('playground')")
    assert "playground" in json.loads(lab_progress_file(page.lab).read_text())["steps"]
