"""Numbers quoted by the content equal the library's values and their closed forms.

Every ``{{placeholder}}`` value is checked here against a closed form written in this file with
``math`` (the papers' formulas), and the wavelength table rendered into the notes is parsed back
and compared with ``posenc.encodings.rope.frequencies`` and with 2π·base^(2i/d). A last test
fails when a note or content file types a derived number by hand instead of using a placeholder.
"""

from __future__ import annotations

import math
import re

import pytest

from posenc.learn import content, numbers

# --------------------------------------------------------------------------------------------------
# closed forms
# --------------------------------------------------------------------------------------------------


def wavelength(base: float, i: int, d: int = 64) -> float:
    return 2 * math.pi * base ** (2 * i / d)


def turns(length: int, base: float, d: int = 64) -> int:
    return sum(wavelength(base, i, d) <= length for i in range(d // 2))


def yarn_bands(d=64, base=1e6, original=2048, beta_fast=32, beta_slow=1):
    """(kept, ramp, interpolated) pair counts from YaRN's correction range (floor / ceil)."""

    def dim(rotations):
        return d * math.log(original / (rotations * 2 * math.pi)) / (2 * math.log(base))

    lo, hi = math.floor(dim(beta_fast)), math.ceil(dim(beta_slow))
    return lo + 1, hi - lo - 1, d // 2 - hi


def llama3_bands(d=128, base=5e5, original=8192, low=1, high=4):
    lam = [wavelength(base, i, d) for i in range(d // 2)]
    kept = sum(w < original / high for w in lam)
    divided = sum(w > original / low for w in lam)
    return kept, len(lam) - kept - divided, divided


def alibi(n: int) -> list[float]:
    def geometric(k):
        return [2 ** (-8 * (h + 1) / k) for h in range(k)]

    lower = 2 ** int(math.log2(n))
    return geometric(lower) + geometric(2 * lower)[0::2][: n - lower]


def t5_bucket(relative: int, bidirectional: bool, num_buckets: int = 32, max_distance: int = 128) -> int:
    """Raffel et al. 2020 / Mesh TensorFlow's bucketing, written out with math.log."""
    bucket = 0
    if bidirectional:
        num_buckets //= 2
        bucket += num_buckets if relative > 0 else 0
        n = abs(relative)
    else:
        n = max(-relative, 0)
    exact = num_buckets // 2
    if n < exact:
        return bucket + n
    log_part = exact + int(math.log(n / exact) / math.log(max_distance / exact) * (num_buckets - exact))
    return bucket + min(log_part, num_buckets - 1)


def mscale(s: float) -> float:
    return 0.1 * math.log(s) + 1


# name -> (expected value, absolute tolerance) for the scalar placeholders
SCALARS = {
    "wl_shortest": (2 * math.pi, 0.005),
    "wl_longest_1e4": (wavelength(1e4, 31), 0.5),
    "wl_longest_1e6": (wavelength(1e6, 31), 0.5),
    "turns_2048_1e4": (turns(2048, 1e4), 0),
    "turns_2048_1e6": (turns(2048, 1e6), 0),
    "turns_512_1e4": (turns(512, 1e4), 0),
    "hand_ratio_1e4": (1e4 ** (2 / 64), 5e-5),
    "hand_ratio_1e6": (1e6 ** (2 / 64), 5e-5),
    "slowest_deg_1e4": (math.degrees(1e4 ** (-62 / 64)), 5e-5),
    "slowest_deg_1e6": (math.degrees(1e6 ** (-62 / 64)), 5e-7),
    "ntk_base": (1e6 * 16 ** (64 / 62), 1e6 * 16 ** (64 / 62) * 1e-3),
    "ntk_kappa_first": (1.0, 0.005),
    "ntk_kappa_mid": (16 ** (32 / 62), 0.005),
    "ntk_kappa_last": (16.0, 0.005),
    # dynamic NTK, s = 2, L = 2048: the slowest pair's κ is s·n/L − (s − 1)
    "dynamic_kappa_1x": (1.0, 0.005),
    "dynamic_kappa_2x": (2 * 4096 / 2048 - 1, 0.005),
    "dynamic_kappa_4x": (2 * 8192 / 2048 - 1, 0.005),
    "yarn_kept": (yarn_bands()[0], 0),
    "yarn_ramp": (yarn_bands()[1], 0),
    "yarn_interp": (yarn_bands()[2], 0),
    "yarn_last_kept": (yarn_bands()[0] - 1, 0),
    "yarn_first_interp": (32 - yarn_bands()[2], 0),
    # current MiniMind (minimind-3, MiniMind2 104M): hidden 768 / 8 heads = head_dim 96, same YaRN settings
    "yarn_kept_96": (yarn_bands(d=96)[0], 0),
    "yarn_ramp_96": (yarn_bands(d=96)[1], 0),
    "yarn_interp_96": (yarn_bands(d=96)[2], 0),
    "yarn_mscale_16": (mscale(16), 5e-4),
    "yarn_mscale_4": (mscale(4), 5e-4),
    "yarn_logit_scale_16": (mscale(16) ** 2, 5e-4),
    "minimind_attention": (1.0, 0),
    "minimind_vs_yarn_max_diff": (0.0, 1e-7),  # same frequencies up to float32 rounding
    "longrope_attention_phi3": (math.sqrt(1 + math.log(32) / math.log(4096)), 5e-4),
    "llama3_kept": (llama3_bands()[0], 0),
    "llama3_blend": (llama3_bands()[1], 0),
    "llama3_divided": (llama3_bands()[2], 0),
    "xpos_zeta_last_64": ((62 + 0.4 * 64) / (1.4 * 64), 5e-5),
}
LISTS = {"alibi_slopes_8": alibi(8), "alibi_slopes_12": alibi(12)}
TABLES = {"wavelength_table", "t5_bucket_table"}


SUPERSCRIPTS = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")


def parse(text: str) -> float:
    """A number as the content writes it: 47,117 · −0.5 · 1.75e7 · 8.82 × 10⁻⁵."""
    text = text.replace(",", "").replace("−", "-")
    if "×" in text:
        mantissa, power = (part.strip() for part in text.split("×"))
        assert power.startswith("10"), text
        return float(mantissa) * 10 ** int(power[2:].translate(SUPERSCRIPTS))
    return float(text)


@pytest.mark.parametrize("name", sorted(SCALARS) + sorted(LISTS) + sorted(TABLES))
def test_numbers_in_one_style_no_e_notation(name):
    """Prose and tables write 47,117 and 8.82 × 10⁻⁵, never 4.712e+04 or 8.82e-05 (a base such as
    b' = 1.75e7 is written as the notes write bases: 1e4, 1e6, 5e5)."""
    import re

    text = numbers.value(name)
    assert not re.search(r"\de[+-]", text), text
    assert not re.search(r"(?<![\d.,])\d{5,}", text), text  # 10,000 and up carry separators


def test_every_placeholder_has_a_closed_form_check_here():
    """Measured ``study_*`` numbers are checked against the reference run in test_learn_measured, the
    worked example's ``own_example_*`` against its results.json in test_learn_own_example."""
    computed = {name for name in numbers.names() if not name.startswith(("study_", "own_example_"))}
    assert computed == set(SCALARS) | set(LISTS) | TABLES


@pytest.mark.parametrize("name", sorted(SCALARS))
def test_placeholder_equals_closed_form(name):
    expected, tolerance = SCALARS[name]
    assert parse(numbers.value(name)) == pytest.approx(expected, abs=tolerance, rel=0)


@pytest.mark.parametrize("name", sorted(LISTS))
def test_alibi_slopes_equal_closed_form(name):
    values = [parse(v) for v in numbers.value(name).split(", ")]
    assert values == pytest.approx(LISTS[name], rel=1e-5)


def test_brief_values_spelled_out():
    # the headline numbers, independent of the formatting helpers
    assert numbers.value("wl_shortest") == "6.28"
    assert numbers.value("yarn_mscale_16") == f"{0.1 * math.log(16) + 1:.3f}"
    assert numbers.value("alibi_slopes_8").startswith("0.5, 0.25, 0.125")


def table_rows(markdown: str, columns: int) -> list[list[str]]:
    rows = []
    for line in markdown.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == columns and re.fullmatch(r"\d+", cells[0]):
            rows.append(cells)
    return rows


def test_wavelength_table_in_the_notes_equals_library_and_closed_form():
    from posenc.encodings.rope import frequencies

    note = content.find_topic("frequencies").markdown()
    rows = table_rows(note, 5)
    assert [int(r[0]) for r in rows] == list(range(32))
    for base, theta_col, lam_col in ((1e4, 1, 2), (1e6, 3, 4)):
        inv_freq, _ = frequencies({"head_dim": 64, "rope_theta": base})
        for i, row in enumerate(rows):
            theta, lam = parse(row[theta_col]), parse(row[lam_col])
            assert theta == pytest.approx(float(inv_freq[i]), rel=5e-4)
            assert theta == pytest.approx(base ** (-2 * i / 64), rel=5e-4)
            # λ is printed with 2 decimals, 1 decimal or whole tokens: half a last digit, plus float32
            step = 0.005 if lam < 100 else 0.05 if lam < 10_000 else 0.5
            assert lam == pytest.approx(2 * math.pi / float(inv_freq[i]), abs=step + 1e-6 * lam)
            assert lam == pytest.approx(wavelength(base, i), abs=step + 1e-6 * lam)


def test_t5_bucket_table_in_the_notes_equals_closed_form():
    note = content.find_topic("other-encodings").markdown()
    rows = table_rows(note, 4)
    assert len(rows) == len(numbers.T5_DISTANCES)
    for row in rows:
        distance, decoder, before, after = (int(c) for c in row)
        assert decoder == t5_bucket(-distance, bidirectional=False)
        assert before == t5_bucket(-distance, bidirectional=True)
        assert after == t5_bucket(distance, bidirectional=True)


def test_rendered_note_quotes_the_library_values():
    note = content.find_topic("rope-scaling").markdown()
    for name in ("ntk_base", "yarn_mscale_16", "yarn_kept", "llama3_divided", "longrope_attention_phi3"):
        assert numbers.value(name) in note


# --------------------------------------------------------------------------------------------------
# no hand-typed derived numbers
# --------------------------------------------------------------------------------------------------

# literals that may be typed: each is a closed form or a configuration value, not a computed result
ALLOWED_DECIMALS = {
    "0.707": math.cos(math.pi / 4),  # the walk-through's cos(π/4), checked in test_learn_practice
    "0.25": 0.25,  # GPT-NeoX's partial_rotary_factor; the walk-through's step of π/4 = 0.25·π
    "0.02": 0.02,  # the usual embedding init std (a setting, in the sinusoidal-scale question)
    "0.001": 0.001,  # MiniMind's ramp-width floor max(high - low, 0.001), in note 11's verbatim excerpt
}
DECIMAL = re.compile(r"(?<![\w.])\d+\.\d{2,}(?![\w.])")
BIG_INTEGER = re.compile(r"(?<![\w.,])\d{1,3}(?:,\d{3})+(?![\w.])|(?<![\w.,])\d{4,}(?![\w.,])")


def allowed_integer(n: int) -> bool:
    """Configuration-style integers: powers of two, k·10^j (500000), and years in the history."""
    if n & (n - 1) == 0:
        return True
    digits = str(n).rstrip("0")
    return len(digits) == 1 or 2014 <= n <= 2026


CONTENT_FILES = sorted(f"notes/{p.name}" for p in content.NOTES_DIR.glob("*.md")) + [
    "quiz.yaml",
    "grill.yaml",
    "cards.yaml",
    "practice.yaml",
]


def suspicious(text: str) -> list[str]:
    """Literal numbers in ``text`` (placeholders removed) that look like computed results."""
    text = numbers.PLACEHOLDER.sub("", text)
    found = [d for d in DECIMAL.findall(text) if d not in ALLOWED_DECIMALS]
    return found + [i for i in BIG_INTEGER.findall(text) if not allowed_integer(int(i.replace(",", "")))]


def test_guard_flags_typed_results_and_passes_settings():
    typed = "the slowest pair needs 47,117 tokens; 2π ≈ 6.28; b' = 17496959; mscale 1.277"
    assert suspicious(typed) == ["6.28", "1.277", "47,117", "17496959"]
    settings = "base 1e6, 500000, L = 2048 or 131072, {{wl_longest_1e4}} tokens, factor 0.25, in 2021"
    assert suspicious(settings) == []


@pytest.mark.parametrize("name", CONTENT_FILES)
def test_no_hand_typed_derived_numbers(name):
    found = suspicious((content.DATA_DIR / name).read_text(encoding="utf-8"))
    assert not found, (
        f"{name}: {found} look computed; write them as {{{{placeholders}}}} (posenc.learn.numbers)"
    )


def test_allowed_decimals_are_their_closed_forms():
    for literal, exact in ALLOWED_DECIMALS.items():
        assert float(literal) == pytest.approx(exact, abs=5e-4)
