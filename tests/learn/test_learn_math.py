"""The notes' formulas as math in both front ends.

The notes write formulas as LaTeX (``$…$`` inline, ``$$…$$`` display). The web lab turns them into
MathML with latex2mathml (``posenc.web.markup``); the terminal into Unicode text with
``posenc.learn.mathtext`` (``posenc notes``). Checked here:

* every formula of every note, as the web's Markdown parser finds it, converts to MathML without an
  error and without LaTeX leaking through (an unknown command, a stray ``&`` or ``\\\\``);
* the terminal finds the same formulas the web does;
* the Unicode text of representative formulas against strings written out by hand;
* every note as the terminal renders it at 80 columns: no LaTeX left, no line wider than 80, every
  display formula whole, nothing cut with an ellipsis;
* ``posenc notes --markdown`` prints the LaTeX source, and the pager passes colours to ``less``.
"""

from __future__ import annotations

import io
import re

import pytest
from rich.cells import cell_len
from rich.console import Console

from posenc.learn import content, notes
from posenc.learn.mathtext import letter_subscripts_fit, to_text

TOPICS = content.load_notes_index()
IDS = [t.id for t in TOPICS]


def web_math_spans(markdown: str) -> list[tuple[str, bool]]:
    """(LaTeX, display?) of every formula, as the web lab's Markdown parser (markdown-it + dollarmath)
    reads the note."""
    from posenc.web.markup import _parser

    spans = []
    for token in _parser().parse(markdown):
        if token.type in ("math_block", "math_block_label"):
            spans.append((token.content.strip(), True))
        for child in token.children or ():
            if child.type in ("math_inline", "math_inline_double"):
                spans.append((child.content.strip(), False))
    return spans


def note_spans(topic_id: str) -> list[tuple[str, bool]]:
    return web_math_spans(content.find_topic(topic_id).markdown())


# --------------------------------------------------------------------------------------------------
# the web: MathML
# --------------------------------------------------------------------------------------------------

# what latex2mathml writes when it did not understand the LaTeX (it raises only for some errors)
LEAKS = {
    "<merror": "an error element",
    "\\": "a LaTeX command it does not know, shown as text",
    ">&<": "an alignment & outside an environment it supports (aligned is not one: use split)",
    'linebreak="newline"': "a \\\\ outside an environment",
}


@pytest.mark.parametrize("topic", IDS)
def test_every_formula_converts_to_mathml_without_error(topic):
    from latex2mathml.converter import convert

    spans = note_spans(topic)
    for latex, display in spans:
        mathml = convert(latex, display="block" if display else "inline")
        for leak, meaning in LEAKS.items():
            assert leak not in mathml, f"{topic}: {latex!r} gives {meaning}: {mathml[:300]}"


def test_the_notes_write_their_formulas_as_math():
    spans = [span for topic in IDS for span in note_spans(topic)]
    assert sum(display for _, display in spans) >= 25  # display formulas across the notes
    assert len(spans) >= 200
    # the formulas the issue names, now LaTeX
    sources = "\n".join(t.path.read_text(encoding="utf-8") for t in TOPICS)
    for latex in (
        r"\langle R_m q, R_n k \rangle = \langle q, R_{n-m} k \rangle",
        r"\theta_i &= \text{base}^{-2i/d}",
        r"\lambda_i &= \frac{2\pi}{\theta_i}",
    ):
        assert latex in sources, latex


@pytest.mark.parametrize("topic", IDS)
def test_formulas_hold_no_double_braces(topic):
    """``{{`` would be read as a placeholder and ``}}`` fails the placeholder check of the content
    tests: write ``\\sqrt d``, ``\\beta_\\text{fast}``, or put a space between the braces."""
    for latex, _ in note_spans(topic):
        assert "{{" not in latex and "}}" not in latex, f"{topic}: {latex!r}"


@pytest.mark.parametrize("topic", IDS)
def test_terminal_and_web_find_the_same_formulas(topic):
    markdown = content.find_topic(topic).markdown()
    ours = [(latex.strip(), display) for latex, display in notes.math_spans(markdown)]
    assert ours == web_math_spans(markdown)


# --------------------------------------------------------------------------------------------------
# the terminal: LaTeX -> Unicode text, against hand-written strings
# --------------------------------------------------------------------------------------------------

