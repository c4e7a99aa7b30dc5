"""Page: the exercises (``posenc exercise``) — what to write, and the exact commands to start, check and
see the solution.

    GET /exercises      every exercise: its signature and docstring (shapes, formula), the note that
                        teaches it, and the commands

The lab shows the exercises; it does not run the learner's code (nothing is uploaded): the checker
runs in the learner's terminal, ``posenc exercise check FILE``, on their own machine.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from posenc.exercises.catalog import EXERCISES
from posenc.exercises.template import signature
from posenc.learn.content import load_notes_index
from posenc.web.core import Lab


def _rows() -> list[dict]:
    titles = {t.id: t.title for t in load_notes_index()}
    rows = []
    for e in EXERCISES.values():
        file = f"{e.function}.py"
        rows.append(
            {
                "name": e.name,
                "title": e.title,
                "summary": e.summary,
                "signature": signature(e.solution(), e.function),
                "template": e.template(),
                "note": e.note,
                "note_title": titles.get(e.note, e.note),
                "commands": [
                    ("write the file", f"posenc exercise start {e.name}"),
                    ("check it", f"posenc exercise check {file}"),
                    ("see the solution", f"posenc exercise solution {e.name}"),
                ],
            }
        )
    return rows


def routes(lab: Lab) -> list[BaseRoute]:
    def exercises(request: Request):
        return lab.page(request, "exercises.html", key="exercises", title="Exercises", exercises=_rows())

    return [Route("/exercises", exercises)]
