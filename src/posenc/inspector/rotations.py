"""How each model type transformers knows rotates q and k: the facts its config class does not hold.

A config class says the base, the scaling, the partial rotary factor, the layer types and, for models with one
RoPE per layer type, one ``rope_parameters`` dict each (a null one: no RoPE on those layers). The model's
attention code decides the rest, and that is this table: the pair layout where it is not transformers'
``rotate_half`` (i, i + d/2), the layers that skip RoPE by a rule of their own, multi-head latent attention,
multimodal RoPE. A model type the table does not name rotates like Llama: half layout, RoPE on every attention
layer (one RoPE per layer type where ``rope_parameters`` is nested).

``tests/inspector/test_inspect_sweep.py`` keeps the table in step: for every model type whose modeling module
defines a rotary-embedding class it builds a small config with the class defaults, builds transformers' own
rotary module and compares the inverse frequencies per layer type, the attention scaling and the pairing of
the module's apply function with what ``posenc inspect`` reports. :data:`SWEPT` records what it measured.
"""

from __future__ import annotations

from typing import Any

from posenc.inspector.architectures import HALF, INTERLEAVED

_INTERLEAVED = "transformers pairs features (2i, 2i + 1) for this model ({how})"

#: what the sweep measured on the transformers it ran against: the model types whose modeling module defines a
#: rotary-embedding class that their own (text) config builds (``total``; 359 model types name such a module,
#: 71 of them sub-configs such as audio towers and mask decoders that the rotary is not built from), and those
#: the inspector reports exactly (``exact``); the rest are refused or listed in ``EXCLUDED`` with why
SWEPT: dict[str, Any] = {"transformers": "5.25.0", "exact": 221, "total": 288}


def _interleaved(how: str) -> dict[str, Any]:
    return {"layout": INTERLEAVED, "layout_why": _INTERLEAVED.format(how=how)}


#: rotate_half over x[0::2], x[1::2] (Cohere's, GLM's and ERNIE's rotate_half variants)
_EVERY_TWO = _interleaved("rotate_half over x[0::2], x[1::2]")
#: multi-head latent attention whose module applies apply_rotary_pos_emb_interleave (DeepSeek-V3's)
_MLA_INTERLEAVE = _interleaved("apply_rotary_pos_emb_interleave") | {"mla": True}
#: multi-head latent attention that picks the function by the config's rope_interleave (DeepSeek-V3's rule)
_ROPE_INTERLEAVE = _interleaved("rope_interleave: apply_rotary_pos_emb_interleave") | {"mla": True}
#: global layers without RoPE while the model has a sliding window (the attention's own condition)
_SLIDING_ONLY = {"rope_plan": "sliding_only"}

