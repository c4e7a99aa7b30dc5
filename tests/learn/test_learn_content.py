"""The learning content files load and satisfy their schema; the validator rejects broken content."""

from __future__ import annotations

import copy
import re

import pytest
import yaml

from posenc.learn import content
from posenc.learn.content import DATA_DIR, NOTES_DIR, _parse_grill, _parse_quiz, _Reader

MCQ_IDS = ["why-pe", "rope-core-idea", "multiple-frequencies", "where-applied", "advantage"]


def raw(name: str) -> dict:
    return yaml.safe_load((DATA_DIR / name).read_text(encoding="utf-8"))


# --------------------------------------------------------------------------------------------------
# quiz
# --------------------------------------------------------------------------------------------------


def test_quiz_has_the_module_five_mcqs_with_four_options_and_one_right_answer():
    quiz = content.load_quiz()
    assert [q.id for q in quiz.mcq] == MCQ_IDS
    for q in quiz.mcq:
        assert len(q.options) == 4
        assert sum(o.correct for o in q.options) == 1
        assert all(o.why.strip() and o.text.strip() for o in q.options), q.id
        # the explanation of each wrong option is its own, not a copy of another
        assert len({o.why for o in q.options}) == 4, q.id


def test_quiz_right_answers_are_not_all_the_same_letter():
    assert len({q.answer for q in content.load_quiz().mcq}) >= 3


def test_quiz_options_give_away_nothing_by_length_or_position():
    """A learner who picks the longest (or shortest) option, or always the same letter, does no better
    than chance: the right option is the longest in at most 1 of 5 questions, the shortest in at most 1,
    and no letter holds the right answer more than twice. Lengths are of the text a learner sees: each
    ``$…$`` formula as its rendered text (``$2\\pi/\\theta$`` reads "2π/θ"), not its LaTeX source."""
    from posenc.learn.math_markdown import inline_markdown

    def seen(option) -> int:
        return len(inline_markdown(option.text))

    mcq = content.load_quiz().mcq
    longest = [q.id for q in mcq if max(q.options, key=seen).correct]
    shortest = [q.id for q in mcq if min(q.options, key=seen).correct]
    assert len(longest) <= 1, f"the right option is the longest in {longest}"
    assert len(shortest) <= 1, f"the right option is the shortest in {shortest}"
    letters = [q.answer for q in mcq]
    assert max(letters.count(letter) for letter in set(letters)) <= 2, letters


def test_quiz_where_applied_answer_is_q_and_k_not_v():
    q = next(q for q in content.load_quiz().mcq if q.id == "where-applied")
    right = next(o for o in q.options if o.correct)
    assert "q and k only" in right.text
    assert any("q, k and v" in o.text and not o.correct for o in q.options)


def test_quiz_has_two_open_questions_and_a_completion_check():
    quiz = content.load_quiz()
    assert [q.id for q in quiz.open_questions] == ["train-512-run-2048", "why-relative"]
    first = quiz.open_questions[0]
    assert "512" in first.question and "2048" in first.question
    for fix in ("PI", "NTK", "YaRN"):
        assert fix in first.reference_answer
    assert "R_{n-m}" in quiz.open_questions[1].reference_answer  # LaTeX, as the notes write it
    assert len(quiz.completion_check) >= 8


@pytest.mark.parametrize("n_correct", [0, 2])
def test_quiz_validator_rejects_mcq_without_exactly_one_right_answer(n_correct):
    data = raw("quiz.yaml")
    options = data["mcq"][2]["options"]
    for k, option in enumerate(options):
        option["correct"] = k < n_correct
    with pytest.raises(ValueError, match=r"quiz.yaml: mcq\[3\].options: exactly one option must be correct"):
        _parse_quiz(data, _Reader("quiz.yaml", render=False))


def test_quiz_validator_rejects_three_options_and_missing_why():
    data = raw("quiz.yaml")
    bad = copy.deepcopy(data)
    bad["mcq"][0]["options"].pop()
    with pytest.raises(ValueError, match=r"mcq\[1\].options: must have exactly 4 options, found 3"):
        _parse_quiz(bad, _Reader("quiz.yaml", render=False))
    bad = copy.deepcopy(data)
    del bad["mcq"][1]["options"][3]["why"]
    with pytest.raises(ValueError, match=r"mcq\[2\].options\[d\].why: must be non-empty text"):
        _parse_quiz(bad, _Reader("quiz.yaml", render=False))


