"""`posenc progress`: where you stand — the learning-path steps done, the last quiz, the grill's grades and
last score per section, the exercises passed, the cards you marked "again" — kept in one small JSON
file on this computer, the one store of the terminal and the web lab alike.

The file is ``$XDG_DATA_HOME/posenc/progress.json`` (``~/.local/share/posenc/progress.json`` when
``XDG_DATA_HOME`` is unset or not an absolute path, as the XDG spec says). ``posenc quiz``,
``grill``, ``cards``, ``notes TOPIC`` and ``exp NAME`` update it, and so does ``posenc lab`` (a note
read to its end, an experiment run, the quiz answered, a grill grade, an exercise checked), whatever its
port: the browser keeps at most a cache. Its layout::

    {
      "format": "posenc-progress/1",
      "last_step": "note:clock",                    # the latest learning-path step taken here
      "steps": ["note:why-position", "quiz"],       # the path steps done (a note read to its end, …)
      "quiz": {"score": 4, "asked": 5, "missed": ["frequencies"], "when": "2026-12-01T10:00Z"},
      "grill": {
        "sections": {"D": {"score": 3, "asked": 8, "missed": ["D2", "D5"], "when": "…"}, …},
        "full": {"score": 38, "of": 45, "band": "Strong", "when": "…"},  # the last full run only
        "grades": {"D1": true, "D2": false, …}       # the latest grade of each question (got it?)
      },
      "exercises": {"rope-frequencies": {"passed": true, "score": 9, "of": 9, "when": "…"}, …},
      "cards": {"flashcards": {"missed": [3, 7], "when": "…"}, …}       # card numbers, 1-based
    }

``steps``, ``grill.grades`` and ``exercises`` may be absent (files written before they existed).

Every write is atomic (:func:`posenc.atomic.atomic_write_text`): a crash leaves the old file or
the new one. A file that cannot be read as this layout is reported, moved aside to
``progress.json.corrupt-<time>`` and replaced by a fresh one; a file that cannot be written is
reported. Neither ever stops a quiz or a grill.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from posenc.atomic import atomic_write_text
from posenc.results.schema import (
    MAX_BYTES,
    Bool,
    Const,
    Int,
    List,
    Map,
    Obj,
    Opt,
    SchemaError,
    Str,
    parse_json,
    validate,
)

FORMAT = "posenc-progress/1"
FILE_NAME = "progress.json"
#: a grill section answered below this fraction is the one `posenc progress` sends you back to
WEAK = 0.6

Warn = Callable[[str], None]


def _warn(message: str) -> None:
    print(f"posenc: {message}", file=sys.stderr)


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_DATA_HOME/posenc``, or ``~/.local/share/posenc`` (a relative XDG_DATA_HOME is ignored)."""
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_DATA_HOME", "")
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".local" / "share"
    return root / "posenc"


def progress_file(environ: Mapping[str, str] | None = None) -> Path:
    return data_dir(environ) / FILE_NAME


def now() -> str:
    """The time of a record, UTC to the minute: ``2026-12-01T10:00Z``."""
    return time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime())


def empty() -> dict[str, Any]:
    return {
        "format": FORMAT,
        "last_step": None,
        "steps": [],
        "quiz": None,
        "grill": {"sections": {}, "full": None, "grades": {}},
        "exercises": {},
        "cards": {},
    }


# --------------------------------------------------------------------------------------------------
# the layout, checked: anything else is a corrupt file
# --------------------------------------------------------------------------------------------------


def _not_above_asked(entry: dict) -> tuple[str, str] | None:
    if entry["score"] > entry["asked"]:
        return "score", f"is {entry['score']}, more than the {entry['asked']} questions asked"
    return None


_WHEN = {"when": Opt(Str(max_len=64))}
#: one quiz or grill section: score of asked, the question ids missed (``missed``/``when`` may be absent)
_SCORE = Obj(
    {"score": Int(), "asked": Int()},
    optional={"missed": List(Str(max_len=200)), **_WHEN},
    rule=_not_above_asked,
)
#: the layout above, checked by :func:`posenc.results.schema.validate` (finite numbers, bounded depth)
SCHEMA = Obj(
    {"format": Const(FORMAT)},
    optional={
        "last_step": Opt(Str(max_len=200)),
        "steps": List(Str(max_len=200)),
        "quiz": Opt(_SCORE),
        "grill": Obj(
            {},
            optional={
                "sections": Map(_SCORE),
                "full": Opt(
                    Obj({"score": Int(), "band": Str(max_len=200)}, optional={"of": Opt(Int()), **_WHEN})
                ),
                "grades": Map(Bool()),
            },
        ),
        "exercises": Map(Obj({"passed": Bool(), "score": Int(), "of": Int()}, optional=_WHEN)),
        "cards": Map(Obj({"missed": List(Int(min=1))}, optional=_WHEN)),
    },
)