#: model type -> its rotation where it is not Llama's (keys are :class:`Architecture` fields); text model
#: types (a multimodal wrapper is read through its text model)
ROTATIONS: dict[str, dict[str, Any]] = {
    "axk1": _ROPE_INTERLEAVE,
    "axk2": _MLA_INTERLEAVE,
    "bailing_hybrid": _MLA_INTERLEAVE,
    "blt_global_transformer": _EVERY_TWO,
    "blt_local_decoder": _EVERY_TWO,
    "blt_local_encoder": _EVERY_TWO,
    "blt_patcher": _EVERY_TWO,
    "cohere2_moe": _EVERY_TWO | _SLIDING_ONLY,
    "dots3_note_audio_encoder": _EVERY_TWO,
    "ergo": _EVERY_TWO,
    "ernie4_5": _EVERY_TWO,
    "ernie4_5_moe": _EVERY_TWO,
    "exaone_moe": _SLIDING_ONLY,
    "flint": _SLIDING_ONLY,
    "glm4_moe": {
        "layout_why": "transformers' Glm4Moe applies rotate_half to the first rotary_dim features, pairing i "
        "with i + rotary_dim/2 (unlike GLM-4's interleaved pairs)"
    },
    "glm4_moe_lite": _ROPE_INTERLEAVE,
    "glm_moe_dsa": _MLA_INTERLEAVE,
    "glm_ocr_text": _EVERY_TWO,
    "helium": _EVERY_TWO,
    "hy_v4": _MLA_INTERLEAVE,
    "hy_v4_vl_text": _MLA_INTERLEAVE,
    "kolibri1": _SLIDING_ONLY,
    "longcat_flash": _MLA_INTERLEAVE,
    "deepseek_v32": _MLA_INTERLEAVE,
    "mistral4": _ROPE_INTERLEAVE | {"partial_rotary": False},
    "mistral_large4_text": _MLA_INTERLEAVE,
    "moonshine": _EVERY_TWO,
    "moonshine_streaming": _EVERY_TWO,
    "nanochat": {
        "layout_why": "transformers' NanoChat rotate_half pairs feature i with i + d/2, turning the other "
        "way (flipped signs: the same relative encoding, mirrored)"
    },
    "openai_privacy_filter": _interleaved("x[..., ::2], x[..., 1::2] rotated and stacked"),
    "pe_audio_encoder": _interleaved("complex pairs (stack_freqs)"),
    "pe_audio_video_encoder": _interleaved("complex pairs (stack_freqs)"),
    "pe_video_encoder": _interleaved("complex pairs (stack_freqs)"),
    "youtu": _ROPE_INTERLEAVE,
    "qwen3_vl_moe_text": {"mrope": "interleaved", "mrope_section": (24, 20, 20)},
    "qwen3_5_moe_text": {"mrope": "interleaved", "mrope_section": (11, 11, 10)},
}

_VISION = "vision model: RoPE over image positions, not a text model's"
_PROBE = (
    "multimodal rotary driven by per-axis positions: inverse frequencies and attention scaling equal "
    "transformers', but the sweep's pairing probe cannot run its rotary on plain text positions"
)
_NESTED = "its text model sits two levels down (thinker_config.text_config); swept as its *_text model type"

#: model types the sweep does not count as exact, with why; besides these the sweep excuses vision towers
#: (rope_type 'axial') and models whose head size or window differs per layer, which the inspector refuses
EXCLUDED: dict[str, str] = {
    "EvollaModel": "protein model (SaProt encoder and a decoder under their own keys)",
    "deepseek_v4": "two RoPEs by attention kind ('main', 'compress'), not by layer type: not modelled",
    "efficientloftr": _VISION,
    "eomt_dinov3": _VISION,
    "mlcd": _VISION,
    "ernie4_5_vl_moe": "3D RoPE that reorders its frequencies (inv_freq_3d): not modelled",
    "ernie4_5_vl_moe_text": "3D RoPE that reorders its frequencies (inv_freq_3d): not modelled",
    "glm4v": _PROBE,
    "glm4v_text": _PROBE,
    "glm_image": _PROBE,
    "glm_image_text": _PROBE,
    "hunyuan_vl": _PROBE,
    "hunyuan_vl_text": _PROBE,
    "musicflamingo": _PROBE,
    "qwen2_5_omni_dit": _PROBE,
    "granitemoehybrid": "its class defaults have no attention layer (every layer is Mamba)",
    "lfm3": "rope_type 'proportional' is not one posenc computes",
    "qwen2_5_omni": _NESTED,
    "qwen3_omni_moe": _NESTED,
    "recurrent_gemma": "local attention without max_position_embeddings: no length to analyse",
    "voxtral_realtime": "its rotary's frequencies differ from its text config's standard RoPE: not modelled",
}


def rotation(model_type: str) -> dict[str, Any]:
    """The :class:`~posenc.inspector.architectures.Architecture` fields of ``model_type``'s rotation."""
    base = {"layer_types": "given_or_full", "rope_plan": "by_layer_type", "window": "auto", "layout": HALF}
    return base | ROTATIONS.get(model_type, {})


__all__ = ["EXCLUDED", "HALF", "INTERLEAVED", "ROTATIONS", "SWEPT", "rotation"]
