"""Pages: the home page (goals, the learning path and your progress), the notes, and the progress routes.

The notes are the same Markdown files ``posenc notes`` shows, with the library's numbers filled in
(:mod:`posenc.learn.numbers`); a number measured by the study links to the study page. A note's figure
markers (:mod:`posenc.learn.figures`) become the figures themselves (``templates/widgets/``), each the
same component as its tool page.

The learner's progress is the file ``posenc progress`` reads and writes (:mod:`posenc.learn.progress`),
whatever port the lab runs on; the browser keeps at most a cache. Its routes (``static/progress.js``
calls them; the POSTs only from the lab's own pages, see :func:`posenc.web.session.local_post`):

    GET  /api/progress           what is done: path steps, quiz, grill grades and scores, exercises,
                                 cards
    POST /api/progress/step      {"key": "note:clock"}: a step done (a note read to its end, an experiment
                                 whose results exist, a tool used); the quiz, the grill and the exercises
                                 are recorded by their own routes, when answered, graded, passed
    POST /api/progress/quiz      {"answers": {"why-pe": "c", ...}}: every question answered; graded here
    POST /api/progress/grill     {"grades": {"D1": true, ...}}: all the grill's grades ({}: start again)
    POST /api/progress/forget    {"confirm": true}: forget everything (as ``posenc progress --reset``)

Each POST answers the progress as it now is (what GET answers). The why-position note's demo:

    GET  /api/shuffle            one word's attention output in a sentence and in the words reordered,
                                 without position and with RoPE
                                 (``posenc.experiments.exp1_why_position.shuffled_outputs``)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from posenc.learn import progress
from posenc.learn.content import LETTERS, find_topic, load_grill, load_notes_index, load_quiz
from posenc.learn.figures import FigureRef, figure_refs
from posenc.learn.path import load_goals, load_path
from posenc.learn.quiz import grade
from posenc.web.core import Lab, memo_json, png_size
from posenc.web.markup import markdown_with_figures
from posenc.web.params import BadInput, body_object, parse_json_body, query_integer, query_only
from posenc.web.session import escaped_json, local_post

#: path steps recorded by their own routes, when done: not by POST /api/progress/step
RECORDED_ELSEWHERE = {
    "quiz": "the quiz counts as done when it is answered (POST /api/progress/quiz)",
    "grill": "the grill counts as done when every question is graded (POST /api/progress/grill)",
    "exercises": "the exercises count as done when one passes its check (POST /api/exercises/NAME/check)",
}

KIND_LABELS = {
    "note": "Read",
    "experiment": "Run",
    "playground": "Try",
    "explorer": "Try",
    "angles": "Try",
    "models": "Try",
    "practice": "Practise",
    "inspector": "Try",
    "exercises": "Practise",
    "quiz": "Test",
    "grill": "Test",
    "study": "Challenge",
}


def _study_link(name: str, value: str) -> str:
    """A number the study measured links to the study page (a Markdown link; tables stay as they are)."""
    if name.startswith("study_") and "\n" not in value and not name.endswith(("_table", "_setup")):
        return f"[{value}](/study#measured)"
    return value


@dataclass(frozen=True)
class NoteBody:
    """A note's HTML and what its page loads for it."""

    html: Markup
    widgets: tuple[str, ...]  # the components its figures use (each a script static/widgets/NAME.js)


def _figure_keys(refs: list[FigureRef]) -> list[str]:
    """Each figure's key on its page (its URL state's prefix): its name, then name2, name3, …"""
    seen: dict[str, int] = {}
    keys = []
    for ref in refs:
        seen[ref.name] = seen.get(ref.name, 0) + 1
        keys.append(ref.name if seen[ref.name] == 1 else f"{ref.name}{seen[ref.name]}")
    return keys


@functools.cache
def note_html(topic_id: str, env: Environment) -> NoteBody:
    """A note's HTML with its figures, built once per process (the content does not change while the lab
    runs); ``env`` renders the figures (``templates/widgets/figure.html``)."""
    from posenc.learn.numbers import render

    topic = find_topic(topic_id)
    where = f"notes/{topic.path.name}"
    text = render(topic.markdown(render=False), where, decorate=_study_link)
    refs = figure_refs(text, where)
    keys = _figure_keys(refs)
    template = env.get_template("widgets/figure.html")

    def figure(ref: FigureRef, k: int) -> str:
        return template.render(ref=ref, key=keys[k], figure=ref.figure, extra=figure_context(ref))

    widgets = tuple(dict.fromkeys(ref.name for ref in refs if ref.figure.widget))
    return NoteBody(markdown_with_figures(text, figure, where), widgets)


