"""The corrections of issue 40's independent fact-check, each held to a source that is not our prose.

Where a number can be computed, the test computes it from an independent source (torch's own bf16
cast, a closed form, transformers' code) and checks the text states that number. Where the source is
a document (a paper, MiniMind's repository), the test checks the wording the correction settled on,
and the wrong wording is checked absent.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
from pathlib import Path

import pytest
import torch
import yaml

from posenc.learn import content


def note(topic: str) -> str:
    """The note's source with numbers filled in, whitespace collapsed (sentences span lines)."""
    return " ".join(content.find_topic(topic).markdown().split())


def grill(question_id: str) -> str:
    return " ".join(next(q for q in content.load_grill().questions if q.id == question_id).answer.split())


# --------------------------------------------------------------------------------------------------
# 1. bf16 positions collide from 257, not from 2048
# --------------------------------------------------------------------------------------------------


def bf16_integers(stop: int) -> list[int]:
    """Integers 0 … stop − 1 as torch's bf16 cast rounds them (round to nearest, ties to even)."""
    return torch.arange(stop).to(torch.bfloat16).to(torch.int64).tolist()


def first_bf16_collision() -> int:
    """The smallest integer whose bf16 value equals that of a smaller integer (rounding is monotone,
    so a collision with any smaller integer is one with its predecessor)."""
    values = bf16_integers(1 << 12)
    return next(n for n in range(1, len(values)) if values[n] == values[n - 1])


def bf16_spacing(lo: int, hi: int) -> int:
    """The gap between the distinct bf16 values of the integers in [lo, hi)."""
    distinct = sorted(set(bf16_integers(hi)[lo:]))
    gaps = {b - a for a, b in zip(distinct, distinct[1:], strict=False)}
    assert len(gaps) == 1, gaps
    return gaps.pop()


def test_bf16_collision_threshold_is_torchs():
    assert bf16_integers(262)[250:] == [250, 251, 252, 253, 254, 255, 256, 256, 258, 260, 260, 260]
    first = first_bf16_collision()
    text = note("code")
    stated = re.search(r"positions collide from (\d+) on \((\d+) rounds to (\d+);", text)
    assert stated, "note 11 must state where bf16 positions start to collide"
    assert int(stated.group(1)) == int(stated.group(2)) == first
    assert int(stated.group(3)) == bf16_integers(first + 1)[first]
    spacing = re.search(r"above (\d+) only every second integer survives, above (\d+) every fourth", text)
    assert spacing
    two, four = int(spacing.group(1)), int(spacing.group(2))
    assert bf16_spacing(two, 2 * two) == 2 and bf16_spacing(four, 2 * four) == 4
    assert "above 2048 it cannot tell neighbouring positions apart" not in text


def test_other_bf16_statements_agree_with_torch():
    """Note 04 and grill I2 say integers are exact up to 256: the last integer before the first collision."""
    exact_up_to = first_bf16_collision() - 1
    assert f"cannot even represent every integer position above {exact_up_to}" in note("frequencies")
    assert f"integers are exact only up to {exact_up_to}" in grill("I2")


# --------------------------------------------------------------------------------------------------
# 2. MiniMind pinned: one commit, line numbers for every excerpt, each figure labelled with its version
# --------------------------------------------------------------------------------------------------