EXPECTED = [
    # Greek, operators, minus
    (r"\alpha + \beta - \gamma \cdot \Delta \le \theta \lambda \zeta", "α + β − γ · Δ ≤ θ λ ζ"),
    # \langle \rangle, and a subscript group with an operator: R_(n−m), never R_n-m
    (r"\langle R_m q, R_n k \rangle = \langle q, R_{n-m} k \rangle", "⟨R_m q, R_n k⟩ = ⟨q, R_(n−m) k⟩"),
    (r"\langle R_m q, R_n k \rangle", "⟨Rₘ q, Rₙ k⟩"),
    # fractions: a single term as is, anything else in parentheses
    (r"\frac{2\pi}{\theta_i}", "2π/θᵢ"),
    (r"\frac{n - m}{B}", "(n − m)/B"),
    (r"\frac{q^\top k}{t \sqrt d}", "(qᵀ k)/(t √d)"),
    (r"\alpha_i = \frac{L/\lambda_i - l}{h - l}", "αᵢ = (L/λᵢ − l)/(h − l)"),
    # sub- and superscripts, nested
    (r"\theta_i = \text{base}^{-2i/d}", "θᵢ = base^(−2i/d)"),
    (r"\zeta_i^{(m-n)/B}", "ζᵢ^((m−n)/B)"),
    (r"b' = b \cdot s^{d/(d-2)}", "b' = b · s^(d/(d−2))"),
    (r"\theta'_i = b'^{-2i/d}", "θ'ᵢ = b'^(−2i/d)"),
    (r"x'_{2i+1} = x_{2i} \sin(m\theta_i)", "x'_(2i+1) = x_(2i) sin(mθ_i)"),
    (r"z'_i = z_i \cdot e^{\mathrm{i} m \theta_i}", "z'ᵢ = zᵢ · e^(i m θᵢ)"),
    (r"R(\alpha)^\top = R(-\alpha) = R(\alpha)^{-1}", "R(α)ᵀ = R(−α) = R(α)⁻¹"),
    (r"R_m^\top R_n = R_{n-m}", "R_mᵀ R_n = R_(n−m)"),
    (r"\kappa_0, \kappa_{16}, \kappa_{31}", "κ₀, κ₁₆, κ₃₁"),
    (r"\kappa_{d/2-1} = s", "κ_(d/2−1) = s"),
    (r"r_i > \beta_\text{fast}", "r_i > β_fast"),
    (r"L_{\max} \times d", "L_max × d"),
    (r"\text{score}_{ij}", "score_(ij)"),
    (r"90^\circ", "90°"),
    # one formula writes its letter subscripts one way: W_q has no Unicode form, so no Wₖ either
    (r"Q = X W_q, \quad K = X W_k", "Q = X W_q,  K = X W_k"),
    # \sqrt, \sum with a subscript, operator names, accents, spacing commands
    (r"\sqrt{d_k}", "√dₖ"),
    (r"\sqrt{1 + \ln s / \ln L}", "√(1 + ln s / ln L)"),
    (r"\sum_{i} q_i k_i", "Σᵢ qᵢ kᵢ"),
    (r"\sum_{i=0}^{d/2-1} x_i", "Σ_(i=0)^(d/2−1) x_i"),
    (r"\operatorname{Attn}(PX) = P \cdot \operatorname{Attn}(X)", "Attn(PX) = P · Attn(X)"),
    (r"x \cos\alpha + \ln(s)", "x cos α + ln(s)"),
    (r"\tilde q_i \operatorname{conj}(\tilde k_i)", "q̃ᵢ conj(k̃ᵢ)"),
    (r"\lVert R(\alpha)\, x \rVert = \lVert x \rVert", "‖R(α) x‖ = ‖x‖"),
    (r"\left\lfloor \frac{d}{2} \right\rfloor", "⌊d/2⌋"),
    (r"a \qquad b \quad c", "a    b  c"),
    (r"m_h = 2^{-8h/n}, \qquad h = 1, \ldots, n", "mₕ = 2^(−8h/n),    h = 1, …, n"),
    # aligned derivations: the relation signs line up
    (
        r"""\begin{split}
        \langle R_m q, R_n k \rangle &= (R_m q)^\top (R_n k) \\
        &= q^\top R_m^\top R_n k \\
        &= q^\top R_{n-m} k \qquad \blacksquare
        \end{split}""",
        "⟨R_m q, R_n k⟩ = (R_m q)ᵀ (R_n k)\n"
        "               = qᵀ R_mᵀ R_n k\n"
        "               = qᵀ R_(n−m) k    ∎",
    ),
    (
        r"\begin{aligned} \theta_i &= b^{-2i/d} \\ \lambda_i &= 2\pi/\theta_i \end{aligned}",
        "θᵢ = b^(−2i/d)\nλᵢ = 2π/θᵢ",
    ),
    # cases and matrices
    (
        r"f(x) = \begin{cases} 1 & \text{if } x > 0 \\ 0 & \text{otherwise} \end{cases}",
        "f(x) = ⎧ 1  if x > 0\n       ⎩ 0  otherwise",
    ),
    (
        r"R(\alpha) = \begin{bmatrix} \cos\alpha & -\sin\alpha \\ \sin\alpha & \cos\alpha \end{bmatrix}",
        "R(α) = ⎡ cos α  −sin α ⎤\n       ⎣ sin α   cos α ⎦",
    ),
]


