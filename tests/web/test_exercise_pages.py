"""The exercises page: every exercise with its signature, docstring and the exact commands, and a link
to its editor page (the starting file in the shipped editor); its place on the learning path; and the code
guide note. Checking code from the lab: tests/web/test_state.py."""

from __future__ import annotations

import html
import json
import re

from posenc.exercises.catalog import EXERCISES
from posenc.exercises.template import signature
from posenc.learn.path import next_step
from posenc.web.exercise_pages import LAB_TODO


def test_exercises_page_lists_every_exercise_with_its_commands(client):
    page = client.get("/exercises")
    assert page.status_code == 200
    text = html.unescape(page.text)
    for e in EXERCISES.values():
        assert f'id="{e.name}"' in page.text
        assert signature(e.solution(), e.function) in text
        assert e.template() in text  # the docstring with shapes and formula, as `start` writes it
        for command in (
            f"posenc exercise start {e.name}",
            f"posenc exercise check {e.function}.py",
            f"posenc exercise solution {e.name}",
        ):
            assert command in text, command
        assert f'href="/notes/{e.note}"' in page.text


def test_exercises_page_links_each_exercise_to_its_editor_and_runs_nothing_itself(client):
    page = client.get("/exercises").text
    assert "<form" not in page and 'type="file"' not in page and "<textarea" not in page
    for e in EXERCISES.values():
        assert f'href="/exercises/{e.name}"' in page
    assert "does not run your code" not in page  # it does now: /exercises/NAME, Check
    assert client.post("/exercises").status_code == 405  # the list takes no code


def test_an_exercise_page_holds_the_starting_file_in_the_shipped_editor(client):
    from posenc.exercises.template import TODO

    e = EXERCISES["rope-frequencies"]
    page = client.get(f"/exercises/{e.name}")
    assert page.status_code == 200
    assert '<script src="/static/vendor/codemirror.min.js"></script>' in page.text
    assert "https://" not in page.text.split("<main", 1)[1].split("</main>", 1)[0]  # no CDN
    start = json.loads(re.search(r'id="exercise-start">(.*?)</script>', page.text, re.S).group(1))
    assert start == e.template().replace(TODO.format(file="THIS_FILE"), LAB_TODO)
    assert start.startswith(f"# posenc exercise: {e.name}") and "press Check" in start
    assert 'data-path-key="exercises"' in page.text
    assert client.get("/exercises/no-such-exercise").status_code == 404
    editor = client.get("/static/vendor/codemirror.min.js")
    assert editor.status_code == 200 and "PosencEditor" in editor.text
    licences = client.get("/static/vendor/codemirror.LICENSES.md").text
    assert "@codemirror/view" in licences and "MIT" in licences


def test_exercises_page_is_on_the_path_and_in_the_navigation(client):
    page = client.get("/exercises").text
    assert 'data-path-key="exercises"' in page
    following = next_step("exercises")
    assert f'href="{following.url}"' in page and following.kind == "quiz"
    assert re.search(r'<a href="/exercises"[^>]*>Exercises</a>', page)
    home = client.get("/").text
    assert 'data-key="exercises"' in home and 'data-key="note:code"' in home


def test_code_guide_note_renders_with_line_references(client):
    page = client.get("/notes/code")
    assert page.status_code == 200
    assert "{{" not in page.text and "code_ref" not in page.text
    assert re.search(r"<code>encodings/rope\.py</code> lines \d+–\d+", page.text)
    assert re.search(r"<code>model/lm\.py</code> line \d+", page.text)


def test_exercises_page_in_chromium(page):
    """Loads with no console error and no request off this computer (the fixture checks both); the
    template opens under its summary and the footer's Next link follows the path."""
    page.goto(page.lab + "/exercises")
    item = page.locator('li[data-exercise="rope-apply-half"]')
    assert not item.locator("pre.template").is_visible()
    item.locator("summary").click()
    assert "def rope_apply_half(" in item.locator("pre.template").inner_text()
    assert page.locator("#next-link").get_attribute("href") == next_step("exercises").url
