"""Pages: the home page (goals, the learning path and your progress), the notes, and the progress routes.

The notes are the same Markdown files ``posenc notes`` shows, with the library's numbers filled in
(:mod:`posenc.learn.numbers`); a number measured by the study links to the study page.

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

Each POST answers the progress as it now is (what GET answers).
"""

from __future__ import annotations

import functools
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from posenc.learn import progress
from posenc.learn.content import LETTERS, find_topic, load_grill, load_notes_index, load_quiz
from posenc.learn.path import load_goals, load_path
from posenc.learn.quiz import grade
from posenc.web.core import Lab
from posenc.web.markup import markdown_html
from posenc.web.params import BadInput, body_object, parse_json_body
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


@functools.cache
def note_html(topic_id: str):
    """A note's HTML, built once per process (the content does not change while the lab runs)."""
    from posenc.learn.numbers import render

    topic = find_topic(topic_id)
    text = render(topic.markdown(render=False), f"notes/{topic.path.name}", decorate=_study_link)
    return markdown_html(text)


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
        return lab.page(request, "notes_index.html", key=None, title="Notes", topics=load_notes_index())

    def note(request: Request):
        topics = load_notes_index()
        name = request.path_params["topic"]
        matches = [t for t in topics if t.id == name]
        if not matches:
            raise HTTPException(404, f"no note {name!r}; the notes are: {', '.join(t.id for t in topics)}")
        topic = matches[0]
        i = topic.number - 1
        return lab.page(
            request,
            "note.html",
            key=f"note:{topic.id}",
            title=topic.title,
            topic=topic,
            count=len(topics),
            body=note_html(topic.id),
            prev=topics[i - 1] if i > 0 else None,
            following=topics[i + 1] if i + 1 < len(topics) else None,
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
    ]
