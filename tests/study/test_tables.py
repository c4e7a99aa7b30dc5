"""The study's tables: one model, written as the report's Markdown and shown by the lab."""

import copy

from posenc.study import report, tables
from posenc.study import results as study_results

from .synthetic import SEEDS, synthetic_results


def test_the_tables_in_the_reports_order():
    ids = [t.id for t in tables.study_tables(synthetic_results())]
    assert ids == [
        "ppl",
        "last-ppl",
        "passkey",
        "retrieval-learned",
        "retrieval",
        "retrieval-depth",
        "retrieval-ppl",
        "scaling-rope-1e4",
        "scaling-rope-1e6",
        "rope-base",
    ]


def test_every_table_is_in_the_report_as_its_markdown():
    results = synthetic_results()
    md = report.render_report(results)
    for table in tables.study_tables(results):
        assert table.to_markdown() in md


def test_a_cell_carries_its_text_and_the_numbers_of_every_seed():
    results = synthetic_results()
    ppl = tables.study_tables(results)[0]
    assert ppl.first == "encoding" and ppl.columns[0] == f"1× ({results['train_length']})"
    cell = ppl.rows[0].cells[0]
    row = results["encodings"][next(iter(results["encodings"]))]["rows"][0]
    assert cell.value == row["ppl"]["mean"] and cell.std == row["ppl"]["std"]
    assert cell.seeds == tuple(row["ppl"]["values"]) and len(cell.seeds) == len(SEEDS)
    assert cell.text == f"{cell.value:.2f} ± {cell.std:.2f}"  # several seeds: the spread is shown
    assert cell.title.startswith("per seed: ")


def test_cells_without_a_number_say_why():
    assert tables.stat_cell(None, "ppl", 1).text == "—"
    assert tables.stat_cell({"status": "n/a", "reason": "a table of L"}, "ppl", 1).title == "a table of L"
    diverged = {"status": "ok", "ppl": study_results.stat([None])}
    assert tables.stat_cell(diverged, "ppl", 1).text == "diverged"
    assert tables.passkey_cell({"status": "ok", "passkey": None}, 1).text == "—"


def test_the_lab_titles_say_more_than_the_report_headings():
    results = synthetic_results()
    by_id = {t.id: t for t in tables.study_tables(results)}
    assert by_id["passkey"].lab_title.endswith("models trained on code alone")
    assert "factor = length / L" in by_id["scaling-rope-1e4"].lab_title
    assert by_id["ppl"].lab_title == by_id["ppl"].title
    older = copy.deepcopy(results)
    del older["retrieval"]
    assert [t.id for t in tables.study_tables(older)][2:4] == ["passkey", "scaling-rope-1e4"]


def test_a_table_as_plain_json():
    table = tables.study_tables(synthetic_results())[0]
    data = table.to_dict()
    assert set(data) == {"id", "title", "lab_title", "first", "columns", "rows"}
    assert set(data["rows"][0]["cells"][0]) == {"text", "title", "value", "std", "seeds"}
