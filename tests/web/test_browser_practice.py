"""The quiz, the grill and the flashcards in real Chromium: clicks, scores, what the browser keeps,
and the print style sheet (one flashcard per printed page, checked in a real PDF)."""

from __future__ import annotations

import json
import re

from posenc.learn.content import load_cards, load_grill, load_notes_index, load_quiz
from posenc.web.practice_pages import AGAIN_LATER
from tests.web.conftest import SCREENSHOTS, screenshot


def plain(markdown: str) -> str:
    """Markdown text as a browser shows it (emphasis marks dropped, whitespace collapsed)."""
    return " ".join(markdown.replace("*", "").replace("`", "").split())


def prose(markdown: str) -> list[str]:
    """The text between a content string's formulas ($…$), as a browser shows it; the formulas are MathML."""
    return [
        piece for piece in (plain(part) for part in re.split(r"\$\$.*?\$\$|\$[^$]*\$", markdown)) if piece
    ]


def squash(text: str) -> str:
    return " ".join(text.split())


def shot(page, name: str) -> None:
    """A full-page screenshot taken from the top (a sticky header would otherwise sit mid-page)."""
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, name)


def stored(page, key: str):
    return json.loads(page.evaluate(f"localStorage.getItem({key!r})") or "null")


# --------------------------------------------------------------------------------------------------
# quiz
# --------------------------------------------------------------------------------------------------


def test_quiz_one_wrong_answer_gives_the_score_and_links_the_missed_question_to_its_note(page):
    quiz = load_quiz()
    titles = {t.id: t.title for t in load_notes_index()}
    wrong_q = quiz.mcq[1]
    wrong_letter = next(letter for letter, o in zip("abcd", wrong_q.options, strict=True) if not o.correct)
    page.goto(page.lab + "/quiz")
    assert page.locator("#quiz-result").is_hidden()
    for q in quiz.mcq:
        letter = wrong_letter if q is wrong_q else q.answer
        page.locator(f'#q-{q.id} .option[data-letter="{letter}"] button').click()

    box = page.locator(f"#q-{wrong_q.id}")
    assert squash(box.locator(".feedback").inner_text()) == (
        f"Not quite: you chose {wrong_letter}, the answer is {wrong_q.answer}."
    )
    # every option's explanation is shown, and no option can be clicked a second time
    whys = box.locator(".option-why")
    assert whys.count() == 4
    for k, option in enumerate(wrong_q.options):
        shown = squash(whys.nth(k).inner_text())
        assert shown.startswith("Right" if option.correct else "Wrong"), shown
        for piece in prose(option.why):  # the words of the explanation, around its formulas
            assert piece.strip(" ,.;:") in shown, piece
        assert whys.nth(k).locator("math").count() == option.why.count("$") // 2  # each formula as MathML
        assert box.locator("button.choice").nth(k).is_disabled()
    assert "(your answer)" in whys.nth("abcd".index(wrong_letter)).inner_text()
    right_q = quiz.mcq[0]
    assert squash(page.locator(f"#q-{right_q.id} .feedback").inner_text()) == f"Right: {right_q.answer}."

    total = len(quiz.mcq)
    assert page.locator("#quiz-result").is_visible()
    assert page.locator("#quiz-score").inner_text() == f"{total - 1} of {total} right."
    missed = page.locator("#quiz-missed li:visible")
    assert missed.count() == 1
    assert missed.first.get_attribute("data-qid") == wrong_q.id
    note_link = missed.first.locator("a.note-link")
    assert note_link.get_attribute("href") == f"/notes/{wrong_q.note}"
    assert note_link.inner_text() == titles[wrong_q.note]
    assert stored(page, "posenc.quiz.last")["missed"] == [wrong_q.id]
    shot(page, "quiz-scored")

    # the open questions: the reference answer behind a toggle
    first_open = page.locator(f"#q-{quiz.open_questions[0].id}")
    assert first_open.locator(".reference-body").is_hidden()
    first_open.locator("summary").click()
    assert first_open.locator(".reference-body").is_visible()
    assert "Position interpolation (PI)" in first_open.locator(".reference-body").inner_text()

    # retry starts again; the link leads to the note
    page.locator("#quiz-retry").click()
    assert page.locator("#quiz-result").is_hidden()
    assert page.locator("#quiz-status").inner_text() == f"0 of {total} answered, 0 right"
    assert not box.locator("button.choice").first.is_disabled()
    assert "Your last finished attempt" in page.locator("#quiz-last").inner_text()
    page.goto(page.lab + f"/notes/{wrong_q.note}")
    assert page.locator("article.note h1").inner_text() == titles[wrong_q.note]


