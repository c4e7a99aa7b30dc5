"""What `posenc exp NAME` prints, at 80 columns: no table cell or header cut (rich marks a cut with …),
numbers in one style (47,117 and 1.8 × 10⁻⁷, never 4.712e+04 or 1.8e-07), no raw Markdown."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from posenc.experiments import EXPERIMENTS, load
from posenc.results.formatting import base, num, signed


@pytest.fixture(scope="module", params=list(EXPERIMENTS))
def printed(request, tmp_path_factory) -> str:
    name = request.param
    options = {"train": False} if name == "rope-base" else {}
    results = load(name).run(tmp_path_factory.mktemp(f"exp-{name}"), quick=True, **options)
    console = Console(width=80, file=io.StringIO(), color_system=None, highlight=False)
    for item in load(name).summary(results):
        console.print(item)
    return console.file.getvalue()


def test_nothing_is_cut(printed):
    assert all(len(line) <= 80 for line in printed.splitlines())
    cut = [line for line in printed.splitlines() if re.search(r"…\s*[│┃]", line)]
    assert not cut, cut


def test_numbers_in_one_style(printed):
    assert not re.search(r"\d\.?\d*e[+-]\d", printed), re.search(r".{25}\de[+-]\d.{5}", printed).group(0)
    # 10,000 and up carry separators (a tensor shape such as [32768, 64] is code, not prose)
    assert not re.search(r"(?<![\d.,×\[])\d{5,}", printed), re.search(r".{20}(?<![\d.,×\[])\d{5,}", printed)


def test_no_raw_markdown(printed):
    assert "`" not in printed and "**" not in printed


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (47117.24, "47,117"),
        (4080185.1, "4,080,185"),
        (628.32, "628.3"),
        (6.28318, "6.283"),
        (0.00324, "0.00324"),
        (1.77e-7, "1.8 × 10⁻⁷"),
        (-0.137, "−0.137"),
        (0.0, "0"),
        (9999.7, "10,000"),
    ],
)
def test_num(value, text):
    assert num(value) == text


def test_base_and_signed():
    assert [base(b) for b in (1e2, 1e4, 5e5, 1e6)] == ["1e2", "1e4", "5e5", "1e6"]
    assert base(1.7497e7, 3) == "1.75e7"
    assert [signed(x, 2) for x in (0.345, -0.137, -0.001, 0.0)] == ["+0.34", "−0.14", "0.00", "0.00"]
