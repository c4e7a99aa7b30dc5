"""The learning path (``data/path.yaml``): the module's steps in the order a learner takes them.

Both front ends read it: ``posenc`` with no command prints it, every terminal command ends with a
``Next:`` line taken from it, and the web lab's home page lists it and puts a "Next" link at the
foot of every page. Each step knows its title, its terminal command and its lab address.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

from posenc.learn.content import DATA_DIR, _load_yaml, _Reader, find_topic

#: the experiments' catalogue (name -> module, title): read as data, never imported, since
#: ``posenc.experiments`` sits beside ``posenc.learn`` in the package graph (posenc.LAYERS)
EXPERIMENTS_CATALOG = Path(__file__).resolve().parent.parent / "experiments" / "catalog.json"


@functools.cache
def experiment_titles() -> dict[str, str]:
    """Experiment name -> title, as ``posenc.experiments.TITLES`` holds them (the same file)."""
    catalog = json.loads(EXPERIMENTS_CATALOG.read_text(encoding="utf-8"))
    return {name: entry["title"] for name, entry in catalog.items()}


#: the lab pages that are steps of the path: kind -> (title, terminal command, lab address)
PAGES: dict[str, tuple[str, str, str]] = {
    "playground": ("Rotation playground", "posenc lab  (then open Playground)", "/playground"),
    "explorer": ("Frequency explorer", "posenc lab  (then open Explorer)", "/explorer"),
    "angles": ("Angle map and long-term decay", "posenc lab  (then open Angles)", "/angles"),
    "practice": ("Practice: walk-through, self-check, flashcards", "posenc cards", "/practice"),
    "inspector": ("Inspect a real model's config.json", "posenc inspect llama-3.1-8b", "/inspector"),
    "exercises": ("Exercises: implement it yourself, checked", "posenc exercise list", "/exercises"),
    "quiz": ("Quiz", "posenc quiz", "/quiz"),
    "grill": ("Interview grill", "posenc grill", "/grill"),
    "study": ("Challenge: the extrapolation study", "posenc study --preset quick", "/study"),
    "models": ("Trained models on your text", "posenc lab  (then open Models)", "/models"),
}
KINDS = ("note", "experiment", *PAGES)


@dataclass(frozen=True)
class Step:
    number: int  # 1-based place on the path
    kind: str  # "note", "experiment", or a key of PAGES
    id: str  # topic id, experiment name, or the page kind again
    title: str
    why: str
    command: str  # what to type in a terminal
    url: str  # the lab page

    @property
    def key(self) -> str:
        """``"note:clock"``, ``"experiment:2"``, ``"quiz"``: how pages name their place on the path."""
        return self.kind if self.kind in PAGES else f"{self.kind}:{self.id}"


def _step(number: int, raw: object, r: _Reader) -> Step:
    where = f"steps[{number}]"
    raw = r.mapping(raw, where)
    kind = raw.get("kind")
    if kind not in KINDS:
        raise r.fail(f"{where}.kind", f"must be one of {', '.join(KINDS)}, got {kind!r}")
    why = r.text(raw, "why", where)
    if kind == "note":
        topic_id = r.text(raw, "id", where)
        try:
            topic = find_topic(topic_id)
        except ValueError as err:
            raise r.fail(f"{where}.id", str(err)) from None
        return Step(
            number, kind, topic.id, topic.title, why, f"posenc notes {topic.id}", f"/notes/{topic.id}"
        )
    if kind == "experiment":
        name, titles = str(raw.get("id")), experiment_titles()
        if name not in titles:
            raise r.fail(f"{where}.id", f"unknown experiment {name!r}; known: {', '.join(titles)}")
        return Step(number, kind, name, titles[name], why, f"posenc exp {name}", f"/experiments/{name}")
    title, command, url = PAGES[kind]
    return Step(number, kind, kind, title, why, command, url)


@functools.cache
def _data() -> tuple[_Reader, dict]:
    r = _Reader("path.yaml", render=False)
    return r, r.mapping(_load_yaml(DATA_DIR / "path.yaml"), "top level")


@functools.cache
def load_goals() -> tuple[str, ...]:
    """What a learner can do at the end of the module (the home page and ``posenc`` list them)."""
    r, data = _data()
    goals = r.list(data, "goals", "")
    for n, goal in enumerate(goals, 1):
        if not isinstance(goal, str) or not goal.strip():
            raise r.fail(f"goals[{n}]", "must be non-empty text")
    return tuple(g.strip() for g in goals)


@functools.cache
def load_path() -> tuple[Step, ...]:
    r, data = _data()
    steps = tuple(_step(n, raw, r) for n, raw in enumerate(r.list(data, "steps", ""), 1))
    keys = [s.key for s in steps]
    if len(set(keys)) != len(keys):
        raise r.fail("steps", "a step appears twice")
    return steps


def step(key: str) -> Step:
    """The step named ``key`` (see :attr:`Step.key`); ``ValueError`` if the path has no such step."""
    for s in load_path():
        if s.key == key:
            return s
    raise ValueError(f"no step {key!r} on the learning path")


def next_step(key: str) -> Step | None:
    """The step after ``key``; ``None`` after the last one."""
    steps = load_path()
    here = step(key).number
    return steps[here] if here < len(steps) else None