def test_quiz_completion_check_ticks_are_kept_in_the_browser(page):
    page.goto(page.lab + "/quiz")
    page.locator('#completion-check input[data-check="2"]').check()
    page.reload()
    assert page.locator('#completion-check input[data-check="2"]').is_checked()
    assert not page.locator('#completion-check input[data-check="1"]').is_checked()
    assert stored(page, "posenc.quiz.checks") == ["2"]


# --------------------------------------------------------------------------------------------------
# grill
# --------------------------------------------------------------------------------------------------


def test_grill_one_section_self_graded_counts_only_answered_questions_and_gives_no_band(page):
    grill = load_grill()
    titles = {t.id: t.title for t in load_notes_index()}
    section = grill.section("D")
    page.goto(page.lab + "/grill")
    page.locator('.chip[data-section="D"]').click()
    page.wait_for_url("**/grill?section=D")
    articles = page.locator(".grill-q")
    assert articles.count() == len(section.questions)
    assert page.locator("h2#h-D").inner_text() == f"D {section.title}"

    grades = [True, False, True]  # got it, missed, got it
    for k, got in enumerate(grades):
        article = articles.nth(k)
        assert article.locator(".model-answer").is_hidden()
        article.locator(".reveal").click()
        assert article.locator(".model-answer").is_visible()
        assert article.locator(".reveal").get_attribute("aria-expanded") == "true"
        article.locator(".got" if got else ".missed-button").click()

    answered, right = len(grades), sum(grades)
    assert (
        page.locator("#grill-score").inner_text() == f"Score: {right} of the {answered} questions you graded."
    )
    assert page.locator("#grill-coverage").inner_text() == (
        f"{answered} of {grill.total} answered; a band needs the full grill."
    )
    assert page.locator(".band:visible").count() == 0
    missed_q = section.questions[1]
    missed = page.locator("#grill-missed li:visible")
    assert missed.count() == 1 and missed.first.get_attribute("data-qid") == missed_q.id
    link = missed.first.locator("a.note-link")
    assert (
        link.get_attribute("href") == f"/notes/{missed_q.note}" and link.inner_text() == titles[missed_q.note]
    )
    assert (
        page.locator('.chip[data-section="D"] .count').inner_text() == f"{answered}/{len(section.questions)}"
    )
    assert stored(page, "posenc.grill.grades") == {
        q.id: got for q, got in zip(section.questions, grades, strict=False)
    }
    shot(page, "grill-section-d")

    # grades survive the filter: the whole grill shows the same score; clearing starts again
    page.goto(page.lab + "/grill")
    assert (
        page.locator("#grill-score").inner_text() == f"Score: {right} of the {answered} questions you graded."
    )
    page.locator("#grill-clear").click()
    assert page.locator("#grill-score").inner_text() == "No questions graded yet."
    assert stored(page, "posenc.grill.grades") == {}


def test_grill_full_run_gives_the_band_of_grill_yaml(page):
    grill = load_grill()
    got_count = 31
    band = next(b for b in grill.bands if b.min <= got_count <= b.max)  # read from the data file
    page.goto(page.lab + "/grill")
    articles = page.locator(".grill-q")
    assert articles.count() == grill.total
    for k in range(grill.total):
        article = articles.nth(k)
        article.locator(".reveal").click()
        article.locator(".got" if k < got_count else ".missed-button").click()
        if k == grill.total - 2:  # one short of the full grill: still no band
            assert page.locator(".band:visible").count() == 0
    assert (
        page.locator("#grill-score").inner_text()
        == f"Score: {got_count} of the {grill.total} questions you graded."
    )
    assert page.locator("#grill-coverage").inner_text() == f"All {grill.total} answered: your band is below."
    assert "needs all" not in page.locator("#grill-status").inner_text()  # the top line: the band is given
    shown = page.locator(".band:visible")
    assert shown.count() == 1
    assert f"Band: {band.label} ({band.min}–{band.max} of {grill.total})." in squash(shown.inner_text())
    assert page.locator("#grill-missed li:visible").count() == grill.total - got_count
    shot(page, "grill-full-band")
    page.evaluate("document.querySelector('header.top').style.position = 'static'")  # not over the element
    page.locator("#grill-summary").screenshot(path=str(SCREENSHOTS / "grill-full-band-summary.png"))