# --------------------------------------------------------------------------------------------------
# grill
# --------------------------------------------------------------------------------------------------


def test_grill_has_45_questions_in_sections_a_to_j():
    grill = content.load_grill()
    assert grill.total == 45
    assert len(grill.questions) == 45
    assert "".join(s.id for s in grill.sections) == "ABCDEFGHIJ"
    assert all(len(s.questions) >= 3 for s in grill.sections)
    ids = [q.id for q in grill.questions]
    assert len(set(ids)) == 45 and ids[0] == "A1"
    titles = " ".join(s.title for s in grill.sections).lower()
    for word in (
        "foundations",
        "sinusoidal",
        "learned",
        "rope",
        "ntk",
        "yarn",
        "alibi",
        "t5",
        "nope",
        "gotchas",
        "quick fire",
    ):
        assert word in titles


def test_grill_says_45_questions_never_40():
    text = (DATA_DIR / "grill.yaml").read_text(encoding="utf-8")
    assert "45 questions" in text
    assert "40 questions" not in text


@pytest.mark.parametrize(
    ("score", "asked", "label"),
    [
        (45, 45, "Interview ready"),
        (40, 45, "Interview ready"),
        (39, 45, "Solid"),
        (30, 45, "Solid"),
        (29, 45, "Getting there"),
        (20, 45, "Getting there"),
        (19, 45, "Start with the notes"),
        (0, 45, "Start with the notes"),
        (8, 8, "Interview ready"),
        (4, 8, "Getting there"),
    ],
)
def test_grill_band_for_score(score, asked, label):
    assert content.load_grill().band(score, asked).label == label


def test_grill_bands_cover_0_to_45_and_validator_rejects_a_gap():
    data = raw("grill.yaml")
    data["bands"][1]["min"] = 31  # 30 now belongs to no band
    with pytest.raises(ValueError, match="grill.yaml: bands: must cover every score 0 … 45 exactly once"):
        _parse_grill(data, _Reader("grill.yaml", render=False))


def test_grill_validator_rejects_wrong_count_and_missing_section():
    data = raw("grill.yaml")
    data["sections"][3]["questions"].pop()
    with pytest.raises(ValueError, match="grill.yaml: total: says 45 questions but the sections hold 44"):
        _parse_grill(data, _Reader("grill.yaml", render=False))
    data = raw("grill.yaml")
    data["sections"].pop()
    with pytest.raises(ValueError, match="must be the ten sections ABCDEFGHIJ in order, got ABCDEFGHI"):
        _parse_grill(data, _Reader("grill.yaml", render=False))


def test_grill_model_answers_carry_formulas():
    from posenc.learn.math_markdown import terminal_markdown

    grill = content.load_grill()
    # the answers write LaTeX (as the notes do); the formulas as the terminal prints them
    answers = {q.id: terminal_markdown(q.answer) for q in grill.questions}
    assert "Attn(PX) = P · Attn(X)" in answers["A1"]
    assert "s^(d/(d−2))" in answers["E3"]
    assert "0.1 ln s + 1" in answers["E5"]
    assert "2^(−8h/n)" in answers["F1"]


# --------------------------------------------------------------------------------------------------
# practice, cards, notes
# --------------------------------------------------------------------------------------------------


def test_practice_has_five_self_check_items_and_the_walkthrough():
    practice = content.load_practice()
    assert len(practice.self_check) == 5
    w = practice.walkthrough
    assert w.q == (1.0, 0.0)
    assert [s.position for s in w.part_one] == list(range(8))
    pairs = [(p.m, p.n) for p in w.part_two]
    for pair in [(1, 2), (3, 4), (10, 11), (1, 5)]:
        assert pair in pairs


def test_ten_flashcards_with_front_and_back():
    cards = content.load_cards()
    assert len(cards) == 10
    assert all(c.front.strip() and c.back.strip() for c in cards)


