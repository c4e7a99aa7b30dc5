"""Pages: the quiz, the interview grill, and practice (self-check, 2D walk-through, flashcards).

They render the same data files as ``posenc quiz``, ``posenc grill`` and ``posenc cards``
(``learn/data/quiz.yaml``, ``grill.yaml``, ``practice.yaml``, ``cards.yaml``, through the loaders of
:mod:`posenc.learn.content`): every question, answer, explanation and band is in the page's HTML,
and a small script per page (``static/quiz.js``, ``grill.js``, ``practice.js``) only shows, hides and
counts. A finished quiz (graded by the lab) and the grill's grades are recorded in the learner's progress
file, the one ``posenc progress`` shows (``/api/progress/quiz`` and ``/grill``, in learn_pages.py);
the browser keeps a copy as a cache, and the flashcards marked "again" and the completion-check ticks.

    GET /quiz                 five questions, one click each, every option explained; the open questions
    GET /grill?section=D      the 45-question grill (or some sections: ``D`` or ``D,E``), self-graded
    GET /practice             self-check, the walk-through, flashcards (with a one-card-per-page print)
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from posenc.learn.cards import number
from posenc.learn.content import (
    LETTERS,
    Grill,
    GrillSection,
    load_cards,
    load_grill,
    load_notes_index,
    load_practice,
    load_quiz,
)
from posenc.web.core import Lab
from posenc.web.params import BadInput

#: "Again" puts a flashcard back this many cards later in the session (practice.js reads it from the page)
AGAIN_LATER = 3


def _note_titles() -> dict[str, str]:
    """topic id -> title, for the "the note that teaches this" links."""
    return {t.id: t.title for t in load_notes_index()}


def chosen_sections(grill: Grill, raw: str | None) -> tuple[GrillSection, ...]:
    """The sections named by ``?section=`` (``D`` or ``D,E``, any case); every section when absent.

    An unknown letter raises :class:`BadInput` (answered 400) naming the sections there are."""
    if raw is None or not raw.strip():
        return grill.sections
    try:
        sections = grill.named_sections(raw)
    except ValueError as err:
        raise BadInput(f"section: {err}") from None
    if not sections:
        raise BadInput(f"section: give section letters A–J (such as D or D,E), got {raw!r}")
    return sections


def walkthrough_rows() -> dict:
    """The walk-through's two parts as table rows, numbers written as ``posenc cards`` writes them."""
    w = load_practice().walkthrough

    def pair(v: tuple[float, float]) -> str:
        return f"({number(v[0], w.decimals)}, {number(v[1], w.decimals)})"

    return {
        "q": pair(w.q),
        "part_one": [
            {"position": s.position, "angle": s.angle, "answer": pair(s.answer)} for s in w.part_one
        ],
        "part_two": [
            {"m": p.m, "n": p.n, "dot": number(p.dot, w.decimals), "why": p.why} for p in w.part_two
        ],
    }


def routes(lab: Lab) -> list[BaseRoute]:
    def quiz(request: Request):
        return lab.page(
            request,
            "quiz.html",
            key="quiz",
            title="Quiz",
            quiz=load_quiz(),
            letters=LETTERS,
            notes=_note_titles(),
        )

    def grill(request: Request):
        g = load_grill()
        sections = chosen_sections(g, request.query_params.get("section"))
        filtered = len(sections) < len(g.sections)
        data = {
            "total": g.total,
            "sections": {s.id: [q.id for q in s.questions] for s in g.sections},
        }
        title = "Interview grill"
        if filtered:
            title += ": " + ", ".join(f"{s.id} {s.title}" for s in sections)
        return lab.page(
            request,
            "grill.html",
            key="grill",
            title=title,
            grill=g,
            sections=sections,
            shown=[s.id for s in sections],
            filtered=filtered,
            asked=sum(len(s.questions) for s in sections),
            grill_data=data,
            notes=_note_titles(),
        )

    def practice(request: Request):
        return lab.page(
            request,
            "practice.html",
            key="practice",
            title="Practice",
            practice=load_practice(),
            walk=walkthrough_rows(),
            cards=load_cards(),
            again_later=AGAIN_LATER,
        )

    return [
        Route("/quiz", quiz),
        Route("/grill", grill),
        Route("/practice", practice),
    ]
