"""posenc.results.jsonsafe: values made JSON-safe on the way out, strict parsing on the way in."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from posenc.results.jsonsafe import NonFiniteNumber, loads_strict, to_jsonable


def test_to_jsonable_converts_tensors_and_non_finite_floats():
    data = {"t": torch.tensor([1.5, 2.0]), "scalar": torch.tensor(3), "nan": math.nan, "tuple": (1, 2)}
    assert to_jsonable(data) == {"t": [1.5, 2.0], "scalar": 3, "nan": None, "tuple": [1, 2]}


def test_to_jsonable_reaches_inside_tuples_numpy_and_paths():
    data = {"log": (1.0, math.inf), "np": np.array([0.5, np.nan]), "where": Path("runs/a"), 2: "two"}
    assert to_jsonable(data) == {"log": [1.0, None], "np": [0.5, None], "where": "runs/a", "2": "two"}


def test_to_jsonable_detaches_a_tensor_that_needs_grad():
    assert to_jsonable(torch.tensor([1.0], requires_grad=True) * 2) == [2.0]


def test_to_jsonable_output_is_strict_json():
    text = json.dumps(to_jsonable({"a": [math.nan, -math.inf, 1.0]}), allow_nan=False)
    assert json.loads(text) == {"a": [None, None, 1.0]}


@pytest.mark.parametrize(
    ("text", "kind", "literal"), [("[NaN]", "constant", "NaN"), ("1e400", "overflow", "1e400")]
)
def test_loads_strict_rejects_numbers_json_has_not(text, kind, literal):
    with pytest.raises(NonFiniteNumber) as caught:
        loads_strict(text)
    assert (caught.value.kind, caught.value.literal) == (kind, literal)
    assert isinstance(caught.value, ValueError)


def test_loads_strict_reads_plain_json_and_leaves_syntax_errors_to_json():
    assert loads_strict('{"a": [1, 2.5, null]}') == {"a": [1, 2.5, None]}
    with pytest.raises(json.JSONDecodeError):
        loads_strict("{")
