"""Formulas in notes and reports link nowhere: a ``\\href`` in LaTeX (a report is written from a results
file a user may have edited) must not survive as a MathML link, javascript: or any other."""

from __future__ import annotations

import pytest

from posenc.web.markup import markdown_html, math_html


@pytest.mark.parametrize(
    "latex",
    [
        r"\href{javascript:alert(1)}{x}",
        r"\href{https://example.com}{x} + 1",
        r'\href{a" onclick="alert(1)}{y}',
        r"\href{javascript:alert(1)}{\href{b}{x}}",
    ],
)
def test_an_href_in_a_formula_is_dropped(latex):
    mathml = math_html(latex, display=False)
    assert "<math" in mathml and "href" not in mathml and "javascript" not in mathml
    assert "onclick" not in mathml.replace("&quot;", "")  # the value went with the attribute


def test_a_report_with_an_href_in_its_math_renders_without_a_link():
    page = str(markdown_html("ALiBi holds: $\\href{javascript:alert(1)}{x} = 1$.\n\n$$\n\\href{x}{y}\n$$\n"))
    assert page.count("<math") == 2 and "href=" not in page and "javascript:" not in page