def render_notes(env: Environment) -> None:
    """Build every note's HTML now (the lab's warm-up, off the request path): rendering one note's
    Markdown, MathML and figures takes 0.2-0.5 s of a loaded core, which a learner's first visit to
    it would otherwise wait for."""
    for topic in load_notes_index():
        note_html(topic.id, env)


def figure_context(ref: FigureRef) -> dict:
    """What a picture's template needs besides its marker: a study plot's address and pixel size (so the
    page reserves its box before the picture loads); the worked example's chart (own_example_chart)."""
    if ref.name == "own-example":
        from posenc.web.own_example_chart import own_example_chart

        return own_example_chart()
    if ref.name != "study-plot":
        return {}
    from posenc.study.runs import STUDY_FOLDERS

    run = ref.params.get("run", "reference-full")
    name = ref.params.get("file", "")
    if not run.startswith("reference-") or run not in STUDY_FOLDERS:
        raise ValueError(f"study-plot: {run!r} is not a packaged reference run")
    size = png_size(STUDY_FOLDERS[run].path(Path(".")) / f"{name}.png")
    if size is None:
        raise ValueError(f"study-plot: the reference run {run!r} has no plot {name!r}")
    width, height = size
    return {
        "src": f"/study/files/{run}/{name}.svg",
        "png": f"/study/files/{run}/{name}.png",
        "width": width,
        "height": height,
    }


SHUFFLE_SENTENCE = "the dog bit the man"
MAX_WORDS = 10  # a sentence short enough to read at a glance (the layer itself takes any length)
MAX_WORD = 24


def shuffle(params: QueryParams) -> dict:
    """The why-position demo: ``sentence`` (words split on spaces), ``order`` (a permutation of the word
    indices, comma-separated; default: unchanged) and ``token`` (the word to follow), through
    ``exp1_why_position.shuffled_outputs``."""
    query_only(params, ("sentence", "order", "token"))
    words = params.get("sentence", SHUFFLE_SENTENCE).lower().split()
    if not 2 <= len(words) <= MAX_WORDS:
        raise BadInput(f"sentence must have 2 … {MAX_WORDS} words, got {len(words)}")
    if any(len(word) > MAX_WORD for word in words):
        raise BadInput(f"a word of sentence is longer than {MAX_WORD} characters")
    raw = params.get("order")
    if raw is None:
        order = list(range(len(words)))
    else:
        try:
            order = [int(x) for x in raw.split(",")]
        except ValueError:
            raise BadInput(f"order must be word indices separated by commas, got {raw[:40]!r}") from None
        if sorted(order) != list(range(len(words))):
            raise BadInput(f"order must be a permutation of 0 … {len(words) - 1}, got {raw[:40]!r}")
    token = query_integer(params, "token", 1, low=0, high=len(words) - 1)

    from posenc.experiments.exp1_why_position import shuffled_outputs

    return shuffled_outputs(words, order, token)


def progress_view(lab: Lab, data: dict[str, Any]) -> dict[str, Any]:
    """What the pages read of the progress file: the steps done (those on the path, in its order)."""
    keys = [s.key for s in load_path()]
    done = set(data["steps"])
    return {
        "file": str(lab.progress_file),
        "steps": [key for key in keys if key in done],
        "total": len(keys),
        "last_step": data["last_step"],
        "quiz": data["quiz"],
        "grill": data["grill"],
        "exercises": data["exercises"],
        "cards": data["cards"],
    }


def _step_key(lab: Lab, data: Any) -> str:
    key = body_object(data, {"key"}, '{"key": "note:clock"}').get("key")
    keys = {s.key: s for s in load_path()}
    if not isinstance(key, str) or key not in keys:
        raise BadInput(f"key must be a step of the learning path (such as note:clock), got {str(key)[:40]!r}")
    if key in RECORDED_ELSEWHERE:
        raise BadInput(RECORDED_ELSEWHERE[key])
    step = keys[key]
    if step.kind == "experiment" and not (lab.experiment_dir(step.id) / "results.json").is_file():
        raise HTTPException(409, f"experiment {step.id} has no results yet: run it, then it counts as done")
    return key


