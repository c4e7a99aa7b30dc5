"""The sweep: every model type whose transformers modeling module defines a rotary-embedding class, inspected
from its class defaults and compared with transformers' own rotary module and apply function.

Per model type: ``posenc inspect`` on ``{"model_type": …}`` (the inspector fills the rest from transformers'
config class, as it would for a real config.json), then per RoPE set: the inverse frequencies and attention
scaling against the rotary module built from the same defaults (one buffer per layer type where it keeps
several), and the pairing: the module's apply function run on unit vectors at position 3 must move each
feature exactly where the inspector's pairs and angles say (up to the direction of rotation). Model types
the inspector refuses or does not model are listed in ``rotations.EXCLUDED`` with why; ``rotations.SWEPT``
records the counts the note in the report quotes.
"""

from __future__ import annotations

import pytest
import torch

from posenc.inspector import rotations
from posenc.inspector.analysis import inspect_config

from . import hf_sweep as sweep

pytest.importorskip("transformers")

#: class defaults that give an odd rotary dim or no attention layer; the values real checkpoints use
OVERRIDES = {
    "glm4_moe": {"head_dim": 128},
    "glm4v_moe": {"text_config": {"head_dim": 128}},
    "glm4v_moe_text": {"head_dim": 128},
    "qwen3_omni_moe_text": {"head_dim": 128},
    "qwen3_omni_moe_thinker": {"text_config": {"head_dim": 128}},
    "bamba": {"attn_layer_indices": [1]},
}
#: refusals that are deliberate, by the words of the inspector's message
REFUSED = {
    "rope_type 'axial'": "vision encoder: 2D (axial) RoPE over image patches, not a text model's positions",
    "differs from layer to layer": "per-layer head sizes or windows: the inspector reads one value per model",
}


def _config(swept: sweep.Swept) -> dict:
    """The config.json the sweep inspects: the model type, its layer count, and the overrides."""
    n = getattr(swept.text, "num_hidden_layers", None)
    config = {"model_type": swept.model_type}
    override = OVERRIDES.get(swept.model_type, {})
    if swept.text.model_type == swept.model_type:
        config |= ({"num_hidden_layers": n} if n else {}) | override
    else:
        from posenc.inspector.from_transformers import text_model_of

        key = (text_model_of(swept.model_type) or ("text_config", None))[0]
        text = ({"num_hidden_layers": n} if n else {}) | override.get("text_config", {})
        config[key] = text
    return config


def _reference(model_type: str) -> sweep.Swept:
    override = OVERRIDES.get(model_type, {})
    swept = sweep.build(model_type)
    if override:  # rebuild the rotary from the same overridden config
        from transformers.models.auto.configuration_auto import CONFIG_MAPPING

        config = CONFIG_MAPPING[model_type](**override)
        text = config.get_text_config()
        swept = sweep.Swept(model_type, text, type(swept.rotary)(text), swept.module)
        swept.frequencies = sweep.frequencies(swept.rotary)
    return swept


def check(model_type: str) -> str | None:
    """``None`` when the inspector reports ``model_type`` exactly as transformers computes it, else what
    differs (or why it was refused)."""
    try:
        swept = _reference(model_type)
    except LookupError as err:
        return f"no text rotary: {err}"
    try:
        # a short target keeps the low-precision figures cheap; the frequencies compared are load-time ones
        r = inspect_config(_config(swept), model_type, target_length=1024)
    except ValueError as err:
        return f"refused: {err}"
    if r["family"] != "rope":
        return f"refused: {r['message']}"
    sets = {s["id"]: s for s in r["rope_sets"]}
    ref = swept.frequencies
    if set(sets) != set(ref) and not (len(sets) == len(ref) == 1):
        return f"RoPE sets {sorted(sets)}, transformers {sorted(ref)}"
    problems = []
    for set_id, s in sets.items():
        inv, scaling = ref[set_id] if set_id in ref else next(iter(ref.values()))
        mine = torch.tensor(s["inv_freq"], dtype=torch.float32)
        if mine.shape != inv.shape or not torch.equal(mine, inv.float()):
            problems.append(f"inv_freq of {set_id}")
        if s["attention_scaling"] != pytest.approx(scaling, rel=1e-6):
            problems.append(f"attention scaling of {set_id}: {s['attention_scaling']} vs {scaling}")
        if set_id != r["primary_rope_set"]:
            continue
        out = sweep.cos_sin(swept.rotary, None if set_id == "all" else set_id, s["head_dim"])
        got = (
            None
            if out is None
            else sweep.apply_matrix(
                swept.module, out, s["head_dim"], sweep.interleave_first(swept.module, swept.text)
            )
        )
        if got is None:
            problems.append("pairing: no apply function takes the rotary's output")
            continue
        m, n = got
        expected = sweep.expected_matrix(r["pairs"], s["inv_freq"], s["attention_scaling"], s["head_dim"])
        if not torch.allclose(m.abs(), expected[:n, :n].abs(), atol=2e-4):
            problems.append(f"pairing ({r['layout']} reported)")
    return "; ".join(problems) or None


@pytest.fixture(scope="module")
def results() -> dict[str, str | None]:
    sweep.quiet_transformers()
    return {model_type: check(model_type) for model_type in sweep.rotary_model_types()}


def _excused(model_type: str, problem: str) -> bool:
    return (
        problem.startswith("no text rotary")
        or any(words in problem for words in REFUSED)
        or model_type in rotations.EXCLUDED
    )


def test_every_model_type_with_rotary_embeddings_is_exact_or_excluded_with_a_reason(results):
    wrong = {t: p for t, p in results.items() if p is not None and not _excused(t, p)}
    assert not wrong, "\n".join(f"{t}: {p}" for t, p in sorted(wrong.items()))
    stale = sorted(t for t in rotations.EXCLUDED if results.get(t, "") is None)
    assert not stale, f"now exact, remove from rotations.EXCLUDED: {stale}"


def test_the_swept_counts_the_report_quotes_are_current(results):
    import transformers

    if transformers.__version__ != rotations.SWEPT["transformers"]:
        pytest.skip(f"counts recorded for transformers {rotations.SWEPT['transformers']}")
    total = [t for t, p in results.items() if p is None or not p.startswith("no text rotary")]
    exact = [t for t in total if results[t] is None]
    assert (rotations.SWEPT["exact"], rotations.SWEPT["total"]) == (len(exact), len(total))
