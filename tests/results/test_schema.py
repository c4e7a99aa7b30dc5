"""The one validator every JSON file posenc reads back goes through (issue 37, "parse, don't trust")."""

import json

import pytest

from posenc.results.schema import (
    JSON,
    MAX_DEPTH,
    Const,
    Int,
    List,
    Map,
    Num,
    Obj,
    Opt,
    SchemaError,
    Str,
    load_json,
    row_sha256,
    seal_problem,
    sealed,
    validate,
)

ROW = Obj({"length": Int(min=1), "loss": Opt(Num())}, optional={"reason": Str()})
FILE = Obj({"format": Const("demo/1"), "evals": Map(Obj({"rows": List(ROW)}))})


def good() -> dict:
    return {"format": "demo/1", "evals": {"none": {"rows": [{"length": 64, "loss": 1.5}]}}}


def write(tmp_path, text: str | bytes):
    path = tmp_path / "eval.json"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def test_a_good_file_is_returned_as_parsed(tmp_path):
    assert load_json(write(tmp_path, json.dumps(good())), FILE) == good()


@pytest.mark.parametrize(
    ("edit", "field", "words"),
    [
        (lambda d: d["evals"]["none"]["rows"][0].update(length=[1]), "evals.none.rows[0].length", "a list"),
        (lambda d: d["evals"]["none"]["rows"][0].update(length=True), "rows[0].length", "true"),
        (lambda d: d["evals"]["none"]["rows"][0].update(length=2.0), "rows[0].length", "whole number"),
        (lambda d: d["evals"]["none"]["rows"][0].update(loss="x"), "rows[0].loss", 'the text "x"'),
        (lambda d: d["evals"]["none"]["rows"][0].pop("length"), "rows[0].length", "is missing"),
        (lambda d: d.update(format="other/1"), "format", '"demo/1"'),
        (lambda d: d["evals"].update({"a b": []}), 'evals["a b"]', "a list"),
    ],
)
def test_a_wrong_field_is_one_line_naming_the_file_and_the_field(tmp_path, edit, field, words):
    data = good()
    edit(data)
    with pytest.raises(SchemaError) as caught:
        load_json(write(tmp_path, json.dumps(data)), FILE, advice="move it away")
    message = str(caught.value)
    assert "\n" not in message and "eval.json" in message and field in message and words in message
    assert message.endswith("move it away")


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_numbers_are_refused_where_they_enter(tmp_path, number):
    text = json.dumps(good()).replace("1.5", number)
    with pytest.raises(SchemaError, match=r"eval\.json.*not valid JSON"):
        load_json(write(tmp_path, text), FILE)


def test_a_non_finite_float_in_parsed_data_is_refused_too():
    with pytest.raises(SchemaError, match=r"x: extra is inf, not a finite number"):
        validate({"extra": float("inf")}, Obj({}), "x")


def test_nesting_is_bounded_in_free_fields_and_in_the_parser(tmp_path):
    deep = {
        "format": "demo/1",
        "evals": {},
        "note": json.loads("[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5)),
    }
    with pytest.raises(SchemaError, match=f"nested deeper than {MAX_DEPTH}"):
        validate(deep, FILE, "f.json")
    with pytest.raises(SchemaError, match="nested too deeply"):
        load_json(write(tmp_path, "[" * 100_000 + "]" * 100_000), FILE)


def test_bad_bytes_and_bad_syntax_name_the_file_and_where(tmp_path):
    with pytest.raises(SchemaError, match=r"eval\.json' is not UTF-8 text \(byte 0xff on line 2\)"):
        load_json(write(tmp_path, b'{\n"format": "\xff"}'), FILE)
    with pytest.raises(SchemaError, match=r"line 1 column 2"):
        load_json(write(tmp_path, "{x"), FILE)


def test_reads_are_bounded(tmp_path):
    with pytest.raises(SchemaError, match="larger than 1 MiB"):
        load_json(write(tmp_path, " " * (2 << 20)), FILE, max_bytes=1 << 20)


def test_extra_none_refuses_unknown_fields():
    with pytest.raises(SchemaError, match=r"f: b is not a field"):
        validate({"a": 1, "b": 2}, Obj({"a": Int()}, extra=None), "f")
    assert validate({"a": 1, "b": [2]}, Obj({"a": Int()}, extra=JSON()), "f") == {"a": 1, "b": [2]}


def test_a_rule_spanning_fields_names_its_field():
    spec = Obj({"score": Int(), "asked": Int()}, rule=lambda v: ("score", "is more than asked")
               if v["score"] > v["asked"] else None)  # fmt: skip
    with pytest.raises(SchemaError, match=r"quiz: score is more than asked"):
        validate({"score": 5, "asked": 4}, spec, "quiz")


def test_a_sealed_row_detects_an_edited_number_and_a_missing_checksum():
    row = sealed({"length": 64, "loss": 1.5, "basis": {"model_sha256": "ab" * 32}})
    assert seal_problem(row) is None
    # the checksum is SHA-256 of the canonical JSON, computed here independently of the code under test
    import hashlib

    body = '{"basis":{"model_sha256":"' + "ab" * 32 + '"},"length":64,"loss":1.5}'
    assert row["sha256"] == hashlib.sha256(body.encode()).hexdigest() == row_sha256(row)
    # it survives a round trip through a file
    assert seal_problem(json.loads(json.dumps(row, indent=2))) is None
    assert "fails its checksum" in seal_problem({**row, "loss": 1.4})
    assert "fails its checksum" in seal_problem({**row, "basis": {"model_sha256": "cd" * 32}})
    assert "no checksum" in seal_problem({"length": 64, "loss": 1.5})