PINS = yaml.safe_load((content.DATA_DIR / "minimind_pins.yaml").read_text(encoding="utf-8"))
SHA = PINS["commit"]
MINIMIND_PATHS = r"model/model_minimind\.py|README_en\.md|trainer/\w+\.py"
#: a comment line that starts a verbatim segment of a quoted code block
MARKER = re.compile(r"^# (?:(?P<path>[\w/.]+), )?lines? (?P<a>\d+)(?:–(?P<b>\d+))?(?: \(.*\))?$")
#: a line reference in prose: an optional `path`, then "line N" or "lines N–M"
PROSE_REF = re.compile(rf"(?:`(?P<path>{MINIMIND_PATHS})`\s+)?(?<![\w-])lines?\s+(?P<a>\d+)(?:–(?P<b>\d+))?")
#: what each MiniMind line the prose cites must say, for the claim the prose makes of it
CITED = {
    ("model/model_minimind.py", 12): "hidden_size=768",  # minimind-3: hidden size 768
    ("model/model_minimind.py", 22): '"num_attention_heads", 8',  # 8 heads
    ("model/model_minimind.py", 24): "self.hidden_size // self.num_attention_heads",  # so head_dim 96
    ("model/model_minimind.py", 36): '"original_max_position_embeddings": 2048',  # YaRN's L
    ("model/model_minimind.py", 37): '"attention_factor": 1.0',  # no temperature
    ("model/model_minimind.py", 69): "if end / orig_max > 1.0:",  # the ramp only past L
    ("model/model_minimind.py", 71): "min(math.ceil(inv_dim(beta_slow)), dim // 2 - 1)",  # hi at d/2 - 1
    ("model/model_minimind.py", 82): ".to(q.dtype)",  # one cast to q's dtype
    ("model/model_minimind.py", 104): "self.q_norm = RMSNorm(self.head_dim",
    ("model/model_minimind.py", 117): "xq, xk = self.q_norm(xq), self.k_norm(xk)",  # RMSNorm, then RoPE
    ("model/model_minimind.py", 205): "end=config.max_position_embeddings",  # the table for every position
    ("model/model_minimind.py", 219): "self.freqs_cos[start_pos:start_pos + seq_length]",  # sliced
    ("README_en.md", 576): "| minimind-3 | 64M | 6400 | 32768 | 1e6 | 8 | 768 | 4 | 8 |",  # 768 / 8 = 96
    ("README_en.md", 578): "| minimind2-small | 26M | 6400 | 32768 | 1e6 | 8 | 512 | 2 | 8 |",  # 512 / 8 = 64
}


def pinned_line(path: str, line: int) -> str:
    for pin in PINS["excerpts"]:
        a, b = pin["lines"]
        if pin["path"] == path and a <= line <= b:
            return pin["text"].split("\n")[line - a]
    raise AssertionError(f"{path} line {line} is not in minimind_pins.yaml")


def code_blocks(markdown: str) -> list[list[str]]:
    blocks, block = [], None
    for line in markdown.split("\n"):
        if line.startswith("```"):
            if block is None:
                block = []
            else:
                blocks.append(block)
                block = None
        elif block is not None:
            block.append(line)
    return blocks


def quoted_segments(block: list[str]) -> list[tuple[str, int, int, str]]:
    """(path, first line, last line, text) of each marked segment of a block that starts with a marker;
    a marker without a path continues the previous one's."""
    segments: list[tuple[str, int, int, list[str]]] = []
    for line in block:
        marker = MARKER.match(line)
        if marker:
            path = marker["path"] or segments[-1][0]
            a = int(marker["a"])
            segments.append((path, a, int(marker["b"] or a), []))
        else:
            segments[-1][3].append(line)
    return [(path, a, b, "\n".join(text) + "\n") for path, a, b, text in segments]


def quoted(topic: str, path_prefix: str) -> list[tuple[str, int, int, str]]:
    markdown = content.find_topic(topic).markdown()
    found = []
    for block in code_blocks(markdown):
        if (
            block
            and MARKER.match(block[0])
            and (MARKER.match(block[0])["path"] or "").startswith(path_prefix)
        ):
            found += quoted_segments(block)
    return found


def minimind_texts() -> dict[str, str]:
    """Every text that may cite MiniMind: the notes (rendered, code blocks included), grill and quiz."""
    texts = {f"note {t.id}": t.markdown() for t in content.load_notes_index()}
    texts |= {f"grill {q.id}": q.answer for q in content.load_grill().questions}
    quiz = content.load_quiz()
    texts |= {f"quiz {q.id}": " ".join(o.why for o in q.options) for q in quiz.mcq}
    texts |= {f"quiz open {i}": q.reference_answer for i, q in enumerate(quiz.open_questions)}
    return texts


def test_pins_file_is_one_commit_with_whole_line_ranges():
    assert re.fullmatch(r"[0-9a-f]{40}", SHA) and PINS["repository"] == "jingyaogong/minimind"
    ids = [pin["id"] for pin in PINS["excerpts"]]
    assert len(ids) == len(set(ids))
    for pin in PINS["excerpts"]:
        a, b = pin["lines"]
        assert 1 <= a <= b and pin["text"].endswith("\n")
        assert pin["text"].count("\n") == b - a + 1, pin["id"]