def test_notes_index_lists_every_note_file_once():
    topics = content.load_notes_index()
    listed = sorted(t.path.name for t in topics)
    on_disk = sorted(p.name for p in NOTES_DIR.glob("*.md"))
    assert listed == on_disk
    assert [t.number for t in topics] == list(range(1, len(topics) + 1))


@pytest.mark.parametrize(
    ("topic", "needles"),
    [
        ("why-position", ["Attn(PX) = P · Attn(X)", "Pᵀ P = I", "causal mask", "posenc exp 1"]),
        ("history", ["absolute", "relative", "RoPE", "Shaw", "Transformer-XL", "T5", "ALiBi"]),
        (
            "rope-rotation",
            [
                "Interleaved layout",
                "Half layout",
                "x'_(2i+1)",
                "x'_(i+d/2)",
                "rotate_half",
                "e^(i m θ_i)",
                "posenc exp 2",
                "posenc exp 4",
            ],
        ),
        (
            "frequencies",
            ["θᵢ = base^(−2i/d)", "2π/θᵢ", "base 1e4 and 1e6", "posenc exp 3", "posenc exp rope-base"],
        ),
        ("clock", ["hand", "second hand", "posenc exp 3"]),
        ("relative-proof", ["R(α)ᵀ = R(−α) = R(α)⁻¹", "qᵀ R_(n−m) k", "conj(", "posenc exp 2"]),
        ("why-not-v", ["R_n v_n", "absolute", "posenc exp 4"]),
        (
            "rope-scaling",
            [
                "PI",
                "NTK",
                "Dynamic NTK",
                "YaRN",
                "LongRoPE",
                "Llama 3",
                "0.1 · ln(s) + 1",
                "YaRN = position / scale",
                "it is PI",
                "posenc exp 4",
                "posenc study",
            ],
        ),
        ("other-encodings", ["ALiBi", "T5", "xPos", "NoPE", "2^(−8h/n)", "posenc study", "posenc exp 1"]),
        ("measured", ["last L positions", "| ALiBi |", "| YaRN |", "trained at 256", "posenc study"]),
        ("your-model", ["posenc eval", "last-L ppl", "--rope-scaling yarn:4", "PASSKEY =", "RULER"]),
    ],
)
def test_notes_cover_their_topic(topic, needles):
    from posenc.learn.notes import terminal_markdown

    # the formulas are LaTeX in the source: look for them as the terminal shows them
    text = terminal_markdown(content.find_topic(topic).markdown())
    for needle in needles:
        assert needle in text, f"{topic}: {needle!r} missing"


def test_find_topic_by_number_prefix_and_errors():
    assert content.find_topic("4").id == "frequencies"
    assert content.find_topic("rope-sc").id == "rope-scaling"
    with pytest.raises(ValueError, match="ambiguous"):
        content.find_topic("r")
    with pytest.raises(ValueError, match="unknown notes topic 'nope-nope'"):
        content.find_topic("nope-nope")


def strings(data):
    """Every string inside a parsed YAML structure."""
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for v in data.values():
            yield from strings(v)
    elif isinstance(data, list):
        for v in data:
            yield from strings(v)


def test_every_placeholder_in_the_content_is_known_and_rendered():
    from posenc.learn.numbers import PLACEHOLDER, names

    known = set(names())
    texts = [t.markdown(render=False) for t in content.load_notes_index()]
    for name in ("quiz.yaml", "grill.yaml", "cards.yaml", "practice.yaml"):
        texts += list(strings(raw(name)))  # parsed, so the files' comments do not count
    used = {m.group(1) for text in texts for m in PLACEHOLDER.finditer(text)}
    assert used and used <= known, used - known
    rendered = [t.markdown() for t in content.load_notes_index()]
    rendered += [q.answer for q in content.load_grill().questions]
    rendered += [c.back for c in content.load_cards()]
    assert not any(re.search(r"\{\{|\}\}", text) for text in rendered)


def test_unknown_placeholder_names_the_file_and_field():
    data = raw("cards.yaml")
    data["cards"][0]["back"] = "about {{no_such_number}} tokens"
    with pytest.raises(
        ValueError, match=r"cards.yaml: cards\[1\].back: unknown placeholder \{\{no_such_number\}\}"
    ):
        content._parse_cards(data, _Reader("cards.yaml", render=True))


