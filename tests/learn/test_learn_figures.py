"""The notes' figures in the terminal: `posenc notes` keeps text where the lab shows a figure or a widget,
naming it and saying where to see it (the lab page, the tool, the command that draws it)."""

from __future__ import annotations

import io
import sys

import pytest

from posenc.cli import main
from posenc.learn.content import load_notes_index
from posenc.learn.figures import FIGURES, figure_refs, terminal_markdown

NOTES = load_notes_index()


def notes_output(topic: str, monkeypatch, capsys, *extra: str) -> str:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["notes", topic, "--no-pager", *extra]) == 0
    return " ".join(capsys.readouterr().out.replace("▌", " ").split())  # rich draws a quote's bar


@pytest.mark.parametrize("topic", [t for t in NOTES if not t.text_only], ids=lambda t: t.id)
def test_every_figure_is_named_in_the_terminal_with_where_to_see_it(topic, monkeypatch, capsys):
    refs = figure_refs(topic.markdown())
    out = notes_output(topic.id, monkeypatch, capsys)
    assert "::: figure" not in out
    assert out.count("Figure:") == len(refs) >= 1
    assert f"posenc lab, page /notes/{topic.id}" in out
    for ref in refs:
        if ref.figure.tool:
            assert f"tool page {ref.figure.tool}" in out
        if ref.figure.draws and ref.name != "study-plot":
            assert f"{ref.figure.draws} draws it" in out


def test_the_clock_figure_reads_as_a_sentence(monkeypatch, capsys):
    out = notes_output("clock", monkeypatch, capsys)
    figure = "Figure: Pairs as clock hands, turning with the position."
    assert f"{figure} Interactive in posenc lab, page /notes/clock; posenc exp 3 draws it." in out


def test_a_study_plot_names_its_file_and_the_command(monkeypatch, capsys):
    out = notes_output("measured", monkeypatch, capsys)
    assert "reference/study-cpu-full/ppl_vs_length.png" in out and "posenc study draws it" in out


def test_markdown_output_carries_no_marker(monkeypatch, capsys):
    out = notes_output("other-encodings", monkeypatch, capsys, "--markdown")
    assert "::: figure" not in out and out.count("**Figure:") == 3


def test_every_figure_kind_has_a_template_and_a_script():
    from posenc.web.core import WEB_DIR

    for name, figure in FIGURES.items():
        assert (WEB_DIR / "templates" / "widgets" / f"{name}.html").is_file(), name
        assert (WEB_DIR / "static" / "widgets" / f"{name}.js").is_file() == figure.widget, name


def test_a_marker_inside_a_code_block_stays_text():
    text = "```\n::: figure clock\n```\n"
    assert figure_refs(text) == [] and terminal_markdown(text, "clock") == text
