"""The notes' statements corrected in issue 20, each held to its source.

Sources (read at the commits named; the numbers below are theirs, typed once here with the place
they come from, and the notes must agree):

* MiniMind — github jingyaogong/minimind at 9d898576 (the commit ``configs/minimind.json`` quotes):
  ``trainer/train_pretrain.py`` ``--max_seq_len`` default 340; ``model/model_minimind.py``
  MiniMindConfig hidden_size 512, num_attention_heads 8 (MiniMind2-small), YaRN recipe
  ``original_max_position_embeddings`` 2048. Current MiniMind (minimind-3; MiniMind2 of 104M) has
  hidden_size 768 and 8 heads.
* YaRN's ramp in the pair index — github jquesnelle/yarn ``scaled_rope/modeling_llama_yarn.py``:
  ``_yarn_find_correction_range`` (floor / ceil of the correction dimension, clamped to [0, dim − 1])
  and ``_yarn_linear_ramp_mask``; transformers' ``modeling_rope_utils`` has the same functions.
* Llama 3 scaling — Meta's reference ``apply_scaling`` (meta-llama/llama-models): "Values obtained
  from grid search"; nothing there or in the paper says the long-context pretraining used it.
* The papers' model sizes — ALiBi (Press et al. 2022): 247M-parameter word-level models on
  WikiText-103, and a 1.3B subword model; PI (Chen et al. 2023): LLaMA 7B–65B; YaRN (Peng et al.
  2023): Llama 2 7B and 13B.
"""

from __future__ import annotations

import json
import math

import pytest

from posenc.learn import content, numbers

# jingyaogong/minimind @ 9d898576
MINIMIND_PRETRAIN_MAX_SEQ_LEN = 340  # trainer/train_pretrain.py, --max_seq_len default
MINIMIND2_SMALL = {"hidden_size": 512, "num_attention_heads": 8}  # model/model_minimind.py defaults
MINIMIND_CURRENT = {"hidden_size": 768, "num_attention_heads": 8}  # minimind-3 / MiniMind2 (104M)
MINIMIND_YARN_ORIGINAL = 2048  # rope_scaling original_max_position_embeddings


def note(topic: str) -> str:
    """The note's source with numbers filled in, whitespace collapsed (sentences span lines)."""
    return " ".join(content.find_topic(topic).markdown().split())


# --------------------------------------------------------------------------------------------------
# 1. MiniMind pairs base 1e6 with short training, not long: a counter-example
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("topic", ["frequencies", "measured"])
def test_minimind_is_a_counter_example_not_a_long_training_model(topic):
    text = note(topic)
    assert f"pretrains at {MINIMIND_PRETRAIN_MAX_SEQ_LEN} tokens" in text
    assert (
        "counter-example" in text
        and "suggests fine-tuning on a few long samples, or YaRN at inference" in text
    )
    assert "only through YaRN at inference" not in text  # issue 40: its post-training runs longer than 340
    for wrong in ("MiniMind trains with 1e6", "(MiniMind 1e6, Llama 3 5e5)"):
        assert wrong not in text
    # the correct example of a large base with long training stays
    assert "Llama 2 Long raised the base from 1e4 to 5e5 for its continual pretraining at 32k tokens" in text


def test_minimind_pretraining_length_is_below_its_yarn_original_length():
    """340 < 2048: the length YaRN is computed from is not a length MiniMind was trained at."""
    assert numbers.MINIMIND_YARN["original_max_position_embeddings"] == MINIMIND_YARN_ORIGINAL
    assert MINIMIND_PRETRAIN_MAX_SEQ_LEN < MINIMIND_YARN_ORIGINAL


# --------------------------------------------------------------------------------------------------
# 2. which MiniMind: head_dim 64 is MiniMind2-small; current MiniMind has head_dim 96
# --------------------------------------------------------------------------------------------------


def correction_range(d: int, base=1e6, original=2048, beta_fast=32, beta_slow=1) -> tuple[int, int]:
    """The YaRN code's ``_yarn_find_correction_range``, written out: the pair indices (lo, hi) where a
    pair makes ``beta_fast`` and ``beta_slow`` turns within ``original`` positions."""

    def correction_dim(rotations: float) -> float:
        return d * math.log(original / (rotations * 2 * math.pi)) / (2 * math.log(base))

    return max(math.floor(correction_dim(beta_fast)), 0), min(math.ceil(correction_dim(beta_slow)), d - 1)