def test_note_11_quotes_minimind_verbatim_from_the_pinned_commit():
    segments = quoted("code", "model/")
    assert len(segments) >= 5  # the functions, q/k norm, norm-then-rotate, the table's build and slice
    pins = {(p["path"], *p["lines"]): p["text"] for p in PINS["excerpts"]}
    for path, a, b, text in segments:
        assert (path, a, b) in pins, f"note 11 quotes {path} lines {a}–{b}, which minimind_pins.yaml lacks"
        assert text == pins[(path, a, b)], f"note 11's {path} lines {a}–{b} differ from the pinned text"
    text = note("code")
    assert f"pinned at commit `{SHA}` of `jingyaogong/minimind`" in text
    # the excerpt is minimind-3's; head_dim 64 is labelled MiniMind2-small
    assert "MiniMind here is minimind-3" in text and "so head_dim 96: 48 pairs" in text
    assert (
        "The head_dim 64 (32 pairs) of the examples above and of `posenc exp 4` is MiniMind2-small's" in text
    )
    assert "MiniMind's head: 32 pairs" not in text and "MiniMind2-small's head: 32 pairs" in text
    assert "At MiniMind2-small's settings (head_dim 64) the frequencies agree" in text


def test_every_cited_minimind_line_says_what_the_prose_claims():
    for (path, line), claim in CITED.items():
        assert claim in pinned_line(path, line), (path, line)
    hidden = int(re.search(r"hidden_size=(\d+)", pinned_line("model/model_minimind.py", 12))[1])
    heads = int(re.search(r'"num_attention_heads", (\d+)', pinned_line("model/model_minimind.py", 22))[1])
    assert (hidden // heads, hidden // heads // 2) == (96, 48)
    small = [c.strip() for c in pinned_line("README_en.md", 578).split("|")]
    assert int(small[7]) // int(small[9]) == 64  # d_model / q_heads


def test_every_minimind_line_reference_is_pinned_and_names_the_commit():
    """Each `path` line N in the notes, grill and quiz, and each bare "line N" of note 11's MiniMind
    section, lies in an excerpt of minimind_pins.yaml; a text that cites MiniMind lines names the commit."""
    cited = set()
    for where, text in minimind_texts().items():
        prose = text.split("## 6. Side by side", 1)
        refs = [m for m in PROSE_REF.finditer(text) if m["path"]]
        if where == "note code":  # section 6 cites model/model_minimind.py by bare line numbers
            outside_code = re.sub(r"```.*?```", "", prose[1], flags=re.S)
            refs += [m for m in PROSE_REF.finditer(outside_code) if not m["path"]]
        for ref in refs:
            path = ref["path"] or "model/model_minimind.py"
            a = int(ref["a"])
            for line in range(a, int(ref["b"] or a) + 1):
                pinned_line(path, line)  # raises if not pinned
                cited.add((path, line))
        if refs:
            assert SHA[:8] in text, f"{where} cites MiniMind lines without naming commit {SHA[:8]}"
    assert {key for key in CITED if key[0] == "model/model_minimind.py"} <= cited
    assert {
        ("README_en.md", 578),
        ("trainer/train_pretrain.py", 99),
        ("model/model_minimind.py", 36),
    } <= cited


def test_no_other_minimind_commit_is_quoted():
    """Only the pinned commit, and 9d898576 as the source of configs/minimind.json's defaults."""
    for where, text in minimind_texts().items():
        for sha in re.findall(r"(?<![\w-])[0-9a-f]{7,40}(?![\w-])", text):
            if not sha.isdigit():
                assert SHA.startswith(sha) or sha == "9d898576", (where, sha)


def minimind_clone() -> Path | None:
    """A local git clone of MiniMind holding the pinned commit, if there is one (CI has none)."""
    candidate = os.environ.get("MINIMIND_REPO")
    if candidate and Path(candidate).exists():
        check = subprocess.run(
            ["git", "-C", candidate, "cat-file", "-e", f"{SHA}^{{commit}}"], capture_output=True
        )
        if check.returncode == 0:
            return Path(candidate)
    return None


def test_pins_equal_the_pinned_minimind_source():
    """The recorded text against MiniMind itself; runs only where a clone is found (MINIMIND_REPO)."""
    clone = minimind_clone()
    if clone is None:
        pytest.skip("no local MiniMind clone with the pinned commit (set MINIMIND_REPO)")
    for pin in PINS["excerpts"]:
        source = subprocess.run(
            ["git", "-C", str(clone), "show", f"{SHA}:{pin['path']}"],
            capture_output=True,
            text=True,
            check=True,
            encoding="utf-8",
        ).stdout.split("\n")
        a, b = pin["lines"]
        assert "\n".join(source[a - 1 : b]) + "\n" == pin["text"], pin["id"]


def test_transformers_excerpt_names_its_version_and_where_plain_rope_comes_from():
    import transformers
    from transformers import modeling_rope_utils
    from transformers.models.llama import modeling_llama

    text = note("code")
    stated = re.search(r"of transformers (\d+\.\d+\.\d+), verbatim", text)
    assert stated
    assert "plain: the rotary class's `compute_default_rope_parameters`" in text
    assert '`ROPE_INIT_FUNCTIONS` holds only the scaled types and has no `"default"` entry' in text
    if int(transformers.__version__.split(".")[0]) == int(stated[1].split(".")[0]) == 5:
        assert "default" not in modeling_rope_utils.ROPE_INIT_FUNCTIONS
        assert callable(modeling_llama.LlamaRotaryEmbedding.compute_default_rope_parameters)
    if transformers.__version__ != stated[1]:
        pytest.skip(f"transformers {transformers.__version__} installed; the note quotes {stated[1]}")
    source = Path(modeling_llama.__file__).read_text(encoding="utf-8").split("\n")
    segments = quoted("code", "models/llama/")
    assert segments
    for _, a, b, quote in segments:
        assert "\n".join(source[a - 1 : b]) + "\n" == quote, (a, b)


# --------------------------------------------------------------------------------------------------
# 2 and 3. exp 4: its head_dim 64 labelled MiniMind2-small, and the slowest pair's true wavelength
# --------------------------------------------------------------------------------------------------

EXP4_SPEC = importlib.util.find_spec("posenc.experiments.exp4_minimind_rope")  # found, not imported
EXP4 = Path(EXP4_SPEC.origin).read_text(encoding="utf-8")


def test_exp4_slowest_wavelength_is_the_closed_form():
    """λ_31 = 2π·base^((d − 2)/d) at base 1e6, head_dim 64: 4,080,185 tokens, not ≈ 1.2 million."""
    import math

    from posenc.learn import numbers

    head_dim, base = 64, 1e6
    wavelength = 2 * math.pi * base ** ((head_dim - 2) / head_dim)
    assert f"{round(wavelength):,}" == "4,080,185" == numbers.value("wl_longest_1e6")
    assert f"2π·1e6^(62/64) = {round(wavelength):,} tokens" in EXP4
    assert "1.2 million" not in EXP4


def test_exp4_labels_head_dim_64_as_minimind2_small():
    assert "HEAD_DIM = 64  # MiniMind2-small's head (d_model 512 / 8 heads); minimind-3's is 96" in EXP4
    assert f"``README_en.md`` line 578 at commit {SHA}" in " ".join(EXP4.split())
    assert "| 512 |" in pinned_line("README_en.md", 578)


# --------------------------------------------------------------------------------------------------
# 4. MiniMind post-trains longer than it pretrains: not "only through YaRN at inference"
# --------------------------------------------------------------------------------------------------


def trainer_default(path: str, line: int, flag: str) -> int:
    """The default of ``flag`` in the pinned ``add_argument`` line of a MiniMind trainer script."""
    text = pinned_line(path, line)
    assert f"'{flag}'" in text or f'"{flag}"' in text, (path, line, flag)
    return int(re.search(r"default=(\d+)", text)[1])


def test_minimind_training_lengths_are_the_pinned_trainer_defaults():
    pretrain = trainer_default("trainer/train_pretrain.py", 99, "--max_seq_len")
    sft = trainer_default("trainer/train_full_sft.py", 100, "--max_seq_len")
    dpo = trainer_default("trainer/train_dpo.py", 147, "--max_seq_len")
    rl_prompt = trainer_default("trainer/train_grpo.py", 223, "--max_seq_len")
    rl_generation = trainer_default("trainer/train_grpo.py", 224, "--max_gen_len")
    assert (
        trainer_default("trainer/train_ppo.py", 327, "--max_seq_len"),
        trainer_default("trainer/train_ppo.py", 328, "--max_gen_len"),
    ) == (rl_prompt, rl_generation)
    agent_total = trainer_default("trainer/train_agent.py", 393, "--max_total_len")
    assert (pretrain, sft, dpo, rl_prompt, rl_generation, agent_total) == (340, 768, 1024, 768, 1024, 2500)
    long_samples = pinned_line("README_en.md", 705)
    assert "a small number of long-context samples can be used for incremental fine-tuning" in long_samples
    assert "YaRN extrapolation" in long_samples

    def k(n: int) -> str:
        return f"{n / 1000:g}k"

    four = note("frequencies")
    assert f"pretraining is {pretrain} tokens (`trainer/train_pretrain.py` line 99)" in four
    assert (
        f"SFT {sft} (`trainer/train_full_sft.py` line 100), DPO {dpo:,} (`trainer/train_dpo.py` line 147)"
        in four
    )
    assert f"a prompt of up to {rl_prompt} plus a generation of up to {rl_generation:,}" in four
    assert f"agentic RL up to {k(agent_total)} tokens in all" in four
    summary = f"SFT {sft}, DPO {dpo:,}, agentic RL up to {k(agent_total)} tokens"
    for text in (four, note("measured"), grill("D7")):
        assert f"pretrains at {pretrain} tokens" in text
        assert "suggests fine-tuning on a few long samples, or YaRN at inference" in text
        assert "only through YaRN at inference" not in text
    assert summary in note("measured") and summary in grill("D7")


# --------------------------------------------------------------------------------------------------
# 5. dynamic NTK ran over-scaled: factor s = k at length kL is an effective scale of k² − k + 1
# --------------------------------------------------------------------------------------------------


def test_dynamic_ntk_effective_scale_is_stated_where_it_is_ranked():
    from transformers.modeling_rope_utils import _compute_dynamic_ntk_parameters
    from transformers.models.llama.configuration_llama import LlamaConfig

    from posenc.encodings.rope import frequencies

    k, L, head_dim, base = 16, 128, 32, 1e4
    stated = re.search(r"is \$k\^2 - k \+ 1\$, (\d+) at 16× instead of 16", note("measured"))
    assert stated and int(stated[1]) == k * k - k + 1 == 241
    # the slowest pair's κ = θ / θ' is the effective scale: transformers' formula and the library's
    config = LlamaConfig(
        hidden_size=head_dim * 4,
        num_attention_heads=4,
        max_position_embeddings=L,
        rope_parameters={"rope_type": "dynamic", "factor": float(k), "rope_theta": base},
    )
    hf_scaled, _ = _compute_dynamic_ntk_parameters(config, seq_len=k * L)
    plain, _ = frequencies({"head_dim": head_dim, "rope_theta": base})
    ours, _ = frequencies(
        {"head_dim": head_dim, "rope_theta": base, "max_position_embeddings": L}
        | {"rope_scaling": {"rope_type": "dynamic", "factor": k}},
        seq_len=k * L,
    )
    for scaled in (hf_scaled, ours):
        assert float(plain[-1].double() / scaled[-1].double()) == pytest.approx(k * k - k + 1, rel=1e-4)
    # with factor 1 the scale at kL is k
    one, _ = frequencies(
        {"head_dim": head_dim, "rope_theta": base, "max_position_embeddings": L}
        | {"rope_scaling": {"rope_type": "dynamic", "factor": 1}},
        seq_len=k * L,
    )
    assert float(plain[-1].double() / one[-1].double()) == pytest.approx(k, rel=1e-4)
    assert "with factor 1 it would scale by exactly $k$" in note("measured")


# --------------------------------------------------------------------------------------------------
# 6. DeepSeek-V3's mscale_all_dim scales the whole logit; cos/sin would scale only the rotary 64 of 192
# --------------------------------------------------------------------------------------------------


def test_deepseek_mscale_is_not_the_same_effect_as_scaling_cos_and_sin():
    import json
    import math

    from transformers.modeling_rope_utils import yarn_apply_mscale

    from posenc.encodings.rope_scaling import _yarn_attention_factor

    config = json.loads((content.DATA_DIR.parent.parent / "configs" / "deepseek-v3.json").read_text("utf-8"))
    rope, nope = config["qk_rope_head_dim"], config["qk_nope_head_dim"]
    scaling = config["rope_scaling"]
    assert scaling["mscale"] == scaling["mscale_all_dim"]
    # cos/sin factor 1; the softmax scale (of every one of the rope + nope dims) times mscale²
    assert _yarn_attention_factor(scaling["factor"], scaling["mscale"], scaling["mscale_all_dim"]) == 1.0
    mscale = 0.1 * scaling["mscale_all_dim"] * math.log(scaling["factor"]) + 1
    assert yarn_apply_mscale(scaling | {"rope_type": "yarn"}, 1.0) == pytest.approx(mscale**2)
    text = note("rope-scaling")
    assert f"only {rope} of the {rope + nope} dimensions of $q \\cdot k$ are rotated" in text
    assert "the softmax scale multiplies the whole logit" in text
    assert "same effect, different place" not in text


# --------------------------------------------------------------------------------------------------
# 7. RoFormer derives its bound by Abel summation; that the bound decays is a figure, not a proof
# --------------------------------------------------------------------------------------------------


def test_roformer_bound_decay_is_shown_not_proved():
    text = note("frequencies")
    assert "RoFormer (§3.4.3) derives an upper bound on the score by Abel summation" in text
    assert "shows in its Figure 2 that this bound decays, with oscillations" in text
    assert "proves an upper bound" not in text
    # the relative bound (1/(d/2))·Σ_j |S_j|, S_j = Σ_{k<j} e^{iΔθ_k}, at base 1e4: it falls overall
    # and rises again in places, which is why the paper can show the decay but not call it monotone
    d = 128
    theta = 1e4 ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    distances = torch.arange(0, 256, dtype=torch.float64)
    partial = torch.cumsum(
        torch.polar(torch.ones(256, d // 2, dtype=torch.float64), distances[:, None] * theta), 1
    )
    bound = partial.abs().mean(dim=1)
    assert bound[0] == pytest.approx((d // 2 + 1) / 2) and bound[200:].max() < bound[0] / 2
    assert (bound.diff() > 0).any()  # it oscillates


# --------------------------------------------------------------------------------------------------
# 8. the shrinking variance is Chi et al. 2023's argument; Haviv et al. 2022 conjecture counting
# --------------------------------------------------------------------------------------------------


def sentences(text: str) -> list[str]:
    return re.split(r"(?<=[.;])\s+(?=[A-Z(])", text)


@pytest.mark.parametrize("where", ["note why-position", "note other-encodings", "grill A3", "grill H1"])
def test_variance_mechanism_is_credited_to_chi_and_counting_to_haviv(where):
    kind, key = where.split()
    text = note(key) if kind == "note" else grill(key)
    assert "Chi et al. 2023" in text and "Haviv et al." in text
    for sentence in sentences(text):
        if "Haviv" in sentence and "## " not in sentence:  # a heading only names the papers
            assert "conjecture" in sentence or "train close" in sentence or "trained" in sentence, sentence
        if "variance" in sentence or "shrink" in sentence:
            assert "Haviv" not in sentence or "Chi et al." in sentence, sentence


def test_no_learning_content_credits_haviv_with_the_variance():
    texts = [t.markdown() for t in content.load_notes_index()]
    texts += [q.answer for q in content.load_grill().questions]
    for name in ("quiz.yaml", "cards.yaml", "practice.yaml"):
        texts.append((content.DATA_DIR / name).read_text(encoding="utf-8"))
    for text in texts:
        for sentence in sentences(" ".join(text.split())):
            if "Haviv" in sentence and ("variance" in sentence or "shrink" in sentence):
                assert "Chi et al." in sentence, sentence
    assert "Latent Positional Information is in the Self-Attention Variance" in note("why-position")


# --------------------------------------------------------------------------------------------------
# 9. one frequency: exact aliasing only when 2π/θ is an integer; otherwise integer positions nearly alias
# --------------------------------------------------------------------------------------------------


def test_one_frequency_aliases_exactly_only_for_an_integer_period():
    import math

    def gap(offset: int, theta: float) -> float:
        """How far apart (radians, on the circle) the angles of positions m and m + offset are."""
        turn = (offset * theta) % (2 * math.pi)
        return min(turn, 2 * math.pi - turn)

    # θ = π/4: period 8, an integer, so positions 8 apart get the same angle (the walk-through's case)
    assert gap(8, math.pi / 4) == pytest.approx(0, abs=1e-12)
    # θ = 1 (pair 0): 2π is not an integer; no offset repeats exactly, 44 comes within 1/50 radian
    assert all(gap(n, 1.0) > 1e-6 for n in range(1, 10_000))
    assert gap(44, 1.0) < 1 / 50 <= min(gap(n, 1.0) for n in range(1, 44))  # the first to come so close
    text = note("frequencies")
    assert "get exactly the same angle only when $2\\pi/\\theta$ is an integer" in text
    assert "positions 0 and 44 are less than a fiftieth of a radian apart" in text
    assert "get the same angle: the code repeats" not in text
    period = "$2\\pi/\\theta$"  # the quiz writes its math as the notes do (LaTeX between dollars)
    correct = next(q for q in content.load_quiz().mcq if any(period in o.text for o in q.options))
    why = " ".join(next(o.why for o in correct.options if o.correct).split())
    assert f"get the same angle when {period} is an integer" in why and "nearly collide when it is not" in why
    assert "collide." not in why