# --------------------------------------------------------------------------------------------------
# the note that teaches each question (quiz and grill link a missed question to it)
# --------------------------------------------------------------------------------------------------


def test_every_quiz_question_and_grill_section_names_a_note_that_exists():
    topic_ids = {t.id for t in content.load_notes_index()}
    quiz_raw, grill_raw = raw("quiz.yaml"), raw("grill.yaml")
    # written in the files, not filled in by a default
    assert all("note" in q for q in quiz_raw["mcq"] + quiz_raw["open_questions"])
    assert all("note" in s for s in grill_raw["sections"])
    quiz = content.load_quiz()
    for q in (*quiz.mcq, *quiz.open_questions):
        assert q.note in topic_ids, q.id
    grill = content.load_grill()
    for section in grill.sections:
        assert section.note in topic_ids, section.id
    for q in grill.questions:
        assert q.note in topic_ids, q.id


def test_grill_question_note_is_its_own_override_else_its_section():
    grill_raw = raw("grill.yaml")
    overrides = 0
    for section_raw, section in zip(grill_raw["sections"], content.load_grill().sections, strict=True):
        assert section.note == section_raw["note"]
        for q_raw, q in zip(section_raw["questions"], section.questions, strict=True):
            assert q.note == q_raw.get("note", section_raw["note"]), q.id
            overrides += "note" in q_raw
    assert overrides >= 1  # the file uses the override, so this test reads both paths


@pytest.mark.parametrize(
    ("question", "note"),
    [
        ("why-pe", "why-position"),
        ("where-applied", "why-not-v"),
        ("multiple-frequencies", "frequencies"),
        ("train-512-run-2048", "rope-scaling"),
        ("why-relative", "relative-proof"),
        ("A1", "why-position"),
        ("D3", "relative-proof"),  # the proof question of the RoPE section
        ("E5", "rope-scaling"),
        ("F1", "other-encodings"),
        ("I2", "frequencies"),  # bf16 angles: the precision paragraph of the frequencies note
    ],
)
def test_questions_point_to_the_note_that_teaches_them(question, note):
    quiz = content.load_quiz()
    notes = {q.id: q.note for q in (*quiz.mcq, *quiz.open_questions)}
    notes |= {q.id: q.note for q in content.load_grill().questions}
    assert notes[question] == note


def _set(path: list, value):
    def edit(data):
        target = data
        for key in path[:-1]:
            target = target[key]
        if value is None:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return edit


@pytest.mark.parametrize(
    ("file", "path", "value", "field"),
    [
        ("quiz.yaml", ["mcq", 2, "note"], "no-such-note", r"mcq\[3\]\.note"),
        ("quiz.yaml", ["open_questions", 1, "note"], "no-such-note", r"open_questions\[2\]\.note"),
        ("quiz.yaml", ["mcq", 0, "note"], None, r"mcq\[1\]\.note"),  # missing
        ("quiz.yaml", ["mcq", 0, "note"], "rope", r"mcq\[1\]\.note"),  # a prefix is not an id
        ("grill.yaml", ["sections", 3, "note"], "no-such-note", r"sections\[4\]\.note"),
        (
            "grill.yaml",
            ["sections", 4, "questions", 1, "note"],
            "no-such-note",
            r"sections\[5\]\.questions\[2\]\.note",
        ),
    ],
)
def test_unknown_note_names_the_file_and_field(file, path, value, field):
    data = raw(file)
    _set(path, value)(data)
    parse = _parse_quiz if file == "quiz.yaml" else _parse_grill
    with pytest.raises(
        ValueError, match=rf"^{file}: {field}: must be a notes topic id \(why-position, .*\), got "
    ):
        parse(data, _Reader(file, render=False))


def test_named_sections_reads_a_section_value_for_both_front_ends():
    grill = content.load_grill()
    assert [s.id for s in grill.named_sections("e, d")] == ["D", "E"]  # grill order, any case
    assert grill.named_sections(" , ") == ()  # no letter: the caller says what to give
    with pytest.raises(ValueError, match="unknown grill section 'Z'"):
        grill.named_sections("D,Z")