def yarn_bands(d: int) -> tuple[int, int, int]:
    """(kept, ramp, interpolated) pairs for MiniMind's YaRN settings at head_dim ``d``."""
    lo, hi = correction_range(d)
    return lo + 1, hi - lo - 1, d // 2 - hi


def test_the_note_names_the_minimind_version_and_shows_both_head_dims():
    small = MINIMIND2_SMALL["hidden_size"] // MINIMIND2_SMALL["num_attention_heads"]
    current = MINIMIND_CURRENT["hidden_size"] // MINIMIND_CURRENT["num_attention_heads"]
    assert (small, current) == (numbers.HEAD_DIM, numbers.MINIMIND_HEAD_DIM_96) == (64, 96)
    text = note("rope-scaling")
    assert "MiniMind2-small" in text and "9d898576" in text
    assert "hidden size 512 and 8 heads, so head_dim 64" in text
    assert "hidden size 768 with 8 heads, so head_dim 96" in text
    kept, ramp, interp = yarn_bands(64)
    assert f"pairs 0 … {kept - 1} are kept ({kept} pairs), {ramp} pairs are on the ramp" in text
    assert f"({interp} pairs)" in text
    kept, ramp, interp = yarn_bands(96)
    assert f"{kept} pairs are kept, {ramp} ramped and {interp} interpolated" in text
    # the bundled config is MiniMind2-small's
    config = json.loads((content.DATA_DIR.parent.parent / "configs" / "minimind.json").read_text("utf-8"))
    assert {k: config[k] for k in MINIMIND2_SMALL} == MINIMIND2_SMALL


def test_head_dim_96_band_placeholders_equal_the_library():
    from posenc.encodings.rope import frequencies

    config = numbers.MINIMIND | {"head_dim": 96}
    plain, _ = frequencies(config)
    scaled, _ = frequencies(config | {"rope_scaling": {"rope_type": "yarn", **numbers.MINIMIND_YARN}})
    kappa = (plain.double() / scaled.double()).tolist()
    kept = sum(abs(k - 1) < 1e-5 for k in kappa)
    interp = sum(abs(k - 16) < 1e-4 for k in kappa)
    library = (kept, len(kappa) - kept - interp, interp)
    placeholders = tuple(int(numbers.value(f"yarn_{band}_96")) for band in ("kept", "ramp", "interp"))
    assert placeholders == library == yarn_bands(96)


# --------------------------------------------------------------------------------------------------
# 3. 2048 is MiniMind's YaRN original_max_position_embeddings, not its pretraining length
# --------------------------------------------------------------------------------------------------


def test_2048_is_named_as_yarns_original_length():
    text = note("rope-scaling")
    assert (
        "The $L$ = 2048 is the `original_max_position_embeddings` of MiniMind's YaRN recipe, "
        "not a length it was trained at" in text
    )
    assert "L original (pretraining) length" not in text
    config = json.loads((content.DATA_DIR.parent.parent / "configs" / "minimind.json").read_text("utf-8"))
    assert "not its pretraining length" in config["_note"]
    assert f"pretrains at {MINIMIND_PRETRAIN_MAX_SEQ_LEN} tokens" in config["_note"]
    assert "beyond 2048 positions is extrapolation" not in config["_note"]


# --------------------------------------------------------------------------------------------------
# 4. YaRN's ramp in the pair index is the YaRN authors' code, which transformers copied
# --------------------------------------------------------------------------------------------------


def test_ramp_in_pair_index_is_attributed_to_the_yarn_code():
    text = note("rope-scaling")
    assert "The YaRN authors' own code makes it linear in the pair index" in text
    assert "`_yarn_find_correction_range`" in text and "jquesnelle/yarn" in text
    assert "Hugging Face transformers copied those functions" in text
    assert "transformers (and this library) make it linear" not in text


