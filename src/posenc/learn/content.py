"""Load and validate the learning content kept as data files in ``posenc/learn/data/``.

    quiz.yaml       five multiple-choice questions, two open questions, the completion check
    grill.yaml      the interview grill: 45 questions in sections A–J, self-grading bands
    practice.yaml   the self-check and the 2D rotation walk-through
    cards.yaml      the ten flashcards
    notes/          one Markdown file per topic, listed in notes/index.yaml

Each loader checks the file against its schema and raises ``ValueError`` naming the file and the
field (``quiz.yaml: mcq[2].options: exactly one option must be correct, found 2``). Text fields
have their ``{{name}}`` placeholders filled from the library (:mod:`posenc.learn.numbers`) unless
``render=False``. Quiz questions and grill sections (or single grill questions) name the note that
teaches them (``note:``, a topic id of ``notes/index.yaml``), so a missed question can point to it.
The web lab uses these same loaders.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).with_name("data")
NOTES_DIR = DATA_DIR / "notes"
LETTERS = "abcd"
GRILL_SECTIONS = "ABCDEFGHIJ"


# --------------------------------------------------------------------------------------------------
# schema helpers: every error names the file and the field
# --------------------------------------------------------------------------------------------------


class _Reader:
    """Typed access to a YAML mapping, with errors that name ``file: path.to.field``."""

    def __init__(self, file: str, render: bool):
        self.file, self.render = file, render

    def fail(self, where: str, message: str) -> ValueError:
        return ValueError(f"{self.file}: {where}: {message}")

    def mapping(self, data: Any, where: str) -> Mapping[str, Any]:
        if not isinstance(data, Mapping):
            raise self.fail(where, f"must be a mapping, got {type(data).__name__}")
        return data

    def list(self, data: Mapping[str, Any], key: str, where: str) -> list[Any]:
        value = data.get(key)
        if not isinstance(value, list) or not value:
            raise self.fail(f"{where}.{key}" if where else key, "must be a non-empty list")
        return value

    def text(self, data: Mapping[str, Any], key: str, where: str) -> str:
        value = data.get(key)
        field = f"{where}.{key}" if where else key
        if not isinstance(value, str) or not value.strip():
            raise self.fail(field, "must be non-empty text")
        if self.render:
            from posenc.learn.numbers import render

            value = render(value, f"{self.file}: {field}")
        return value.strip()

    def number(self, data: Mapping[str, Any], key: str, where: str) -> float:
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(f"{where}.{key}", f"must be a number, got {value!r}")
        return float(value)

    def integer(self, data: Mapping[str, Any], key: str, where: str) -> int:
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(f"{where}.{key}", f"must be an integer, got {value!r}")
        return value

    def note(self, data: Mapping[str, Any], key: str, where: str) -> str:
        """A topic id of ``notes/index.yaml`` (exact, not a prefix): the note that teaches a question."""
        value = data.get(key)
        field = f"{where}.{key}" if where else key
        known = [t.id for t in load_notes_index()]
        if not isinstance(value, str) or value.strip() not in known:
            raise self.fail(field, f"must be a notes topic id ({', '.join(known)}), got {value!r}")
        return value.strip()

    def vector(self, data: Mapping[str, Any], key: str, where: str) -> tuple[float, float]:
        value = data.get(key)
        ok = isinstance(value, list) and len(value) == 2
        if not ok or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            raise self.fail(f"{where}.{key}", f"must be a list of two numbers, got {value!r}")
        return float(value[0]), float(value[1])


def _load_yaml(path: Path) -> Any:
    if not path.is_file():
        raise FileNotFoundError(f"learning content file not found: {path}")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise ValueError(f"{path.name}: not valid YAML: {err}") from None


# --------------------------------------------------------------------------------------------------
# quiz
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    text: str
    correct: bool
    why: str  # for the right option: why it is right; for a wrong one: why it is wrong


@dataclass(frozen=True)
class MultipleChoice:
    id: str
    question: str
    options: tuple[Option, ...]
    note: str  # the topic id of the note that teaches it (notes/index.yaml)

    @property
    def answer(self) -> str:
        """The letter of the right option (``"a"`` … ``"d"``)."""
        return next(LETTERS[i] for i, o in enumerate(self.options) if o.correct)


@dataclass(frozen=True)
class OpenQuestion:
    id: str
    question: str
    reference_answer: str
    note: str  # the topic id of the note that teaches it


@dataclass(frozen=True)
class Quiz:
    title: str
    intro: str
    mcq: tuple[MultipleChoice, ...]
    open_questions: tuple[OpenQuestion, ...]
    completion_check: tuple[str, ...]


def _parse_quiz(data: Any, r: _Reader) -> Quiz:
    data = r.mapping(data, "top level")
    mcqs = []
    for n, raw in enumerate(r.list(data, "mcq", ""), 1):
        where = f"mcq[{n}]"
        raw = r.mapping(raw, where)
        options = []
        raw_options = r.list(raw, "options", where)
        if len(raw_options) != len(LETTERS):
            raise r.fail(
                f"{where}.options", f"must have exactly {len(LETTERS)} options, found {len(raw_options)}"
            )
        for k, opt in enumerate(raw_options):
            ow = f"{where}.options[{LETTERS[k]}]"
            opt = r.mapping(opt, ow)
            if not isinstance(opt.get("correct"), bool):
                raise r.fail(f"{ow}.correct", f"must be true or false, got {opt.get('correct')!r}")
            options.append(Option(r.text(opt, "text", ow), opt["correct"], r.text(opt, "why", ow)))
        right = sum(o.correct for o in options)
        if right != 1:
            raise r.fail(f"{where}.options", f"exactly one option must be correct, found {right}")
        mcqs.append(
            MultipleChoice(
                r.text(raw, "id", where),
                r.text(raw, "question", where),
                tuple(options),
                r.note(raw, "note", where),
            )
        )
    opens = []
    for n, raw in enumerate(r.list(data, "open_questions", ""), 1):
        where = f"open_questions[{n}]"
        raw = r.mapping(raw, where)
        opens.append(
            OpenQuestion(
                r.text(raw, "id", where),
                r.text(raw, "question", where),
                r.text(raw, "reference_answer", where),
                r.note(raw, "note", where),
            )
        )
    checks = r.list(data, "completion_check", "")
    for n, item in enumerate(checks, 1):
        if not isinstance(item, str) or not item.strip():
            raise r.fail(f"completion_check[{n}]", "must be non-empty text")
    ids = [q.id for q in mcqs] + [q.id for q in opens]
    if len(set(ids)) != len(ids):
        raise r.fail("ids", f"question ids must be unique, got {ids}")
    return Quiz(
        title=r.text(data, "title", ""),
        intro=r.text(data, "intro", ""),
        mcq=tuple(mcqs),
        open_questions=tuple(opens),
        completion_check=tuple(c.strip() for c in checks),
    )


# --------------------------------------------------------------------------------------------------
# grill
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GrillQuestion:
    id: str  # "D3": section letter + number within the section
    section: str
    question: str
    answer: str
    note: str  # the topic id of the note that teaches it: the question's own `note:`, else its section's


@dataclass(frozen=True)
class GrillSection:
    id: str
    title: str
    questions: tuple[GrillQuestion, ...]
    note: str  # the note most of the section's questions come from


@dataclass(frozen=True)
class Band:
    min: int
    max: int
    label: str
    advice: str


@dataclass(frozen=True)
class Grill:
    title: str
    intro: str
    total: int
    sections: tuple[GrillSection, ...]
    bands: tuple[Band, ...]

    @property
    def questions(self) -> tuple[GrillQuestion, ...]:
        return tuple(q for s in self.sections for q in s.questions)

    def section(self, letter: str) -> GrillSection:
        for s in self.sections:
            if s.id == letter.upper():
                return s
        raise ValueError(
            f"unknown grill section {letter!r}; sections: {', '.join(s.id for s in self.sections)}"
        )

    def named_sections(self, spec: str) -> tuple[GrillSection, ...]:
        """The sections a ``--section`` / ``?section=`` value names (``"D"`` or ``"d, E"``), in grill
        order; empty when ``spec`` holds no letter (the caller says what to give). An unknown letter
        raises ``ValueError`` naming it and the sections there are."""
        letters = [part.strip() for part in spec.split(",") if part.strip()]
        wanted = {self.section(letter).id for letter in letters}
        return tuple(s for s in self.sections if s.id in wanted)

    def band(self, score: int, asked: int | None = None) -> Band:
        """The band for ``score`` out of ``asked``, scaled to the full grill when fewer were asked."""
        asked = self.total if asked is None else asked
        if asked <= 0:
            raise ValueError(f"asked must be positive, got {asked}")
        if not 0 <= score <= asked:
            raise ValueError(f"score must be between 0 and {asked}, got {score}")
        scaled = round(score * self.total / asked)
        return next(b for b in self.bands if b.min <= scaled <= b.max)


def _parse_grill(data: Any, r: _Reader) -> Grill:
    data = r.mapping(data, "top level")
    sections = []
    for n, raw in enumerate(r.list(data, "sections", ""), 1):
        where = f"sections[{n}]"
        raw = r.mapping(raw, where)
        letter = r.text(raw, "id", where)
        section_note = r.note(raw, "note", where)
        questions = []
        for k, q in enumerate(r.list(raw, "questions", where), 1):
            qw = f"{where}.questions[{k}]"
            q = r.mapping(q, qw)
            questions.append(
                GrillQuestion(
                    f"{letter}{k}",
                    letter,
                    r.text(q, "question", qw),
                    r.text(q, "answer", qw),
                    r.note(q, "note", qw) if "note" in q else section_note,
                )
            )
        sections.append(GrillSection(letter, r.text(raw, "title", where), tuple(questions), section_note))
    letters = "".join(s.id for s in sections)
    if letters != GRILL_SECTIONS:
        raise r.fail("sections", f"must be the ten sections {GRILL_SECTIONS} in order, got {letters}")
    total = r.integer(data, "total", "top level")
    count = sum(len(s.questions) for s in sections)
    if count != total:
        raise r.fail("total", f"says {total} questions but the sections hold {count}")
    bands = []
    for n, raw in enumerate(r.list(data, "bands", ""), 1):
        where = f"bands[{n}]"
        raw = r.mapping(raw, where)
        bands.append(
            Band(
                r.integer(raw, "min", where),
                r.integer(raw, "max", where),
                r.text(raw, "label", where),
                r.text(raw, "advice", where),
            )
        )
    covered = sorted(s for b in bands for s in range(b.min, b.max + 1))
    if covered != list(range(total + 1)):
        raise r.fail("bands", f"must cover every score 0 … {total} exactly once")
    return Grill(r.text(data, "title", ""), r.text(data, "intro", ""), total, tuple(sections), tuple(bands))


# --------------------------------------------------------------------------------------------------
# practice and cards
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Card:
    front: str
    back: str


@dataclass(frozen=True)
class RotationStep:
    position: int
    angle: str  # as written for the learner, e.g. "3π/4"
    answer: tuple[float, float]


@dataclass(frozen=True)
class DotProduct:
    m: int
    n: int
    dot: float
    why: str


@dataclass(frozen=True)
class Walkthrough:
    intro: str
    q: tuple[float, float]
    step_over_pi: float  # θ_m = m · step_over_pi · π
    decimals: int
    part_one_prompt: str
    part_one: tuple[RotationStep, ...]
    part_one_takeaway: str
    part_two_prompt: str
    part_two: tuple[DotProduct, ...]
    part_two_takeaway: str


@dataclass(frozen=True)
class Practice:
    self_check: tuple[Card, ...]  # question on the front, answer on the back
    walkthrough: Walkthrough


def _parse_practice(data: Any, r: _Reader) -> Practice:
    data = r.mapping(data, "top level")
    checks = []
    for n, raw in enumerate(r.list(data, "self_check", ""), 1):
        raw = r.mapping(raw, f"self_check[{n}]")
        checks.append(
            Card(r.text(raw, "question", f"self_check[{n}]"), r.text(raw, "answer", f"self_check[{n}]"))
        )
    w = r.mapping(data.get("walkthrough"), "walkthrough")
    one = r.mapping(w.get("part_one"), "walkthrough.part_one")
    two = r.mapping(w.get("part_two"), "walkthrough.part_two")
    steps = []
    for n, raw in enumerate(r.list(one, "steps", "walkthrough.part_one"), 1):
        where = f"walkthrough.part_one.steps[{n}]"
        raw = r.mapping(raw, where)
        angle = raw.get("angle")
        if not isinstance(angle, str) or not angle:
            raise r.fail(f"{where}.angle", 'must be text such as "π/4"')
        steps.append(RotationStep(r.integer(raw, "position", where), angle, r.vector(raw, "answer", where)))
    pairs = []
    for n, raw in enumerate(r.list(two, "pairs", "walkthrough.part_two"), 1):
        where = f"walkthrough.part_two.pairs[{n}]"
        raw = r.mapping(raw, where)
        pairs.append(
            DotProduct(
                r.integer(raw, "m", where),
                r.integer(raw, "n", where),
                r.number(raw, "dot", where),
                r.text(raw, "why", where),
            )
        )
    walkthrough = Walkthrough(
        intro=r.text(w, "intro", "walkthrough"),
        q=r.vector(w, "q", "walkthrough"),
        step_over_pi=r.number(w, "step_over_pi", "walkthrough"),
        decimals=r.integer(w, "decimals", "walkthrough"),
        part_one_prompt=r.text(one, "prompt", "walkthrough.part_one"),
        part_one=tuple(steps),
        part_one_takeaway=r.text(one, "takeaway", "walkthrough.part_one"),
        part_two_prompt=r.text(two, "prompt", "walkthrough.part_two"),
        part_two=tuple(pairs),
        part_two_takeaway=r.text(two, "takeaway", "walkthrough.part_two"),
    )
    return Practice(tuple(checks), walkthrough)


def _parse_cards(data: Any, r: _Reader) -> tuple[Card, ...]:
    data = r.mapping(data, "top level")
    cards = []
    for n, raw in enumerate(r.list(data, "cards", ""), 1):
        raw = r.mapping(raw, f"cards[{n}]")
        cards.append(Card(r.text(raw, "front", f"cards[{n}]"), r.text(raw, "back", f"cards[{n}]")))
    return tuple(cards)


# --------------------------------------------------------------------------------------------------
# notes
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteTopic:
    number: int  # 1-based reading order
    id: str
    title: str
    summary: str
    path: Path
    #: why the note has no figure or widget (``text_only`` in index.yaml); None: it has at least one
    text_only: str | None = None

    def markdown(self, render: bool = True) -> str:
        """The note's Markdown, with library numbers filled in unless ``render=False``."""
        text = self.path.read_text(encoding="utf-8")
        if render:
            from posenc.learn.numbers import render as fill

            text = fill(text, f"notes/{self.path.name}")
        return text