def problem(data: Any) -> str | None:
    """What is wrong with ``data`` as a progress file (the field and the problem), or None when it has
    the layout above."""
    try:
        validate(data, SCHEMA, FILE_NAME)
    except SchemaError as err:
        return f"{err.field} {err.problem}"
    return None


# --------------------------------------------------------------------------------------------------
# reading and writing
# --------------------------------------------------------------------------------------------------


def _set_aside(file: Path) -> Path:
    """Rename ``file`` to ``file.corrupt-<UTC time>`` (a free name) and return the new path."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    target = file.with_name(f"{file.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        target = file.with_name(f"{file.name}.corrupt-{stamp}-{n}")
        n += 1
    os.replace(file, target)
    return target


def load(file: Path | None = None, warn: Warn = _warn) -> dict[str, Any]:
    """The progress in ``file`` (default :func:`progress_file`); a fresh record when there is none.

    A file that is not this layout (not JSON, not UTF-8, a wrong shape) is reported through ``warn``
    and moved aside; a file that cannot be read (permissions) is reported and left alone."""
    file = progress_file() if file is None else file
    try:
        with open(file, "rb") as f:
            raw = f.read(MAX_BYTES + 1)  # bounded: a progress file is a few kB
    except FileNotFoundError:
        return empty()
    except OSError as err:
        warn(f"cannot read your progress file {file} ({err.strerror or err}); progress is not shown")
        return empty()
    try:
        if len(raw) > MAX_BYTES:
            raise SchemaError(str(file), None, f"is larger than {MAX_BYTES >> 20} MiB")
        data = parse_json(raw, file)  # UTF-8, strict JSON: no NaN, no 1e999, bounded nesting
        why = problem(data)
    except SchemaError as err:
        why = err.problem.removeprefix("is ")
    if why is None:
        return {
            **empty(),
            **data,
            "grill": {"sections": {}, "full": None, "grades": {}, **data.get("grill", {})},
        }
    try:
        moved = f"moved it to {_set_aside(file)}"
    except OSError as err:
        moved = f"could not move it aside ({err.strerror or err})"
    warn(f"your progress file {file} could not be read ({why}); {moved} and started afresh")
    return empty()


def save(data: dict[str, Any], file: Path | None = None, warn: Warn = _warn) -> bool:
    """Write ``data`` to ``file`` atomically; a failure is reported through ``warn``, never raised."""
    file = progress_file() if file is None else file
    try:
        atomic_write_text(file, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    except OSError as err:
        warn(f"could not save your progress to {file} ({err.strerror or err})")
        return False
    return True


def update(change: Callable[[dict[str, Any]], None], file: Path | None = None, warn: Warn = _warn) -> dict:
    """Load, apply ``change`` (which edits the dict in place), save; returns the new progress."""
    data = load(file, warn)
    change(data)
    save(data, file, warn)
    return data


def _done(data: dict, key: str) -> None:
    """Mark the path step ``key`` done (and the latest step taken)."""
    if key not in data["steps"]:
        data["steps"] = [*data["steps"], key]
    data["last_step"] = key


def record_step(key: str, file: Path | None = None) -> dict:
    """The learner finished the path step ``key`` (``"note:clock"``: the note read to its end;
    ``"experiment:3"``: the experiment run): it counts as done and is the latest step taken."""
    return update(lambda data: _done(data, key), file)


def record_quiz(score: int, asked: int, missed: list[str], file: Path | None = None) -> dict:
    entry = {"score": score, "asked": asked, "missed": list(missed), "when": now()}

    def change(data: dict) -> None:
        data["quiz"] = entry
        _done(data, "quiz")

    return update(change, file)


def record_grill(
    sections: dict[str, tuple[int, int, list[str]]],
    full: tuple[int, int, str] | None,
    file: Path | None = None,
    grades: dict[str, bool] | None = None,
) -> dict:
    """``sections``: letter -> (score, asked, missed ids) for each section asked in this run; ``full``:
    (score, of, band label) when the whole grill was graded; ``grades``: question id -> got it, for the
    questions graded in this run (the lab shows them). A full grill counts as the path step done."""
    when = now()

    def change(data: dict) -> None:
        grill = data["grill"]
        for letter, (score, asked, missed) in sections.items():
            grill["sections"][letter] = {"score": score, "asked": asked, "missed": list(missed), "when": when}
        if full is not None:
            grill["full"] = {"score": full[0], "of": full[1], "band": full[2], "when": when}
            _done(data, "grill")
        grill["grades"] = {**grill["grades"], **(grades or {})}
        data["last_step"] = "grill"

    return update(change, file)


def record_grill_grades(grades: dict[str, bool], file: Path | None = None) -> dict:
    """The lab's grill: ``grades`` (question id -> got it) replace the kept ones; each section's last
    score and the full grill's band follow from them (a band only when every question is graded), as
    ``posenc grill`` would record them. No grades at all: the grill starts again (scores forgotten)."""
    from posenc.learn.content import load_grill

    grill = load_grill()
    known = {q.id: q for s in grill.sections for q in s.questions}
    unknown = sorted(set(grades) - set(known))
    if unknown:
        raise ValueError(f"no grill question {unknown[0]!r}")
    when = now()

    def change(data: dict) -> None:
        if not grades:
            data["grill"] = {"sections": {}, "full": None, "grades": {}}
            return
        kept = data["grill"]
        kept["grades"] = dict(grades)
        for section in grill.sections:
            graded = [(q.id, grades[q.id]) for q in section.questions if q.id in grades]
            if graded:
                missed = [qid for qid, got in graded if not got]
                score = len(graded) - len(missed)
                kept["sections"][section.id] = {
                    "score": score,
                    "asked": len(graded),
                    "missed": missed,
                    "when": when,
                }
        if len(grades) == grill.total:
            score = sum(grades.values())
            kept["full"] = {"score": score, "of": grill.total, "band": grill.band(score).label, "when": when}
            _done(data, "grill")
        data["last_step"] = "grill"

    return update(change, file)


def record_exercise(name: str, passed: bool, score: int, of: int, file: Path | None = None) -> dict:
    """The latest check of exercise ``name``: ``score`` of its ``of`` cases pass. An exercise that
    passed once stays passed (a later failing edit does not undo it); a pass counts as the path step
    ``exercises`` done."""

    def change(data: dict) -> None:
        before = data["exercises"].get(name, {})
        data["exercises"][name] = {
            "passed": passed or bool(before.get("passed")),
            "score": score,
            "of": of,
            "when": now(),
        }
        if passed:
            _done(data, "exercises")
        else:
            data["last_step"] = "exercises"

    return update(change, file)


def forget(file: Path | None = None) -> bool:
    """Forget everything (path, quiz, grill, exercises, cards): the file is removed. False when there
    was none."""
    file = progress_file() if file is None else file
    try:
        file.unlink()
    except FileNotFoundError:
        return False
    return True


def record_cards(deck: str, missed: list[int], file: Path | None = None) -> None:
    """The cards of ``deck`` marked "again" in the latest session (card numbers, 1-based)."""

    def change(data: dict) -> None:
        data["cards"][deck] = {"missed": sorted(set(missed)), "when": now()}
        _done(data, "practice")

    update(change, file)


def missed_cards(deck: str, file: Path | None = None) -> list[int]:
    entry = load(file)["cards"].get(deck)
    return list(entry["missed"]) if entry else []


# --------------------------------------------------------------------------------------------------
# the command
# --------------------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Your progress in the terminal: the last quiz, the last score per grill section and the "
        f"cards you marked again, kept in {progress_file()}."
    )
    parser.add_argument("--reset", action="store_true", help="forget it all (the file is removed)")


def _date(when: Any) -> str:
    return str(when)[:10] if when else ""


def _next(data: dict[str, Any]) -> str:
    """Back to the weakest grill section's note, else the cards marked again, else the path."""
    from posenc.learn.content import load_grill
    from posenc.learn.terminal import next_line, path_next_line

    grill = load_grill()
    scored = [
        (e["score"] / e["asked"], letter, e)
        for letter, e in data["grill"]["sections"].items()
        if e["asked"] and letter in {s.id for s in grill.sections}
    ]
    if scored:
        fraction, letter, e = min(scored)
        if fraction < WEAK:
            note = grill.section(letter).note
            return next_line(f"posenc notes {note}", f"then posenc grill --section {letter}")
    decks = [deck for deck, entry in data["cards"].items() if entry["missed"]]
    if decks:
        return next_line(f"posenc cards --deck {decks[0]}", "the cards you marked again come first")
    return path_next_line(data["last_step"])