@pytest.mark.parametrize(("latex", "expected"), EXPECTED)
def test_mathtext_against_hand_written_text(latex, expected):
    assert to_text(latex) == expected


def test_letter_subscripts_can_be_chosen_for_a_whole_note():
    assert letter_subscripts_fit(r"\theta_i + R_m") is True
    assert letter_subscripts_fit(r"\theta_i + R_{n-m}") is False
    assert letter_subscripts_fit(r"\lambda_0 + \kappa_{16}") is True  # digit subscripts are not letters
    assert to_text(r"\theta_i", letter_subscripts=False) == "θ_i"
    assert to_text(r"\theta_i", letter_subscripts=True) == "θᵢ"


@pytest.mark.parametrize(
    ("latex", "message"),
    [
        (r"\foo x", r"unsupported LaTeX command \\foo"),
        (r"\begin{tabular}{c} x \end{tabular}", "unsupported LaTeX environment tabular"),
        (r"\frac{a}{b", "formula ends too early"),
        (r"a } b", "unbalanced braces"),
        (r"a & b", "outside an environment"),
    ],
)
def test_mathtext_names_what_it_cannot_read(latex, message):
    with pytest.raises(ValueError, match=message):
        to_text(latex)


# --------------------------------------------------------------------------------------------------
# the terminal: every note rendered at 80 columns
# --------------------------------------------------------------------------------------------------


def rendered(topic_id: str, width: int = 80) -> str:
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    console.print(notes.render(content.find_topic(topic_id).markdown()))
    return console.export_text()


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("topic", IDS)
def test_terminal_note_has_no_latex_left(topic):
    text = rendered(topic)
    assert not re.findall(r"\\[A-Za-z]+", text), f"{topic}: a LaTeX command reached the terminal"
    assert "$" not in text
    assert text.count("{") == text.count("}"), f"{topic}: unbalanced braces"
    # and no brace of LaTeX grouping survives in any formula's text
    for latex, _ in notes.math_spans(content.find_topic(topic).markdown()):
        assert not re.search(r"[{}]", to_text(latex)), latex


@pytest.mark.parametrize("topic", IDS)
def test_terminal_note_fits_80_columns_and_shows_every_formula_whole(topic):
    markdown = content.find_topic(topic).markdown()
    text = rendered(topic)
    too_wide = [line for line in text.splitlines() if cell_len(line) > 80]
    assert not too_wide, f"{topic}: {too_wide[:2]}"
    # rich cuts a word that does not fit a table column with "…": the notes' cells fold instead
    assert not re.search(r"[\w)]…", text), f"{topic}: something was cut at the column's edge"
    letters = all(letter_subscripts_fit(latex) for latex, _ in notes.math_spans(markdown))
    flat = squeeze(text)
    # table cells fold a long formula between the other columns: look at formulas outside tables
    outside_tables = "\n".join(line for line in markdown.splitlines() if not line.lstrip().startswith("|"))
    for latex, display in notes.math_spans(outside_tables):
        formula = to_text(latex, letters)
        if display:
            # short enough not to need wrapping in a code block (2 columns of padding, 2 of margin)
            assert all(cell_len(line) <= 76 for line in formula.splitlines()), formula
        assert squeeze(formula) in flat, f"{topic}: {formula!r} is not shown whole"


def test_a_narrow_terminal_wraps_a_formula_instead_of_cutting_it():
    text = rendered("relative-proof", width=40)
    assert all(cell_len(line) <= 40 for line in text.splitlines())
    assert squeeze("⟨R_m q, R_n k⟩ = ⟨q, R_(n−m) k⟩ = g(q, k, n − m)") in squeeze(text)


def test_inline_formula_text_is_markdown_escaped():
    # an underscore or a pipe from a formula must not start emphasis or end a table cell
    out = notes.terminal_markdown("a $(x)_{(i)} \\lvert y \\rvert$ b `$kept$`")
    assert out == "a (x)\\_((i)) \\|y\\| b `$kept$`"


def test_display_formula_becomes_a_code_block_and_code_stays_code():
    source = "text\n\n$$\n\\theta_i = b^{-2i/d}\n$$\n\n```python\nx = '$a$'\n```\n"
    expected = "text\n\n```text\nθᵢ = b^(−2i/d)\n```\n\n```python\nx = '$a$'\n```\n"
    assert notes.terminal_markdown(source) == expected


# --------------------------------------------------------------------------------------------------
# the command: --markdown prints LaTeX; the pager gets colours through less
# --------------------------------------------------------------------------------------------------


