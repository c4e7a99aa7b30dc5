"""The quiz, grill and practice pages through the test client: every question, answer, explanation,
band and card of the data files is on its page, each question links to its note, bad filters are
answered with a clear 400."""

from __future__ import annotations

import html
import json
import math
import re

import pytest

from posenc.learn.content import LETTERS, load_cards, load_grill, load_notes_index, load_practice, load_quiz
from posenc.learn.path import next_step
from posenc.web.markup import inline_html, markdown_html


def block(page: str, element_id: str) -> str:
    """The HTML from ``id="element_id"`` up to the next element of the same class of block (or the end)."""
    start = page.index(f'id="{element_id}"')
    following = re.search(r'<(li class="mcq"|article class="(grill-q|open-q)"|section)', page[start + 1 :])
    return page[start : start + 1 + following.start()] if following else page[start:]


def text_of(fragment: str) -> str:
    """Visible text of an HTML fragment, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def test_quiz_shows_every_question_with_its_options_explanations_and_note(client):
    r = client.get("/quiz")
    assert r.status_code == 200
    quiz = load_quiz()
    titles = {t.id: t.title for t in load_notes_index()}
    for q in quiz.mcq:
        part = block(r.text, f"q-{q.id}")
        assert str(inline_html(q.question)) in part, q.id
        assert f'data-answer="{q.answer}"' in part
        letters = re.findall(r'data-letter="([a-d])" data-correct="(true|false)"', part)
        assert letters == [(LETTERS[i], "true" if o.correct else "false") for i, o in enumerate(q.options)]
        for o in q.options:
            assert str(inline_html(o.text)) in part and str(inline_html(o.why)) in part, q.id
        assert f'<a href="/notes/{q.note}">{html.escape(titles[q.note])}</a>' in part
    # the list of missed questions holds every question (the script shows the missed ones) with its note link
    missed = r.text[r.text.index('id="quiz-missed"') :]
    for q in quiz.mcq:
        item = re.search(rf'<li data-qid="{q.id}" hidden>.*?</li>', missed, re.S).group(0)
        assert f'href="/notes/{q.note}"' in item


def test_quiz_has_the_open_questions_with_hidden_reference_answers_and_the_completion_check(client):
    page = client.get("/quiz").text
    quiz = load_quiz()
    for q in quiz.open_questions:
        part = block(page, f"q-{q.id}")
        details = part[part.index("<details") : part.index("</details>")]
        assert str(markdown_html(q.reference_answer)) in details  # inside the toggle, closed by default
        assert '<details class="reference">' in part  # no `open`: the answer starts hidden
        assert f'href="/notes/{q.note}"' in details
    boxes = re.findall(r'<input type="checkbox" data-check="(\d+)">', page)
    assert boxes == [str(n) for n in range(1, len(quiz.completion_check) + 1)]
    assert '<script src="/static/quiz.js"></script>' in page
    assert f'href="{next_step("quiz").url}"' in page.split('class="next-footer"')[1]


def test_grill_shows_all_sections_questions_answers_and_bands(client):
    r = client.get("/grill")
    assert r.status_code == 200
    grill = load_grill()
    titles = {t.id: t.title for t in load_notes_index()}
    for s in grill.sections:
        heading = f'<h2 id="h-{s.id}"><span class="sec-letter">{s.id}</span> {html.escape(s.title)}</h2>'
        assert heading in r.text
        assert f'href="/grill?section={s.id}"' in r.text
    articles = re.findall(r'<article class="grill-q" id="q-([A-J]\d+)"', r.text)
    assert articles == [q.id for q in grill.questions] and len(articles) == grill.total
    for q in grill.questions:
        part = block(r.text, f"q-{q.id}")
        assert str(markdown_html(q.answer)) in part, q.id
        assert f'<a href="/notes/{q.note}">{html.escape(titles[q.note])}</a>' in part, q.id
    bands = re.findall(r'<div class="band notice" data-min="(\d+)" data-max="(\d+)" hidden>', r.text)
    assert bands == [(str(b.min), str(b.max)) for b in grill.bands]
    for b in grill.bands:
        assert f"<strong>Band: {html.escape(b.label)}</strong>" in r.text
    data = json.loads(
        re.search(r'<script type="application/json" id="grill-data">(.*?)</script>', r.text, re.S).group(1)
    )
    assert data == {
        "total": grill.total,
        "sections": {s.id: [q.id for q in s.questions] for s in grill.sections},
    }
    assert f'href="{next_step("grill").url}"' in r.text.split('class="next-footer"')[1]


@pytest.mark.parametrize(("query", "letters"), [("D", "D"), ("d", "D"), ("E,D", "DE"), (" h , a ", "AH")])
def test_grill_section_filter_shows_only_those_sections(client, query, letters):
    r = client.get("/grill", params={"section": query})
    assert r.status_code == 200
    grill = load_grill()
    expected = [q.id for q in grill.questions if q.section in letters]
    assert re.findall(r'<article class="grill-q" id="q-([A-J]\d+)"', r.text) == expected
    assert f"Showing {len(expected)} of {grill.total} questions." in r.text
    # the score and the missed list still cover the whole grill
    assert len(re.findall(r'<li data-qid="[A-J]\d+" hidden>', r.text)) == grill.total


@pytest.mark.parametrize("query", ["Z", "D,K", "AB", ",", "1"])
def test_grill_bad_section_is_a_400_naming_the_sections(client, query):
    r = client.get("/grill", params={"section": query})
    assert r.status_code == 400
    detail = text_of(re.search(r'<p class="error-detail">(.*?)</p>', r.text, re.S).group(1))
    assert detail.startswith("section: ")
    assert "A–J" in detail or "sections: A, B, C, D, E, F, G, H, I, J" in detail
    assert "Traceback" not in r.text


def _number(x: float) -> str:
    """Three decimals, trailing zeros dropped, a real minus sign (as the walk-through is written)."""
    v = round(x, 3) + 0.0  # + 0.0 turns −0.0 into 0.0
    return f"{v:g}".replace("-", "−")


def test_practice_walkthrough_numbers_are_the_closed_form(client):
    page = client.get("/practice").text
    w = load_practice().walkthrough
    one = block(page, "walk-one")
    rows = re.findall(
        r'<tr><td class="num">(\d+)</td><td>([^<]+)</td>.*?class="walk-answer">([^<]+)<', one, re.S
    )
    step = w.step_over_pi * math.pi
    assert [int(m) for m, _, _ in rows] == [s.position for s in w.part_one]
    for m, _angle, answer in rows:
        assert answer == f"({_number(math.cos(int(m) * step))}, {_number(math.sin(int(m) * step))})"
    assert [a for _, a, _ in rows] == [s.angle for s in w.part_one]
    two = block(page, "walk-two")
    pairs = re.findall(
        r'<tr><td class="num">(\d+)</td><td class="num">(\d+)</td>.*?class="walk-answer">([^<]+)<', two, re.S
    )
    assert [(int(m), int(n)) for m, n, _ in pairs] == [(p.m, p.n) for p in w.part_two]
    for m, n, dot in pairs:
        assert dot == _number(math.cos((int(n) - int(m)) * step)), (m, n)


def test_practice_has_the_self_check_and_every_flashcard(client):
    page = client.get("/practice").text
    for card in load_practice().self_check:
        assert str(inline_html(card.front)) in page and str(markdown_html(card.back)) in page
    cards = load_cards()
    assert re.findall(r'<li class="card" id="card-(\d+)"', page) == [str(n) for n in range(1, len(cards) + 1)]
    for n, card in enumerate(cards, 1):
        part = page[page.index(f'id="card-{n}"') :]
        part = part[: part.index("</li>")]
        assert str(markdown_html(card.front)) in part and str(markdown_html(card.back)) in part
    assert '<link rel="stylesheet" href="/static/practice.css">' in page
    assert 'id="print-cards"' in page and "Print flashcards" in page
    assert f'href="{next_step("practice").url}"' in page.split('class="next-footer"')[1]


def test_the_three_pages_are_in_the_navigation_and_their_scripts_are_served(client):
    nav = client.get("/").text.split("</nav>")[0]
    for href in ("/practice", "/quiz", "/grill"):
        assert f'href="{href}"' in nav
    for name in ("quiz.js", "grill.js", "practice.js", "practice.css"):
        r = client.get(f"/static/{name}")
        assert r.status_code == 200 and len(r.text) > 500, name


def test_no_inline_script_code_on_the_pages(client):
    """The CSP allows scripts from the lab's own files only: no inline code, no on* handlers."""
    for url in ("/quiz", "/grill", "/practice"):
        page = client.get(url).text
        for attrs, _body in re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S):
            assert "src=" in attrs or 'type="application/json"' in attrs, (url, attrs)
        assert not re.search(r"\son[a-z]+=", page), url
