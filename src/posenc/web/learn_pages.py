"""Pages: the home page (goals and the learning path) and the notes.

The notes are the same Markdown files ``posenc notes`` shows, with the library's numbers filled in
(:mod:`posenc.learn.numbers`); a number measured by the study links to the study page. A note's figure
markers (:mod:`posenc.learn.figures`) become the figures themselves (``templates/widgets/``), each the
same component as its tool page.

    GET /api/shuffle   the why-position note's demo: one word's attention output in a sentence and in the
                       words reordered, without position and with RoPE
                       (``posenc.experiments.exp1_why_position.shuffled_outputs``)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment
from markupsafe import Markup
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from posenc.learn.content import find_topic, load_notes_index
from posenc.learn.figures import FigureRef, figure_refs
from posenc.learn.path import load_goals, load_path
from posenc.web.core import Lab, memo_json, png_size
from posenc.web.markup import markdown_with_figures
from posenc.web.params import BadInput, query_integer, query_only

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


def figure_context(ref: FigureRef) -> dict:
    """What a picture's template needs besides its marker: a study plot's address and pixel size (so the
    page reserves its box before the picture loads)."""
    if ref.name != "study-plot":
        return {}
    from posenc.web.study_data import STUDY_RUNS, study_folder

    run = ref.params.get("run", "reference-full")
    name = ref.params.get("file", "")
    if not run.startswith("reference-") or run not in STUDY_RUNS:
        raise ValueError(f"study-plot: {run!r} is not a packaged reference run")
    size = png_size(study_folder(Path("."), STUDY_RUNS[run][0]) / f"{name}.png")
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
        Route("/api/shuffle", memo_json(shuffle, lab.answers)),
    ]
