"""Pages: the home page (goals and the learning path) and the notes.

The notes are the same Markdown files ``posenc notes`` shows, with the library's numbers filled in
(:mod:`posenc.learn.numbers`); a number measured by the study links to the study page.
"""

from __future__ import annotations

import functools

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from posenc.learn.content import find_topic, load_notes_index
from posenc.learn.path import load_goals, load_path
from posenc.web.core import Lab
from posenc.web.markup import markdown_html

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


def routes(lab: Lab) -> list[BaseRoute]:
    def home(request: Request):
        return lab.page(
            request,
            "home.html",
            key=None,
            title="The learning path",
            goals=load_goals(),
            steps=load_path(),
            kind_labels=KIND_LABELS,
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
    ]