# --------------------------------------------------------------------------------------------------
# flashcards
# --------------------------------------------------------------------------------------------------


def current_card(page) -> str:
    return page.locator(".card.current").get_attribute("data-card")


def test_flashcard_flips_and_again_brings_it_back_later_and_the_browser_remembers(page):
    cards = load_cards()
    page.goto(page.lab + "/practice")
    assert page.locator(".card:visible").count() == 1 and current_card(page) == "1"
    card = page.locator("#card-1")
    assert plain(cards[0].front) in squash(card.locator(".front").inner_text())
    assert page.locator("#card-again").is_disabled()  # graded once the back has been seen
    shot(page, "flashcard-front")
    card.click()  # a click on the card flips it
    assert "flipped" in card.get_attribute("class")
    assert card.locator(".back").get_attribute("aria-hidden") == "false"
    back = squash(card.locator(".back").inner_text())
    assert all(piece.strip(" ,.;:") in back for piece in prose(cards[0].back))  # the words around its math
    assert card.locator(".back math").count() == cards[0].back.count("$") // 2
    page.wait_for_timeout(600)  # the flip animation, for the screenshot
    shot(page, "flashcard-back")

    page.locator("#card-again").click()
    assert stored(page, "posenc.cards.missed") == ["1"]
    order = []
    for _ in range(AGAIN_LATER):  # the next cards come first ...
        order.append(current_card(page))
        page.locator("#card-flip").click()
        page.locator("#card-got").click()
    assert order == [str(n) for n in range(2, 2 + AGAIN_LATER)]
    assert current_card(page) == "1"  # ... then card 1 again, later in the same session
    page.locator("#card-flip").click()
    page.locator("#card-got").click()
    assert stored(page, "posenc.cards.missed") == ["1"]  # it needed "again" in this session
    while page.locator(".card.current").count():
        page.locator("#card-flip").click()
        page.locator("#card-got").click()
    done = page.locator("#deck-done-text").inner_text()
    assert f"all {len(cards)} cards" in done and "(card 1)" in done
    for button in ("#card-flip", "#card-again", "#card-got"):  # no card left: nothing to press
        assert page.locator(button).is_disabled()

    # next visit: the card marked again comes first
    page.reload()
    assert current_card(page) == "1"
    assert "1 card you marked again last time comes first" in page.locator("#deck-status").inner_text()


def test_print_style_sheet_puts_one_flashcard_per_page(page):
    n_cards = len(load_cards())
    page.goto(page.lab + "/practice")
    page.evaluate("window.print = () => { window.printed = true; }")  # headless: record, do not open
    page.locator("#print-cards").click()
    assert page.evaluate("window.printed") is True

    page.emulate_media(media="print")
    style = page.evaluate(
        """() => [...document.querySelectorAll('#deck .card')].map((c) => {
             const s = getComputedStyle(c);
             return {display: s.display, before: s.breakBefore, after: s.breakAfter, inside: s.breakInside,
                     faces: [...c.querySelectorAll('.face')].map((f) => getComputedStyle(f).display)};
           })"""
    )
    assert len(style) == n_cards
    for k, s in enumerate(style):
        assert s["display"] != "none" and s["faces"] == ["block", "block"], (k, s)  # front and back together
        assert s["inside"] == "avoid", (k, s)
        assert s["before"] == ("page" if k else "auto"), (k, s)  # a new page before every card but the first
        assert s["after"] == "auto", (k, s)
    hidden = page.evaluate(
        """() => ['header.top', 'footer.next-footer', '#self-check', '#walkthrough', 'main > h1',
                  '#deck-status', '.deck-bar', '#deck-actions']
             .map((sel) => getComputedStyle(document.querySelector(sel)).display)"""
    )
    assert hidden == ["none"] * len(hidden)
    screenshot(page, "practice-print")

    pdf = page.pdf(format="A4")
    pages = len(re.findall(rb"/Type\s*/Page\b", pdf))
    assert pages == n_cards, f"{pages} printed pages for {n_cards} cards"