def _parse_notes_index(data: Any, r: _Reader) -> tuple[NoteTopic, ...]:
    data = r.mapping(data, "top level")
    topics = []
    for n, raw in enumerate(r.list(data, "topics", ""), 1):
        where = f"topics[{n}]"
        raw = r.mapping(raw, where)
        path = NOTES_DIR / r.text(raw, "file", where)
        if not path.is_file():
            raise r.fail(f"{where}.file", f"no such note file: {path}")
        topics.append(
            NoteTopic(
                n,
                r.text(raw, "id", where),
                r.text(raw, "title", where),
                r.text(raw, "summary", where),
                path,
                r.text(raw, "text_only", where) if "text_only" in raw else None,
            )
        )
    ids = [t.id for t in topics]
    if len(set(ids)) != len(ids):
        raise r.fail("topics", f"topic ids must be unique, got {ids}")
    return tuple(topics)


# --------------------------------------------------------------------------------------------------
# public loaders (cached: the files do not change while a process runs)
# --------------------------------------------------------------------------------------------------


@functools.cache
def load_quiz(render: bool = True) -> Quiz:
    return _parse_quiz(_load_yaml(DATA_DIR / "quiz.yaml"), _Reader("quiz.yaml", render))


@functools.cache
def load_grill(render: bool = True) -> Grill:
    return _parse_grill(_load_yaml(DATA_DIR / "grill.yaml"), _Reader("grill.yaml", render))