def render(data: dict[str, Any], console: Console, file: Path) -> None:
    from posenc.learn.content import load_grill, load_quiz
    from posenc.learn.path import load_path

    console.print(Text("Your progress", style="bold"))
    console.print(Text(f"kept in {file}", style="dim"), overflow="fold")
    steps = {s.key: s for s in load_path()}
    last = steps.get(data["last_step"] or "")
    done = [steps[key] for key in data["steps"] if key in steps]
    console.print(f"Path: {len(done)} of {len(steps)} steps done (in the terminal or in posenc lab).")
    if last is not None:
        console.print(f"Last step taken here: {last.number} of {len(steps)}, {last.title} ({last.command})")

    quiz = data["quiz"]
    if quiz is None:
        console.print("Quiz: not taken yet (posenc quiz).")
    else:
        numbers = {q.id: n for n, q in enumerate(load_quiz().mcq, 1)}
        missed = ", ".join(f"question {numbers.get(i, i)}" for i in quiz.get("missed", [])) or "none"
        on = f" on {_date(quiz.get('when'))}" if quiz.get("when") else ""
        console.print(escape(f"Quiz: {quiz['score']}/{quiz['asked']}{on}; missed: {missed}."))

    grill = load_grill()
    table = Table(
        title="Grill: last score per section",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
    )
    for column, justify in (("", "left"), ("section", "left"), ("score", "right"), ("on", "left")):
        table.add_column(column, justify=justify, overflow="fold")
    for section in grill.sections:
        entry = data["grill"]["sections"].get(section.id)
        score = f"{entry['score']}/{entry['asked']}" if entry else "—"
        if entry and entry["asked"] < len(section.questions):
            score += f" (of {len(section.questions)})"
        table.add_row(section.id, section.title, score, _date(entry.get("when")) if entry else "")
    console.print(table)
    full = data["grill"]["full"]
    if full:
        of = f"/{full['of']}" if full.get("of") is not None else ""
        when = f" ({_date(full.get('when'))})" if full.get("when") else ""
        console.print(escape(f"Last full grill: {full['score']}{of}, {full['band']}{when}."))
    else:
        console.print("No full grill yet: a band is given for all 45 questions (posenc grill).")

    _render_exercises(data["exercises"], console)

    if not data["cards"]:
        console.print('Cards: none marked "again" yet (posenc cards).')
    for deck, entry in data["cards"].items():
        marked = ", ".join(str(n) for n in entry["missed"])
        if marked:
            console.print(escape(f'Cards marked "again" in {deck}: {marked} (they come first next time).'))
        else:
            console.print(escape(f"Cards in {deck}: none needed a second go last time."))


def _render_exercises(entries: dict[str, Any], console: Console) -> None:
    if not entries:
        console.print("Exercises: none checked yet (posenc exercise list, or the lab's Exercises page).")
        return
    passed = [name for name, e in entries.items() if e["passed"]]
    console.print(escape(f"Exercises passed: {', '.join(passed) if passed else 'none yet'}."))
    for name, e in entries.items():
        if not e["passed"]:
            console.print(escape(f"Exercise {name}: {e['score']}/{e['of']} cases passed in the last check."))


def run(args: argparse.Namespace) -> int:
    from posenc.learn.terminal import make_console, path_next_line, print_next

    file = progress_file()
    console = make_console()
    if args.reset:
        if forget(file):
            console.print(f"Progress forgotten: removed {file}.")
        else:
            console.print(f"No progress to forget: {file} does not exist.")
        print_next(console, path_next_line(None))
        return 0
    data = load(file)
    render(data, console, file)
    print_next(console, _next(data))
    return 0