def test_notes_markdown_prints_the_latex_source(monkeypatch, capsys):
    from posenc.cli import main

    monkeypatch.setenv("COLUMNS", "200")
    assert main(["notes", "relative-proof", "--markdown"]) == 0
    out = capsys.readouterr().out
    assert "$$" in out and r"\langle R_m q, R_n k \rangle" in out and "{{" not in out


@pytest.mark.parametrize(
    ("environ", "colours", "extra"),
    [
        ({}, True, {"LESS": "-R"}),  # less with LESS unset: add -R
        ({"LESS": "-FRX"}, True, {}),  # the user's own setting passes colours
        ({"LESS": "-r"}, True, {}),
        ({"LESS": "-X"}, False, {}),  # their setting, kept; then no colours
        ({"PAGER": "less"}, True, {"LESS": "-R"}),
        ({"PAGER": "/usr/bin/less -S"}, True, {"LESS": "-R"}),
        ({"PAGER": "more"}, True, {}),  # another pager: left alone
        ({"MANPAGER": "most", "PAGER": "less"}, True, {}),  # pydoc reads MANPAGER first
    ],
)
def test_pager_settings(environ, colours, extra):
    assert notes.pager_settings(environ) == (colours, extra)


@pytest.fixture
def paged(monkeypatch):
    """Run ``posenc notes clock`` as on a terminal; record what pydoc's pager got and LESS then."""
    import os
    import pydoc

    from posenc.cli import main

    calls = []
    monkeypatch.setattr(Console, "is_terminal", property(lambda self: True))
    monkeypatch.setattr(pydoc, "pager", lambda text: calls.append((text, os.environ.get("LESS"))))
    for name in ("PAGER", "MANPAGER", "LESS", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")

    def run(**env):
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        assert main(["notes", "clock"]) == 0
        return calls[-1]

    return run


def test_pager_starts_less_with_colours_when_less_is_unset(paged):
    import os

    text, less = paged()
    assert less == "-R" and "\x1b[" in text  # colours, and less will show them
    assert "LESS" not in os.environ  # set for the pager only


def test_pager_without_raw_control_gets_plain_text(paged):
    text, less = paged(LESS="-X")
    assert less == "-X" and "\x1b[" not in text and "clock" in text


# --------------------------------------------------------------------------------------------------
# the quiz, the grill, the cards and the practice: the same math as the notes
# --------------------------------------------------------------------------------------------------


def _content_texts() -> list[tuple[str, str]]:
    """(where, Markdown) of every text field of the quiz, grill, cards and practice files."""
    import yaml

    out: list[tuple[str, str]] = []

    def walk(value, where: str) -> None:
        if isinstance(value, str):
            out.append((where, value))
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{where}.{key}")
        elif isinstance(value, list):
            for n, item in enumerate(value):
                walk(item, f"{where}[{n}]")

    for name in ("quiz", "grill", "cards", "practice"):
        walk(yaml.safe_load((content.DATA_DIR / f"{name}.yaml").read_text(encoding="utf-8")), name)
    return out


#: ASCII and Unicode stand-ins for math the content wrote before it used LaTeX: θ_i, R_(n−m), ^(, ⟨…⟩
ASCII_MATH = re.compile(r"[θλκζ]_|R_\(|\^\(|⟨|ᵀ|√\(")


def test_quiz_grill_cards_and_practice_write_math_as_the_notes_do():
    texts = _content_texts()
    spans = [(where, latex, display) for where, text in texts for latex, display in notes.math_spans(text)]
    assert len(spans) >= 150 and sum(display for _, _, display in spans) >= 15
    for where, text in texts:
        outside = re.sub(r"\$\$.*?\$\$|\$[^$]*\$|`[^`]*`", "", text, flags=re.S)
        assert not ASCII_MATH.search(outside), f"{where}: ASCII math outside $…$: {outside[:200]!r}"


def test_the_contents_formulas_convert_on_the_web_and_in_the_terminal():
    from latex2mathml.converter import convert

    for where, text in _content_texts():
        for latex, display in web_math_spans(text):
            mathml = convert(latex, display="block" if display else "inline")
            for leak, meaning in LEAKS.items():
                assert leak not in mathml, f"{where}: {latex!r} gives {meaning}"
            assert "{{" not in latex and "}}" not in latex, f"{where}: {latex!r}"
            to_text(latex)  # raises on LaTeX the terminal cannot print
        shown = notes.terminal_markdown(text)
        assert "$" not in shown and "\\frac" not in shown and "\\theta" not in shown, where


def test_a_quiz_formula_reads_the_same_in_the_terminal():
    from posenc.learn.terminal import inline

    question = next(q for q in content.load_quiz().mcq if q.id == "multiple-frequencies").question
    assert (
        inline(question).plain
        == "Why does RoPE use many different frequencies θᵢ = base^(−2i/d) instead of one?"
    )
