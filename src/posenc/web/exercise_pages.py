"""Pages: the exercises (``posenc exercise``): what to write, an editor to write it in, and the checker.

    GET  /exercises                    every exercise: its signature and docstring (shapes, formula), the
                                       note that teaches it, the terminal commands, a link to its editor
    GET  /exercises/{name}             one exercise in a code editor (CodeMirror, shipped in
                                       static/vendor/), its starting file loaded, a "Check" button
    POST /api/exercises/{name}/check   {"code": "..."}: the code checked by the same checker as
                                       ``posenc exercise check`` (posenc.exercises.check.check_file, its
                                       time and memory limits), answered case by case with the same
                                       hints and report; the result is recorded in the progress file

Running code is a local privilege: the check route answers only a same-origin JSON POST that carries
the session's token (:func:`posenc.web.session.local_post`), one check at a time, in a thread of its
own (never on the event loop); the code is written to a temporary folder, checked there in the
checker's worker processes, and removed. The answer is JSON with ``<``, ``>`` and ``&`` escaped
(:func:`posenc.web.session.escaped_json`): what the learner wrote or printed never comes back as markup.
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from posenc.exercises.catalog import EXERCISES, Exercise
from posenc.exercises.template import TODO, signature
from posenc.learn import progress
from posenc.learn.content import load_notes_index
from posenc.web.core import Lab
from posenc.web.params import BadInput, body_object, parse_json_body
from posenc.web.session import escaped_json, local_post

#: the largest file the lab checks (UTF-8 bytes): a solution is 1-3 kB
MAX_CODE = 64 * 1024
#: the body of the starting file in the lab (the terminal's says which command to run)
LAB_TODO = '    raise NotImplementedError("write this function, then press Check")\n'
#: checks run here, one at a time, off the event loop (each starts the checker's worker processes)
CHECKS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="posenc-exercise-check")
_one_check = threading.Semaphore(1)


def _commands(e: Exercise) -> list[tuple[str, str]]:
    return [
        ("write the file", f"posenc exercise start {e.name}"),
        ("check it", f"posenc exercise check {e.function}.py"),
        ("see the solution", f"posenc exercise solution {e.name}"),
    ]


def _row(e: Exercise, titles: dict[str, str]) -> dict[str, Any]:
    return {
        "name": e.name,
        "title": e.title,
        "summary": e.summary,
        "function": e.function,
        "signature": signature(e.solution(), e.function),
        "template": e.template(),
        "note": e.note,
        "note_title": titles.get(e.note, e.note),
        "commands": _commands(e),
    }


def _rows() -> list[dict]:
    titles = {t.id: t.title for t in load_notes_index()}
    return [_row(e, titles) for e in EXERCISES.values()]


def lab_template(e: Exercise) -> str:
    """The starting file as the lab's editor holds it: ``posenc exercise start``'s file, whose body says
    to press Check instead of naming a terminal command."""
    return e.template().replace(TODO.format(file="THIS_FILE"), LAB_TODO)


def _code(data: Any) -> str:
    code = body_object(data, {"code"}, '{"code": "def rope_frequencies(...): ..."}').get("code")
    if not isinstance(code, str):
        raise BadInput("code must be a string: the Python file to check")
    if not code.strip():
        raise BadInput("code is empty: write the function first")
    try:
        size = len(code.encode("utf-8"))
    except UnicodeEncodeError as err:
        raise BadInput(f"code holds a character UTF-8 cannot encode (at {err.start})") from None
    if size > MAX_CODE:
        raise BadInput(f"code is {size:,} bytes; the lab checks files of at most {MAX_CODE:,} bytes")
    return code


def check_code(e: Exercise, code: str) -> dict[str, Any]:
    """Check ``code`` as the learner's file for ``e`` with the terminal's checker (its default time and
    memory limits), in a temporary folder; the report as JSON-ready data."""
    from posenc.exercises.check import check_file, render

    with tempfile.TemporaryDirectory(prefix="posenc-lab-exercise-") as folder:
        path = Path(folder) / f"{e.function}.py"
        path.write_text(code, encoding="utf-8")
        report = check_file(path, e)
        text = render(report, path.name)
    lines = text.rstrip("\n").splitlines()
    while lines and lines[-1].startswith("Next:"):  # the terminal's next command; the page says its own
        lines.pop()
    passed = sum(r.passed for r in report.results)
    return {
        "exercise": e.name,
        "passed": report.passed,
        "score": passed,
        "of": len(e.cases),
        "problem": report.problem,
        "cases": [
            {
                "number": r.number,
                "label": r.case.label,
                "passed": r.passed,
                "lines": list(r.lines),
                "hints": [e.hints[key] for key in r.hints if key in e.hints],
            }
            for r in report.results
        ],
        "hints": [e.hints[key] for key in report.hints if key in e.hints],
        "printed": report.printed[:20],
        "report": "\n".join(lines) + "\n",
    }


def _find(name: str) -> Exercise:
    if name not in EXERCISES:
        raise HTTPException(404, f"no exercise {name!r}; the exercises are: {', '.join(EXERCISES)}")
    return EXERCISES[name]


def routes(lab: Lab) -> list[BaseRoute]:
    def exercises(request: Request):
        return lab.page(request, "exercises.html", key="exercises", title="Exercises", exercises=_rows())

    def exercise(request: Request):
        e = _find(request.path_params["name"])
        titles = {t.id: t.title for t in load_notes_index()}
        names = list(EXERCISES)
        here = names.index(e.name)
        return lab.page(
            request,
            "exercise.html",
            key="exercises",
            title=f"Exercise: {e.title}",
            e=_row(e, titles),
            start=lab_template(e),
            number=here + 1,
            count=len(names),
            following=EXERCISES[names[here + 1]] if here + 1 < len(names) else None,
        )

    async def check(request: Request):
        local_post(request, lab.token)
        e = _find(request.path_params["name"])
        code = _code(parse_json_body(await request.body()))
        if not _one_check.acquire(blocking=False):
            raise HTTPException(409, "a check is already running; its result comes first, then try again")

        def check_and_record() -> dict[str, Any]:
            result = check_code(e, code)
            lab.progress(progress.record_exercise, e.name, result["passed"], result["score"], result["of"])
            return result

        try:
            job = asyncio.get_running_loop().run_in_executor(CHECKS, check_and_record)
        except BaseException:
            _one_check.release()
            raise
        job.add_done_callback(lambda _: _one_check.release())  # when the checker is done, even if we left
        return escaped_json(await asyncio.shield(job))

    return [
        Route("/exercises", exercises),
        Route("/exercises/{name}", exercise),
        Route("/api/exercises/{name}/check", check, methods=["POST"]),
    ]