@functools.cache
def load_practice(render: bool = True) -> Practice:
    return _parse_practice(_load_yaml(DATA_DIR / "practice.yaml"), _Reader("practice.yaml", render))


@functools.cache
def load_cards(render: bool = True) -> tuple[Card, ...]:
    return _parse_cards(_load_yaml(DATA_DIR / "cards.yaml"), _Reader("cards.yaml", render))


@functools.cache
def load_notes_index() -> tuple[NoteTopic, ...]:
    return _parse_notes_index(_load_yaml(NOTES_DIR / "index.yaml"), _Reader("notes/index.yaml", render=False))


def find_topic(name: str) -> NoteTopic:
    """A topic by id, by number (``"3"``), or by a unique id prefix; ``ValueError`` listing the topics."""
    topics = load_notes_index()
    key = name.strip().lower()
    if key.isdigit() and 1 <= int(key) <= len(topics):
        return topics[int(key) - 1]
    exact = [t for t in topics if t.id == key]
    matches = exact or [t for t in topics if t.id.startswith(key)]
    if len(matches) == 1:
        return matches[0]
    known = ", ".join(t.id for t in topics)
    if matches:
        raise ValueError(f"topic {name!r} is ambiguous: {', '.join(t.id for t in matches)}")
    raise ValueError(f"unknown notes topic {name!r}; topics: {known}")