@pytest.mark.parametrize("head_dim", [64, 96])
def test_library_yarn_is_the_yarn_codes_ramp(head_dim):
    """posenc's YaRN frequencies equal the YaRN repository's formula (correction range + linear ramp
    mask over the pair index), written out here from its source."""
    from posenc.encodings.rope import frequencies

    base, s = 1e6, 16
    lo, hi = correction_range(head_dim)
    expected = []
    for i in range(head_dim // 2):
        theta = base ** (-2 * i / head_dim)
        ramp = min(max((i - lo) / (hi - lo), 0.0), 1.0)  # _yarn_linear_ramp_mask
        extrapolate = 1 - ramp  # inv_freq_mask
        expected.append(theta / s * (1 - extrapolate) + theta * extrapolate)
    config = numbers.MINIMIND | {"head_dim": head_dim}
    inv_freq, _ = frequencies(config | {"rope_scaling": {"rope_type": "yarn", **numbers.MINIMIND_YARN}})
    assert inv_freq.double().tolist() == pytest.approx(expected, rel=1e-6)


# --------------------------------------------------------------------------------------------------
# 5. Llama 3: "built into pretraining" is not documented
# --------------------------------------------------------------------------------------------------


def test_llama3_says_what_is_documented():
    text = note("rope-scaling")
    assert '"obtained from grid search"' in text
    assert "without saying whether that stage used this scaling" in text
    assert "| Llama 3 | 1 (fast) → blend → $s$ (slow), by wavelength | 1 | not documented |" in text
    for wrong in ("built into pretraining", "already uses it"):
        assert wrong not in text


# --------------------------------------------------------------------------------------------------
# 6. the clock: second → minute is 60, minute → hour is 12
# --------------------------------------------------------------------------------------------------


def test_clock_ratios():
    second_to_minute = 60  # the second hand turns once a minute, the minute hand once an hour
    minute_to_hour = 12  # the minute hand turns once an hour, the hour hand once in 12 hours
    text = note("clock")
    assert f"the minute hand is {second_to_minute} times slower than the second hand" in text
    assert f"the hour hand {minute_to_hour} times slower than the minute hand" in text
    assert "a real clock uses the ratio 60" not in text


# --------------------------------------------------------------------------------------------------
# 8. the papers' models: only ALiBi's main runs were word-level ~250M; PI and YaRN used 7B–65B LLMs
# --------------------------------------------------------------------------------------------------


def test_papers_model_sizes():
    text = note("measured")
    assert "ALiBi's main runs are word-level models of about 250M parameters (WikiText-103" in text
    assert "PI and YaRN extend subword LLMs of 7B to 65B parameters" in text
    assert "the papers' are word-level models of hundreds of millions of parameters" not in text


# --------------------------------------------------------------------------------------------------
# 1 (grill D7, quiz), 7 (grill D8), 9 (quiz `advantage`): the grill and the quiz agree with the notes
# --------------------------------------------------------------------------------------------------


def flat(text: str) -> str:
    return " ".join(text.split())


def test_grill_d7_names_minimind_as_the_counter_example():
    d7 = next(q for q in content.load_grill().questions if q.id == "D7")
    text = flat(d7.answer)
    assert "which is how Llama 2 Long and MiniMind use it" not in text
    assert "Llama 2 Long raised the base from 1e4 to 5e5 for continual pretraining at 32k tokens" in text
    assert (
        f"MiniMind is a counter-example: base 1e6, but it pretrains at {MINIMIND_PRETRAIN_MAX_SEQ_LEN} tokens"
        in text
    )
    assert "suggests fine-tuning on a few long samples, or YaRN at inference" in text
    assert "only through YaRN at inference" not in text  # issue 40: its post-training runs longer than 340


def test_quiz_open_answer_does_not_cite_minimind_for_long_training():
    text = flat(" ".join(q.reference_answer for q in content.load_quiz().open_questions))
    assert "1e6 as in MiniMind" not in text
    assert "Llama 2 Long: 5e5 with continual pretraining at 32k tokens" in text


def test_grill_d8_gives_the_absorption_reason_for_decoupled_rope():
    """DeepSeek-V2 §2.1.3: a rotation between W^Q and W^UK stops W^UK being absorbed into W^Q, so the
    prefix keys would have to be recomputed — an efficiency problem, not keys that cannot be rotated."""
    from posenc.learn.math_markdown import terminal_markdown

    d8 = next(q for q in content.load_grill().questions if q.id == "D8")
    text = flat(terminal_markdown(d8.answer))  # its LaTeX as the terminal prints it
    assert "cannot be rotated" not in text
    assert "absorbs the key up-projection W^UK into W^Q" in text
    assert "would stop that absorption" in text and "recomputed for every new token" in text


def test_quiz_advantage_agrees_with_grill_c2_on_learned_tables():
    advantage = next(q for q in content.load_quiz().mcq if q.id == "advantage")
    why = flat(next(o.why for o in advantage.options if o.correct))
    assert "have no such extension" not in why
    assert "interpolating the table to more rows and fine-tuning (as ViT does" in why
    c2 = next(q for q in content.load_grill().questions if q.id == "C2")
    assert "interpolate the table to more rows and fine-tune (as ViT does" in flat(c2.answer)
