"""LaTeX math -> readable Unicode text, for the terminal (``posenc notes``).

The notes write formulas as LaTeX, ``$…$`` inline and ``$$…$$`` for display; the web lab turns them
into MathML (``posenc.web.markup``), the terminal into text with :func:`to_text` (a whole Markdown
text with its formulas: :mod:`posenc.learn.math_markdown`)::

    to_text(r"\\langle R_m q, R_n k \\rangle = \\langle q, R_{n-m} k \\rangle")
        -> "⟨R_m q, R_n k⟩ = ⟨q, R_(n−m) k⟩"
    to_text(r"\\theta_i = b^{-2i/d}")                 -> "θᵢ = b^(−2i/d)"
    to_text(r"\\frac{2\\pi}{\\theta_i}")               -> "2π/θᵢ"

It reads the subset of LaTeX the notes use (a small hand-written parser, not a TeX engine):

* Greek letters and the usual symbols (``\\cdot`` ·, ``\\langle`` ⟨, ``\\top`` ᵀ, ``\\sum`` Σ, ``\\to`` →);
  ``-`` becomes the minus sign −.
* Sub- and superscripts: Unicode characters (θᵢ, λ₀, κ₁₆, qᵀ, R⁻¹, x²) when the group is one symbol
  or only digits and signs and every character has a Unicode form; otherwise ``_x``, or ``_(…)``
  in parentheses for a longer group, so R_{n-m} reads R_(n−m), never R_n-m; one upright word goes
  without them (β_fast). Within one formula, letter subscripts are all Unicode or all ``_`` (W_q next
  to Wₖ would look like two notations); ``posenc notes`` makes the same choice for a whole note.
* ``\\frac{a}{b}`` as a/b, with parentheses around a part that is not a single term; ``\\sqrt``
  as √x or √(…); ``\\text``, ``\\operatorname``, ``\\mathrm``; accents (q̃, x̄, q̂).
* Spacing follows the source: one space where the LaTeX has whitespace, ``\\quad`` two, ``\\qquad``
  four, ``\\,`` one.
* ``split`` (what the notes use: the web's latex2mathml reads it, but not ``aligned``), ``aligned``
  and ``align*`` as lines whose ``&`` points line up; ``cases`` with a brace; ``pmatrix`` and
  ``bmatrix`` as bracketed rows.

A command outside this subset raises ``ValueError`` naming it, so a note the terminal cannot show
fails the tests (``tests/learn/test_learn_math.py``) instead of printing a backslash.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["letter_subscripts_fit", "to_text"]

# --------------------------------------------------------------------------------------------------
# symbol tables
# --------------------------------------------------------------------------------------------------

GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ϵ", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "vartheta": "ϑ", "iota": "ι", "kappa": "κ",
    "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ",
    "tau": "τ", "upsilon": "υ", "phi": "ϕ", "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω",
    "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π", "Sigma": "Σ",
    "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
}  # fmt: skip

SYMBOLS = {
    "cdot": "·", "times": "×", "div": "÷", "pm": "±", "mp": "∓", "ast": "∗", "star": "⋆",
    "circ": "∘", "odot": "⊙", "otimes": "⊗", "oplus": "⊕", "to": "→", "rightarrow": "→",
    "leftarrow": "←", "gets": "←", "Rightarrow": "⇒", "Leftarrow": "⇐", "iff": "⇔",
    "Leftrightarrow": "⇔", "mapsto": "↦", "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "ne": "≠",
    "neq": "≠", "approx": "≈", "equiv": "≡", "sim": "∼", "simeq": "≃", "propto": "∝", "in": "∈",
    "notin": "∉", "subset": "⊂", "subseteq": "⊆", "ll": "≪", "gg": "≫", "infty": "∞",
    "partial": "∂", "nabla": "∇", "forall": "∀", "exists": "∃", "ldots": "…", "dots": "…",
    "cdots": "⋯", "vdots": "⋮", "ddots": "⋱", "langle": "⟨", "rangle": "⟩", "lfloor": "⌊",
    "rfloor": "⌋", "lceil": "⌈", "rceil": "⌉", "lvert": "|", "rvert": "|", "vert": "|", "mid": "|",
    "lVert": "‖", "rVert": "‖", "Vert": "‖", "top": "⊤", "perp": "⊥", "prime": "′", "ell": "ℓ",
    "sum": "Σ", "prod": "Π", "int": "∫", "blacksquare": "∎", "qed": "∎", "square": "□",
    "emptyset": "∅", "angle": "∠", "cap": "∩", "cup": "∪", "wedge": "∧", "vee": "∨", "neg": "¬",
    "lbrace": "{", "rbrace": "}", "%": "%", "#": "#", "_": "_", "&": "&", "{": "{", "}": "}",
    "|": "‖", "$": "$",
}  # fmt: skip

#: operator names written upright, as their name
FUNCTIONS = {
    "sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
    "ln", "log", "exp", "max", "min", "sup", "inf", "arg", "det", "dim", "lim", "gcd", "deg", "Pr",
    "bmod",
}  # fmt: skip

SPACES = {
    ",": " ",
    ":": " ",
    ";": " ",
    ">": " ",
    " ": " ",
    "!": "",
    "quad": "\u2003",
    "qquad": "\u2003\u2003",
}
IGNORED = {"displaystyle", "textstyle", "scriptstyle", "limits", "nolimits", "left", "right", "middle"}
SIZES = {"big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr", "Biggl", "Biggr"}
TEXT_COMMANDS = {"text", "textrm", "textit", "textbf", "texttt", "textsf", "mbox"}
STYLE_COMMANDS = {
    "mathrm",
    "operatorname",
    "mathit",
    "mathbf",
    "boldsymbol",
    "bm",
    "mathsf",
    "mathtt",
    "mathcal",
}
ACCENTS = {"hat": "\u0302", "widehat": "\u0302", "tilde": "\u0303", "widetilde": "\u0303", "bar": "\u0304",
           "overline": "\u0305", "vec": "\u20d7", "dot": "\u0307", "ddot": "\u0308"}  # fmt: skip
DOUBLE_STRUCK = {"R": "ℝ", "N": "ℕ", "Z": "ℤ", "Q": "ℚ", "C": "ℂ"}

SUPERSCRIPTS = dict(
    zip(
        "0123456789+−=()abcdefghijklmnoprstuvwxyzABDEGHIJKLMNOPRTUVWβγδθφχ⊤ᵀ",
        "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂᵝᵞᵟᶿᵠᵡᵀᵀ",
        strict=True,
    )
)
SUBSCRIPTS = dict(
    zip("0123456789+−=()aehijklmnoprstuvxβγρφχ", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓᵦᵧᵨᵩᵪ", strict=True)
)
#: superscripts that are a symbol of their own: 90^\circ is 90°, x^\prime is x′
SUPERSCRIPT_SYMBOLS = {"∘": "°", "′": "′", "'": "'", "∗": "*", "*": "*"}
DIGITS_AND_SIGNS = set("0123456789+−=()")
#: characters that make a fraction's numerator or denominator more than one term
OPERATORS = set(" +−=<>/·×,≤≥≈→←↦∈±")

#: commands whose argument is one upright word: as a script it needs no parentheses (β_fast)
WORD_COMMANDS = TEXT_COMMANDS | STYLE_COMMANDS | FUNCTIONS
OPENING = {"langle", "lfloor", "lceil", "lVert", "lvert", "lbrace"}
CLOSING = {"rangle", "rfloor", "rceil", "rVert", "rvert", "rbrace"}

QUAD = "\u2003"  # stands for \quad while a line is built; two spaces in the result


def width(text: str) -> int:
    """Terminal columns of ``text``: combining marks take none, wide characters two."""
    return sum(
        0 if unicodedata.combining(c) else 2 if c == QUAD or unicodedata.east_asian_width(c) in "WF" else 1
        for c in text
    )


# --------------------------------------------------------------------------------------------------
# boxes: a formula is one line, except environments (aligned, cases, matrices), which are several
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Box:
    lines: tuple[str, ...]
    base: int = 0  # the line that continues the surrounding text

    @property
    def width(self) -> int:
        return max((width(line) for line in self.lines), default=0)

    def flat(self) -> str:
        """One line (for a script or a fraction part): the lines joined by "; "."""
        return "; ".join(line.strip(" ") for line in self.lines if line.strip())


def hjoin(boxes: list[Box]) -> Box:
    """Boxes side by side, their base lines on one row."""
    if not boxes:
        return Box(("",))
    if all(len(b.lines) == 1 for b in boxes):
        return Box(("".join(b.lines[0] for b in boxes),))
    above = max(b.base for b in boxes)
    below = max(len(b.lines) - b.base - 1 for b in boxes)
    rows = [""] * (above + below + 1)
    for b in boxes:
        w = b.width
        top = above - b.base
        for r in range(len(rows)):
            k = r - top
            line = b.lines[k] if 0 <= k < len(b.lines) else ""
            rows[r] += line + " " * (w - width(line))
    return Box(tuple(rows), above)


def pad(text: str, size: int, align: str) -> str:
    gap = size - width(text)
    if align == "r":
        return " " * gap + text
    if align == "c":
        return " " * (gap // 2) + text + " " * (gap - gap // 2)
    return text + " " * gap


# --------------------------------------------------------------------------------------------------
# tokens and parser
# --------------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"\\[A-Za-z]+\*?|\\.|\s+|.", re.DOTALL)


@dataclass
class _Piece:
    box: Box
    function: bool = False  # an operator name such as sin: a space separates it from a following letter
    closing: bool = False  # \rangle, \rVert, …: no space before it


class _Parser:
    """Recursive descent over the token list; ``letter_subscripts`` picks Unicode or ``_`` for
    subscripts with letters (decided per formula, see :func:`to_text`)."""

    def __init__(self, latex: str, letter_subscripts: bool):
        self.tokens = _TOKEN.findall(latex)
        self.i = 0
        self.letter_subscripts = letter_subscripts
        self.plain_letter_subscript = False  # a letter subscript had no Unicode form

    # ---- token access ----------------------------------------------------------------------------

    def peek(self) -> str | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def next(self) -> str:
        token = self.peek()
        if token is None:
            raise ValueError("formula ends too early")
        self.i += 1
        return token

    def skip_space(self) -> None:
        while (token := self.peek()) is not None and token.isspace():
            self.i += 1

    def expect(self, token: str) -> None:
        self.skip_space()
        found = self.next()
        if found != token:
            raise ValueError(f"expected {token!r}, found {found!r}")

    def raw_group(self) -> str:
        """The source text of a ``{…}`` argument (for \\text and environment names)."""
        self.expect("{")
        depth, out = 1, []
        while True:
            token = self.next()
            if token == "{":
                depth += 1
            elif token == "}":
                depth -= 1
                if depth == 0:
                    return "".join(out)
            out.append(token)

    # ---- sequences -------------------------------------------------------------------------------

    def sequence(self, stops: tuple[str, ...] = ()) -> Box:
        """Atoms up to the end, a closing brace or one of ``stops`` (left unread)."""
        pieces: list[_Piece] = []
        while (token := self.peek()) is not None and token != "}" and token not in stops:
            if token.startswith("\\end"):
                break
            piece = self.atom()
            if piece is not None:
                pieces.append(self.scripts(piece))
        return self.join(pieces)

    def join(self, pieces: list[_Piece]) -> Box:
        """Pieces side by side; runs of spaces become one; a space after sin, ln, … before a letter."""
        boxes: list[Box] = []
        run: list[str] = []

        def flush() -> None:
            if run:
                text = re.sub(r" {2,}", " ", "".join(run))
                text = re.sub(f" *({QUAD}+) *", r"\1", text)  # \quad replaces the spaces around it
                text = re.sub(r"([(\[⟨⌊⌈]) +", r"\1", text)  # no space just inside a bracket
                text = re.sub(r" +([)\]⟩⌋⌉])", r"\1", text)
                boxes.append(Box((text,)))
                run.clear()

        for k, piece in enumerate(pieces):
            if len(piece.box.lines) == 1:
                if piece.closing:
                    while run and run[-1] == " ":
                        run.pop()
                before = run[-1][-1:] if run and run[-1] else ""
                if piece.function and (before.isalnum() or before in ")]"):
                    run.append(" ")  # x\cos α reads "x cos α", as LaTeX sets it
                run.append(piece.box.lines[0])
                following = pieces[k + 1].box.lines[0] if k + 1 < len(pieces) else ""
                if piece.function and following[:1].isalnum():
                    run.append(" ")
            else:
                flush()
                boxes.append(piece.box)
        flush()
        return hjoin(boxes)

    def group(self) -> Box:
        """One argument: a ``{…}`` group, or a single token (``x_i``, ``\\frac12``)."""
        self.skip_space()
        if self.peek() == "{":
            self.next()
            box = self.sequence()
            self.expect("}")
            return box
        piece = self.atom()
        if piece is None:
            raise ValueError("missing argument")
        return piece.box

    def script_group(self) -> tuple[str, bool]:
        """A sub- or superscript as text, and whether it is one upright word (``\\text{fast}``,
        ``\\max``), which reads without parentheses: β_fast, L_max."""
        self.skip_space()
        braced = self.peek() == "{"
        if braced:
            self.next()
            self.skip_space()
        start = self.i
        token = self.peek() or ""
        if token.startswith("\\") and token[1:] in WORD_COMMANDS:
            piece = self.atom()
            self.skip_space()
            if piece is not None and (not braced or self.peek() == "}"):
                if braced:
                    self.next()
                return piece.box.flat(), True
            self.i = start  # more than one word: read the whole group
        if braced:
            box = self.sequence()
            self.expect("}")
            return box.flat(), False
        piece = self.atom()
        if piece is None:
            raise ValueError("missing argument")
        return piece.box.flat(), False

    # ---- atoms -----------------------------------------------------------------------------------

    def atom(self) -> _Piece | None:
        token = self.next()
        if token.isspace():
            return _Piece(Box((" ",)))
        if token == "{":
            box = self.sequence()
            self.expect("}")
            return _Piece(box)
        if token in ("^", "_"):
            # a script with nothing before it (``{}^2``): attach to an empty base
            self.i -= 1
            return _Piece(Box(("",)))
        if token == "&" or token == "\\\\":
            raise ValueError(f"{token!r} outside an environment")
        if token == "-":
            return _Piece(Box(("−",)))
        if token == "~":
            return _Piece(Box((" ",)))
        if token == "'":
            return _Piece(Box(("'",)))
        if not token.startswith("\\"):
            return _Piece(Box((token,)))
        return self.command(token[1:])

    def command(self, name: str) -> _Piece | None:
        if name in GREEK:
            return _Piece(Box((GREEK[name],)))
        if name in SYMBOLS:
            if name in OPENING:
                self.skip_space()  # ⟨q, not ⟨ q
            return _Piece(Box((SYMBOLS[name],)), closing=name in CLOSING)
        if name in SPACES:
            return _Piece(Box((SPACES[name],)))
        if name in FUNCTIONS:
            return _Piece(Box(("mod" if name == "bmod" else name,)), function=True)
        if name in IGNORED or name in SIZES:
            self.skip_space()
            if name in ("left", "right", "middle") and self.peek() == ".":
                self.next()  # \left. is an invisible delimiter
            return None
        if name in ("frac", "dfrac", "tfrac"):
            top, bottom = self.group().flat(), self.group().flat()
            return _Piece(Box((f"{_term(top)}/{_term(bottom)}",)))
        if name == "sqrt":
            self.skip_space()
            index = ""
            if self.peek() == "[":
                self.next()
                index = self.sequence(stops=("]",)).flat()
                self.expect("]")
            inner = self.group().flat()
            root = _script(index, "^", True)[0] + "√" if index else "√"
            return _Piece(Box((root + _term(inner),)))
        if name in TEXT_COMMANDS:
            return _Piece(Box((_text(self.raw_group()),)))
        if name in STYLE_COMMANDS:
            return _Piece(Box((self.group().flat(),)), function=name == "operatorname")
        if name == "mathbb":
            inner = self.group().flat()
            return _Piece(Box(("".join(DOUBLE_STRUCK.get(c, c) for c in inner),)))
        if name in ACCENTS:
            inner = self.group().flat()
            return _Piece(Box((inner + ACCENTS[name] if width(inner) == 1 else f"{inner}{ACCENTS[name]}",)))
        if name == "begin":
            return _Piece(self.environment(self.raw_group()))
        raise ValueError(f"unsupported LaTeX command \\{name}")

    def scripts(self, piece: _Piece) -> _Piece:
        """Sub- and superscripts and primes after an atom."""
        sub = sup = None
        sub_word = sup_word = False
        primes = ""
        while (token := self.peek()) in ("^", "_", "'"):
            self.next()
            if token == "'":
                primes += "'"
            elif token == "_":
                sub, sub_word = self.script_group()
            else:
                sup, sup_word = self.script_group()
        if sub is None and sup is None and not primes:
            return piece
        text = primes
        if sub is not None:
            script, unicode_ok = _script(sub, "_", self.letter_subscripts, sub_word)
            if any(c.isalpha() for c in sub) and not unicode_ok:
                self.plain_letter_subscript = True
            text += script
        if sup is not None:
            text += _script(sup, "^", True, sup_word)[0]
        box = piece.box
        lines = list(box.lines)
        lines[box.base] += text
        return _Piece(Box(tuple(lines), box.base), piece.function)

    # ---- environments ----------------------------------------------------------------------------

    def rows(self, name: str) -> list[list[Box]]:
        """Cells of an environment body, up to its ``\\end{name}``."""
        rows: list[list[Box]] = [[]]
        while True:
            cell = self.sequence(stops=("&", "\\\\"))
            rows[-1].append(cell)
            token = self.next() if self.peek() is not None else None
            if token == "&":
                continue
            if token == "\\\\":
                rows.append([])
                continue
            if token is not None and token.startswith("\\end"):
                self.i -= 1
                end = self.next()
                if end != "\\end":
                    raise ValueError(f"unexpected {end!r}")
                found = self.raw_group()
                if found != name:
                    raise ValueError(f"\\begin{{{name}}} ended by \\end{{{found}}}")
                break
            raise ValueError(f"\\begin{{{name}}} is not closed")
        # a trailing \\ leaves an empty last row
        if len(rows) > 1 and all(not cell.flat() for cell in rows[-1]):
            rows.pop()
        return rows

    def environment(self, name: str) -> Box:
        rows = self.rows(name)
        if name in ("aligned", "align", "align*", "split", "gathered", "gather", "gather*"):
            return _aligned(rows, gathered=name.startswith("gather"))
        if name == "cases":
            return _cases(rows)
        if name in ("matrix", "pmatrix", "bmatrix", "vmatrix", "Vmatrix"):
            return _matrix(rows, name)
        raise ValueError(f"unsupported LaTeX environment {name}")


# --------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------


def _text(raw: str) -> str:
    """The content of \\text{…}: as written, with its escapes undone."""
    return re.sub(r"\\([_%&#${} ])", r"\1", raw).replace("~", " ")


def _is_term(text: str) -> bool:
    """One term: no space or operator outside parentheses (2π, θᵢ, base^(2i/d), (n−m))."""
    depth = 0
    for c in text:
        if c in "([{⟨":
            depth += 1
        elif c in ")]}⟩":
            depth -= 1
        elif depth == 0 and c in OPERATORS:
            return False
    return bool(text) and not text.startswith("−")


def _term(text: str) -> str:
    text = text.strip()
    return text if _is_term(text) else f"({text})"


def _script(text: str, kind: str, letters: bool, word: bool = False) -> tuple[str, bool]:
    """A sub- (``kind`` "_") or superscript ("^") as text, and whether it came out in Unicode.
    ``word``: the script is one upright word (β_fast), written without parentheses."""
    text = text.strip()
    if word and len(text) > 1 and text.isalpha():
        return kind + text, False
    if kind == "^" and text in SUPERSCRIPT_SYMBOLS:
        return SUPERSCRIPT_SYMBOLS[text], True
    table = SUPERSCRIPTS if kind == "^" else SUBSCRIPTS
    short = width(text) == 1 and len(text) == 1
    simple = short or all(c in DIGITS_AND_SIGNS for c in text)
    has_letter = any(c.isalpha() for c in text)
    if simple and text and all(c in table for c in text) and (letters or not has_letter or kind == "^"):
        return "".join(table[c] for c in text), True
    if width(text) == 1:
        return kind + text, False
    return f"{kind}({text})", False


def _aligned(rows: list[list[Box]], gathered: bool) -> Box:
    """Rows of ``aligned``: columns alternate right- and left-aligned (``lhs &= rhs``)."""
    cells = [[cell.flat() for cell in row] for row in rows]
    if gathered:
        size = max(width(" ".join(row)) for row in cells)
        return Box(tuple(pad(" ".join(row), size, "c").rstrip() for row in cells), 0)
    columns = max(len(row) for row in cells)
    sizes = [max((width(row[c]) for row in cells if c < len(row)), default=0) for c in range(columns)]
    lines = []
    for row in cells:
        parts = []
        for c in range(columns):
            text = row[c] if c < len(row) else ""
            parts.append(pad(text, sizes[c], "r" if c % 2 == 0 else "l"))
            if c + 1 < columns:
                parts.append(" " if c % 2 == 0 else "    ")
        lines.append("".join(parts).rstrip())
    return Box(tuple(lines), 0)


def _brace(rows: int, pieces: str) -> list[str]:
    """A tall delimiter: ``pieces`` is (single, top, middle, bottom, centre) as in "{⎧⎪⎩⎨"."""
    single, top, middle, bottom, centre = pieces
    if rows == 1:
        return [single]
    column = [top] + [middle] * (rows - 2) + [bottom]
    if rows >= 3 and centre != middle:
        column[(rows - 1) // 2] = centre
    return column


def _table(rows: list[list[Box]], align: str) -> list[str]:
    cells = [[cell.flat() for cell in row] for row in rows]
    columns = max(len(row) for row in cells)
    sizes = [max((width(row[c]) for row in cells if c < len(row)), default=0) for c in range(columns)]
    return [
        "  ".join(pad(row[c] if c < len(row) else "", sizes[c], align) for c in range(columns))
        for row in cells
    ]


def _cases(rows: list[list[Box]]) -> Box:
    lines = _table(rows, "l")
    size = max(width(line) for line in lines)
    left = _brace(len(lines), "{⎧⎪⎩⎨")
    return Box(
        tuple(f"{b} {pad(line, size, 'l')}" for b, line in zip(left, lines, strict=True)),
        (len(lines) - 1) // 2,
    )


def _matrix(rows: list[list[Box]], name: str) -> Box:
    lines = _table(rows, "r")  # right-aligned: signs and digits line up
    size = max(width(line) for line in lines)
    n = len(lines)
    delimiters = {
        "pmatrix": ("(⎛⎜⎝⎜", ")⎞⎟⎠⎟"),
        "bmatrix": ("[⎡⎢⎣⎢", "]⎤⎥⎦⎥"),
        "vmatrix": ("|││││", "|││││"),
        "Vmatrix": ("‖‖‖‖‖", "‖‖‖‖‖"),
        "matrix": ("     ", "     "),
    }[name]
    left, right = _brace(n, delimiters[0]), _brace(n, delimiters[1])
    body = [f"{a} {pad(line, size, 'l')} {b}".rstrip() for a, line, b in zip(left, lines, right, strict=True)]
    return Box(tuple(body), (n - 1) // 2)


# --------------------------------------------------------------------------------------------------
# entry point
# --------------------------------------------------------------------------------------------------


def _render(latex: str, letter_subscripts: bool) -> tuple[_Parser, Box]:
    parser = _Parser(latex, letter_subscripts)
    box = parser.sequence()
    if parser.peek() is not None:
        raise ValueError(f"unbalanced braces: unexpected {parser.peek()!r}")
    return parser, box


def letter_subscripts_fit(latex: str) -> bool:
    """Whether every subscript with a letter in ``latex`` has a Unicode form (θᵢ yes; W_q, R_(n−m) no)."""
    return not _render(latex, letter_subscripts=True)[0].plain_letter_subscript


def to_text(latex: str, letter_subscripts: bool | None = None) -> str:
    """One formula as Unicode text (several lines for an environment); ``ValueError`` for LaTeX
    outside the supported subset, naming the command.

    ``letter_subscripts``: True writes letter subscripts in Unicode where a form exists, False always
    as ``_i``; None (default) decides for the formula: Unicode unless one of them has no form (W_q
    next to Wₖ would read as two notations). A caller with several formulas in one paragraph can
    decide for all of them with :func:`letter_subscripts_fit`."""
    if letter_subscripts is None:
        letter_subscripts = letter_subscripts_fit(latex)
    parser, box = _render(latex, letter_subscripts)
    lines = [line.replace(QUAD, "  ").rstrip() for line in box.lines]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    common = min((len(line) - len(line.lstrip(" ")) for line in lines if line.strip()), default=0)
    return "\n".join(line[common:] for line in lines)