def _quiz_answers(data: Any) -> tuple[int, int, list[str]]:
    answers = body_object(data, {"answers"}, '{"answers": {"why-pe": "c", ...}}').get("answers")
    mcq = load_quiz().mcq
    if not isinstance(answers, dict):
        raise BadInput("answers must be an object: question id -> the letter chosen")
    unknown = sorted(set(answers) - {q.id for q in mcq})
    if unknown:
        raise BadInput(f"no quiz question {unknown[0][:40]!r}")
    missing = [q.id for q in mcq if q.id not in answers]
    if missing:
        raise BadInput(f"answer every question first: {missing[0]} has no answer")
    for qid, letter in answers.items():
        if letter not in LETTERS[:4]:
            raise BadInput(f"the answer to {qid} must be one of a, b, c, d, got {str(letter)[:10]!r}")
    return grade([(q, answers[q.id]) for q in mcq])


def _grill_grades(data: Any) -> dict[str, bool]:
    grades = body_object(data, {"grades"}, '{"grades": {"D1": true, "D2": false}}').get("grades")
    if not isinstance(grades, dict) or not all(isinstance(v, bool) for v in grades.values()):
        raise BadInput("grades must be an object: question id -> true (got it) or false (missed)")
    known = {q.id for s in load_grill().sections for q in s.questions}
    unknown = sorted(set(grades) - known)
    if unknown:
        raise BadInput(f"no grill question {unknown[0][:40]!r}")
    return grades


def routes(lab: Lab) -> list[BaseRoute]:
    async def posted(request: Request) -> Any:
        local_post(request, lab.token)
        return parse_json_body(await request.body())

    async def answer(change=None, *args) -> Any:
        data = await run_in_threadpool(lab.progress, change, *args)
        return escaped_json(progress_view(lab, data))

    async def get_progress(request: Request):
        return await answer()

    async def post_step(request: Request):
        return await answer(progress.record_step, _step_key(lab, await posted(request)))

    async def post_quiz(request: Request):
        return await answer(progress.record_quiz, *_quiz_answers(await posted(request)))

    async def post_grill(request: Request):
        return await answer(progress.record_grill_grades, _grill_grades(await posted(request)))

    async def post_forget(request: Request):
        body = body_object(await posted(request), {"confirm"}, '{"confirm": true}')
        if body.get("confirm") is not True:
            raise BadInput('forgetting everything needs {"confirm": true}')
        return await answer(progress.forget)

    def home(request: Request):
        return lab.page(
            request,
            "home.html",
            key=None,
            title="The learning path",
            goals=load_goals(),
            steps=load_path(),
            kind_labels=KIND_LABELS,
            progress_file=lab.progress_file,
        )

    def notes_index(request: Request):
        steps = {s.key: s for s in load_path()}
        topics = [(steps[f"note:{t.id}"], t) for t in load_notes_index()]  # numbered by the path's steps
        return lab.page(request, "notes_index.html", key=None, title="Notes", topics=topics)

    def note(request: Request):
        topics = load_notes_index()
        name = request.path_params["topic"]
        matches = [t for t in topics if t.id == name]
        if not matches:
            raise HTTPException(404, f"no note {name!r}; the notes are: {', '.join(t.id for t in topics)}")
        topic = matches[0]
        key = f"note:{topic.id}"
        steps = load_path()
        here = next(s for s in steps if s.key == key)
        earlier = [s for s in steps if s.kind == "note" and s.number < here.number]
        return lab.page(
            request,
            "note.html",
            key=key,
            title=topic.title,
            topic=topic,
            step=here,
            steps=len(steps),
            body=note_html(topic.id, lab.templates.env),
            previous_note=earlier[-1] if earlier else None,
        )

    return [
        Route("/", home),
        Route("/notes", notes_index),
        Route("/notes/{topic}", note),
        Route("/api/progress", get_progress),
        Route("/api/progress/step", post_step, methods=["POST"]),
        Route("/api/progress/quiz", post_quiz, methods=["POST"]),
        Route("/api/progress/grill", post_grill, methods=["POST"]),
        Route("/api/progress/forget", post_forget, methods=["POST"]),
        Route("/api/shuffle", memo_json(shuffle, lab.answers)),
    ]
