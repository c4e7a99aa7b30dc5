"""The learning path: every step resolves to a real note, experiment or page, in a sensible order."""

from __future__ import annotations

import pytest

from posenc.experiments import CATALOG, EXPERIMENTS, TITLES, load
from posenc.learn.content import load_notes_index
from posenc.learn.path import EXPERIMENTS_CATALOG, PAGES, load_goals, load_path, next_step, step


def test_every_note_and_every_experiment_is_on_the_path_once():
    keys = [s.key for s in load_path()]
    assert len(keys) == len(set(keys))
    for topic in load_notes_index():
        assert f"note:{topic.id}" in keys
    for name in EXPERIMENTS:
        assert f"experiment:{name}" in keys
    for page in PAGES:
        assert page in keys


def test_notes_appear_in_reading_order():
    notes = [s.id for s in load_path() if s.kind == "note"]
    assert notes == [t.id for t in load_notes_index()]


def test_path_ends_with_quiz_grill_then_the_challenge():
    kinds = [s.kind for s in load_path()]
    assert kinds[-3:] == ["quiz", "grill", "study"]


def test_experiment_titles_are_the_experiments_own():
    for name in EXPERIMENTS:
        assert step(f"experiment:{name}").title == TITLES[name] == load(name).TITLE


def test_the_path_reads_the_experiments_catalogue_file_itself():
    assert EXPERIMENTS_CATALOG.samefile(CATALOG)  # one file: data, so learn need not import experiments


def test_next_step_walks_the_path_and_stops_at_the_end():
    steps = load_path()
    for here, following in zip(steps, steps[1:], strict=False):
        assert next_step(here.key) == following
    assert next_step(steps[-1].key) is None
    with pytest.raises(ValueError, match="no step"):
        next_step("note:nonexistent")


def test_goals_are_listed():
    assert len(load_goals()) >= 5
