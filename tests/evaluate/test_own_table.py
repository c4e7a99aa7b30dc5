"""`posenc eval MODEL`'s terminal table at 80 columns: no line wider, no number cut.

The rows are the worked example's, measured for real (``learn/data/own_model_example.json``), and rows
made to be wide (a 65,536-token length, five depths all at 100 %); the expected cell texts are the
numbers written in their usual formats, looked for whole in the printed lines.
"""

from __future__ import annotations

import io
import json
import re
from importlib import resources

from rich.cells import cell_len
from rich.console import Console

from posenc.evaluate.own_cli import print_own_table

EXAMPLE = json.loads(resources.files("posenc.learn").joinpath("data/own_model_example.json").read_text())


def rendered(result: dict) -> list[str]:
    console = Console(width=80, file=io.StringIO(), record=True, color_system=None)
    print_own_table(result, console)
    return console.export_text().splitlines()


def passkey_cells(lines: list[str]) -> list[str]:
    """The last column's text per row, its wrapped lines joined with a space."""
    cells: list[str] = []
    for line in lines:
        if not line.startswith("│"):
            continue
        parts = [part.strip() for part in line.strip("│").split("│")]
        if parts[0]:
            cells.append(parts[-1])
        else:
            cells[-1] += " " + parts[-1]
    return cells


def example(key: str) -> dict:
    meta = {k: EXAMPLE[k] for k in ("model", "model_type", "train_length")}
    return {**meta, **EXAMPLE["evals"][key]}


def numbers(row: dict) -> list[str]:
    figures = [f"{row['tokens']:,}", f"{row['loss']:.4f}", f"{row['ppl']:.3f}", f"{row['last_ppl']:.3f}"]
    return [str(row["length"]), *figures]


def test_the_worked_example_prints_one_line_a_row_within_80_columns():
    for key in EXAMPLE["evals"]:
        result = example(key)
        lines = rendered(result)
        assert max(cell_len(line) for line in lines) <= 80, "\n".join(lines)
        body = [line for line in lines if line.startswith("│")]
        assert len(body) == len(result["rows"]), "a row wrapped:\n" + "\n".join(lines)
        for line, row in zip(body, result["rows"], strict=True):
            cells = [cell.strip() for cell in line.strip("│").split("│")]
            assert cells[0].split()[0] == str(row["length"])
            assert cells[1:5] == numbers(row)[1:]
            depths = row["passkey_by_depth"] or [row["passkey"]]
            assert cells[5].split() == [f"{p['accuracy']:.0%}" for p in depths]
        header = "\n".join(lines)
        assert "of 10" in header and re.search(r"@0 +@0\.5 +@1", header)  # the depths named once, in order


def wide_row(length: int, depths: list[float], trials: int) -> dict:
    by_depth = [{"trials": trials, "accuracy": 1.0, "depth": d} for d in depths]
    return {
        "length": length, "multiple": length / 4096, "windows": 4, "tokens": 4 * (length - 1),
        "loss": 9.4187, "ppl": 12345.678, "last_ppl": 23456.789,
        "passkey": by_depth[0], "passkey_by_depth": by_depth,
    }  # fmt: skip


def test_wide_rows_wrap_between_numbers_never_through_one():
    depths = [0, 0.25, 0.5, 0.75, 1]
    rows = [wide_row(n, depths, 100) for n in (4096, 16384, 65536)]
    result = {
        "model": "Qwen2.5-0.5B-Instruct-long-context-test", "model_type": "qwen2", "train_length": 4096,
        "rope_scaling": "yarn:8", "text": "/home/someone/corpora/a-rather-long-file-name.txt", "rows": rows,
    }  # fmt: skip
    lines = rendered(result)
    assert max(cell_len(line) for line in lines) <= 80, "\n".join(lines)
    text = "\n".join(lines)
    for row in rows:
        for number in numbers(row):
            assert number in text, f"{number} cut:\n{text}"
    assert len(re.findall(r"(?<![0-9])100%", text)) == len(rows) * len(depths)


def test_rows_asked_differently_say_their_depths_and_trials_in_each_cell():
    rows = [wide_row(4096, [0, 0.5, 1], 10), wide_row(8192, [0, 1], 20)]
    meta = {"model": "m", "model_type": "llama", "train_length": 4096, "rope_scaling": None, "text": "t"}
    lines = rendered({**meta, "rows": rows})
    text = "\n".join(lines)
    assert max(cell_len(line) for line in lines) <= 80, text
    assert passkey_cells(lines) == ["100%@0 100%@0.5 100%@1 (10 trials)", "100%@0 100%@1 (20 trials)"], text
