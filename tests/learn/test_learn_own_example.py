"""The note "Try it on your model": every number it quotes is read from the results.json that
`posenc eval` wrote for its worked example (learn/data/own_model_example.json), and every direction its
sentences state holds in that file. The file itself is checked as an own-model results file, so a
hand-edited or invented one fails here."""

from __future__ import annotations

import math
import re

import pytest

from posenc.learn import numbers, own_example
from posenc.learn.content import NOTES_DIR

DATA = own_example.load_example()
NONE, YARN = own_example.rows("none"), own_example.rows("yarn:4")
NOTE = (NOTES_DIR / "12-your-model.md").read_text(encoding="utf-8")


def test_the_file_is_what_posenc_eval_writes(tmp_path):
    from posenc.evaluate.own_results import read_results

    (tmp_path / "results.json").write_bytes(own_example.EXAMPLE_FILE.read_bytes())
    data = read_results(tmp_path)  # strict: the format, the evaluations, no NaN or Infinity
    assert data["format"] == "posenc-own-eval/1" and data["model_type"] == "llama"
    for key in ("none", "yarn:4"):
        for row in data["evals"][key]["rows"]:
            # the recorded perplexities are exp of the recorded mean losses (same row, independent fields)
            assert row["ppl"] == pytest.approx(math.exp(row["loss"]), rel=1e-9)
            assert row["last_ppl"] == pytest.approx(math.exp(row["last_loss"]), rel=1e-9)
            assert row["tokens"] == row["windows"] * (row["length"] - 1)
            assert row["basis"]["rope_scaling"] == (None if key == "none" else "yarn:4")
            assert row["basis"]["model_sha256"] == data["model_sha256"]


@pytest.mark.parametrize("name", [n for n in numbers.names() if n.startswith("own_example_")])
def test_every_placeholder_is_used_or_reads_the_file(name):
    value = numbers.value(name)
    if name.startswith(("own_example_ppl_", "own_example_last_")):
        _, _, field, scaling, k = name.split("_")
        row = (NONE if scaling == "none" else YARN)[int(k.rstrip("x"))]
        assert float(value) == pytest.approx(row["ppl" if field == "ppl" else "last_ppl"], abs=0.005)


def test_the_table_quotes_each_row():
    table = numbers.value("own_example_table")
    for k, row in NONE.items():
        line = next(x for x in table.splitlines() if x.startswith(f"| {row['length']} ({k}×)"))
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert [float(c) for c in cells[1:5]] == pytest.approx(
            [row["ppl"], row["last_ppl"], YARN[k]["ppl"], YARN[k]["last_ppl"]], abs=0.005
        )


def test_the_directions_the_note_states_hold():
    assert NONE[8]["last_ppl"] > 1.5 * NONE[1]["last_ppl"]  # degrades past L
    assert YARN[1]["last_ppl"] > NONE[1]["last_ppl"]  # a little worse inside L
    assert YARN[4]["last_ppl"] < NONE[4]["last_ppl"] / 1.5  # holds up to its factor
    assert YARN[8]["last_ppl"] > YARN[4]["last_ppl"]  # and rises beyond it
    assert all(p["accuracy"] == 0 for p in NONE[1]["passkey_by_depth"])  # 0% even at 1x


def test_the_note_names_its_placeholders_and_the_commands_it_ran():
    used = set(re.findall(r"\{\{(own_example_\w+)\}\}", NOTE))
    assert {"own_example_table", "own_example_setup"} <= used
    first = DATA["evals"]["none"]["rows"][0]["basis"]
    assert f"--windows {first['windows']}" in NOTE
    assert "--passkey-depths " + ",".join(f"{d:g}" for d in first["passkey_depths"]) in NOTE
