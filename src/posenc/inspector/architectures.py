"""What a Hugging Face ``model_type`` means for RoPE: the defaults its config class fills, how it pairs
features, and which layers rotate q/k with which parameters.

A ``config.json`` rarely says all of it. transformers' config classes fill what the file leaves out (Gemma 3's
text config names no heads: ``head_dim`` 256 and 8 heads come from ``Gemma3TextConfig``), and each model's
attention code decides the rest: Gemma 3 rotates its sliding-window layers with base 10⁴ and its global ones
with base 10⁶ (and the ``rope_scaling`` only there), Llama 4 and SmolLM3 skip RoPE on every 4th layer,
EXAONE 4 and Command R7B on their global layers, Qwen3.5's linear-attention and LFM2's convolution layers
have no q·k at all. GPT-J, GLM, Cohere, Llama 4 and DeepSeek-V3 pair features (2i, 2i+1); most others pair
(i, i + d/2).

These facts are data here, one :class:`Architecture` per model type, so ``posenc inspect`` needs no network
and no transformers; ``tests/inspector`` checks every default against the transformers config class named in
``source`` and every frequency against the model's own rotary-embedding class.

Registries, not if-chains: ``LAYER_TYPES[rule](cfg, n_layers)`` names each layer the way transformers does,
``ROPE_PLANS[rule](cfg, layer_types)`` says which layers rotate and with which RoPE parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

HALF, INTERLEAVED = "half", "interleaved"
FULL, SLIDING, CHUNKED = "full_attention", "sliding_attention", "chunked_attention"
#: layer types that have no q·k attention, so nothing for RoPE to rotate
NO_ATTENTION = {
    "linear_attention": "linear attention (Gated DeltaNet): no q·k scores, so no RoPE",
    "conv": "short convolution block: no attention, so no RoPE",
}


@dataclass(frozen=True)
class Architecture:
    """The RoPE-relevant facts of one model type.

    ``defaults`` are the values transformers' config class (``source``) uses when the config leaves a key
    out; ``layer_types`` and ``rope_plan`` name rules in :data:`LAYER_TYPES` and :data:`ROPE_PLANS`;
    ``window`` says which layers ``sliding_window`` limits (``"all"``, ``"sliding_layers"`` or ``"none"``);
    ``pattern`` is the sliding/global period transformers uses when the config lists no ``layer_types``
    (read from the config's ``sliding_window_pattern`` where ``pattern_key`` says the class does); ``mla``
    marks DeepSeek's multi-head latent attention (mscale² folded into the softmax scale); ``mrope`` says how
    multimodal RoPE spreads the T/H/W positions over the pairs (``"interleaved"`` or ``"contiguous"``;
    ``mrope_section`` the default sections); ``ignores`` names config keys the model's code does not read,
    with why; ``from_transformers`` is the transformers version whose config class supplied the defaults
    (``None`` for the built-in table); ``partial_rotary`` False: the rotary module ignores the config's
    partial rotary factor.
    """

    source: str
    defaults: Mapping[str, Any] = field(default_factory=dict)
    layout: str = HALF
    layout_why: str = "transformers' rotate_half pairs feature i with i + d/2"
    layer_types: str = "given_or_full"
    rope_plan: str = "shared"
    window: str = "sliding_layers"
    pattern: int | None = None
    pattern_key: bool = False
    mla: bool = False
    training_length: tuple[int, str] | None = None
    mrope: str | None = None
    mrope_section: tuple[int, int, int] | None = None
    ignores: Mapping[str, str] = field(default_factory=dict)
    from_transformers: str | None = None
    partial_rotary: bool = True


def _arch(source: str, **defaults: Any) -> Callable[..., Architecture]:
    def make(**kw: Any) -> Architecture:
        return Architecture(source=source, defaults=MappingProxyType(defaults), **kw)

    return make


_INTERLEAVED_WHY = "transformers pairs features (2i, 2i + 1) for this model ({how})"

# --------------------------------------------------------------------------------------------------
# the table: defaults copied from transformers' config classes (tests/inspector checks each one)
# --------------------------------------------------------------------------------------------------

ARCHITECTURES: dict[str, Architecture] = {
    "llama": _arch(
        "LlamaConfig",
        hidden_size=4096,
        num_attention_heads=32,
        max_position_embeddings=2048,
        rope_theta=10000.0,
    )(window="none"),
    "mistral": _arch(
        "MistralConfig",
        hidden_size=4096,
        num_attention_heads=32,
        max_position_embeddings=131072,
        rope_theta=10000.0,
        sliding_window=4096,
    )(window="all"),
    "mixtral": _arch(
        "MixtralConfig",
        hidden_size=4096,
        num_attention_heads=32,
        max_position_embeddings=131072,
        rope_theta=1000000.0,
        sliding_window=None,
    )(window="all"),
    "ministral3": _arch(
        "Ministral3Config",
        hidden_size=4096,
        num_attention_heads=32,
        head_dim=128,
        max_position_embeddings=262144,
        sliding_window=None,
        rope_parameters={
            "type": "yarn",
            "rope_theta": 1000000.0,
            "factor": 16.0,
            "original_max_position_embeddings": 16384,
            "max_position_embeddings": 262144,
            "beta_fast": 32.0,
            "beta_slow": 1.0,
            "mscale_all_dim": 1.0,
            "mscale": 1.0,
            "llama_4_scaling_beta": 0.1,
            "rope_type": "yarn",
        },
    )(window="all"),
    "qwen2": _arch(
        "Qwen2Config",
        hidden_size=4096,
        num_attention_heads=32,
        max_position_embeddings=32768,
        rope_theta=10000.0,
        use_sliding_window=False,
    )(layer_types="qwen_window"),
    "qwen2_moe": _arch(
        "Qwen2MoeConfig",
        hidden_size=2048,
        num_attention_heads=16,
        max_position_embeddings=32768,
        rope_theta=10000.0,
        use_sliding_window=False,
    )(layer_types="qwen_window"),
    "qwen3": _arch(
        "Qwen3Config",
        hidden_size=4096,
        num_attention_heads=32,
        head_dim=128,
        max_position_embeddings=32768,
        rope_theta=10000.0,
        use_sliding_window=False,
    )(layer_types="qwen_window"),
    "qwen3_moe": _arch(
        "Qwen3MoeConfig",
        hidden_size=2048,
        num_attention_heads=32,
        max_position_embeddings=32768,
        rope_theta=10000.0,
        use_sliding_window=False,
    )(layer_types="qwen_window"),
    "qwen3_next": _arch(
        "Qwen3NextConfig",
        hidden_size=2048,
        num_attention_heads=16,
        head_dim=256,
        max_position_embeddings=32768,
        rope_theta=10000.0,
        partial_rotary_factor=0.25,
        full_attention_interval=4,
    )(layer_types="linear_every_nth"),
    "qwen2_vl_text": _arch(
        "Qwen2VLTextConfig",
        hidden_size=8192,
        num_attention_heads=64,
        max_position_embeddings=32768,
        rope_theta=1000000.0,
        use_sliding_window=False,
    )(layer_types="qwen_window", mrope="contiguous"),
    "qwen2_5_vl_text": _arch(
        "Qwen2_5_VLTextConfig",
        hidden_size=8192,
        num_attention_heads=64,
        max_position_embeddings=32768,
        rope_theta=1000000.0,
        use_sliding_window=False,
    )(layer_types="qwen_window", mrope="contiguous"),
    "qwen3_vl_text": _arch(
        "Qwen3VLTextConfig",
        hidden_size=4096,
        num_attention_heads=32,
        head_dim=128,
        max_position_embeddings=128000,
        rope_theta=500000.0,
    )(window="none", mrope="interleaved", mrope_section=(24, 20, 20)),
    "qwen3_5_text": _arch(
        "Qwen3_5TextConfig",
        hidden_size=4096,
        num_attention_heads=16,
        head_dim=256,
        max_position_embeddings=32768,
        rope_theta=10000.0,
        partial_rotary_factor=0.25,
        full_attention_interval=4,
    )(layer_types="linear_every_nth", mrope="interleaved", mrope_section=(11, 11, 10)),
    "phi": _arch(
        "PhiConfig",
        hidden_size=2048,
        num_attention_heads=32,
        max_position_embeddings=2048,
        rope_theta=10000.0,
        partial_rotary_factor=0.5,
    )(window="none"),
    "phi3": _arch(
        "Phi3Config",
        hidden_size=3072,
        num_attention_heads=32,
        max_position_embeddings=4096,
        rope_theta=10000.0,
        sliding_window=None,
    )(window="all"),
    "gemma": _arch(
        "GemmaConfig",
        hidden_size=3072,
        num_attention_heads=16,
        head_dim=256,
        max_position_embeddings=8192,
        rope_theta=10000.0,
    )(window="none"),
    "gemma2": _arch(
        "Gemma2Config",
        hidden_size=2304,
        num_attention_heads=8,
        head_dim=256,
        max_position_embeddings=8192,
        rope_theta=10000.0,
        sliding_window=4096,
    )(layer_types="sliding_every_nth", pattern=2),
    "gemma3_text": _arch(
        "Gemma3TextConfig",
        hidden_size=2304,
        num_attention_heads=8,
        head_dim=256,
        max_position_embeddings=131072,
        rope_theta=1000000.0,
        rope_local_base_freq=10000.0,
        sliding_window=4096,
    )(layer_types="sliding_every_nth", rope_plan="per_layer_type", pattern=6, pattern_key=True),
    "gpt_neox": _arch(
        "GPTNeoXConfig",
        hidden_size=6144,
        num_attention_heads=64,
        max_position_embeddings=2048,
        rope_theta=10000.0,
        partial_rotary_factor=0.25,
    )(window="none"),
    "gptj": _arch(
        "GPTJConfig",
        hidden_size=4096,
        num_attention_heads=16,
        max_position_embeddings=2048,
        rope_theta=10000.0,
        rotary_dim=64,
    )(layout=INTERLEAVED, layout_why=_INTERLEAVED_WHY.format(how="rotate_every_two"), window="none"),
    "falcon": _arch(
        "FalconConfig",
        hidden_size=4544,
        num_attention_heads=71,
        max_position_embeddings=2048,
        rope_theta=10000.0,
    )(window="none"),
    "deepseek_v2": _arch(
        "DeepseekV2Config",
        hidden_size=4096,
        num_attention_heads=32,
        max_position_embeddings=2048,
        rope_theta=10000.0,
        qk_rope_head_dim=64,
    )(
        layout=INTERLEAVED,
        layout_why=_INTERLEAVED_WHY.format(how="apply_rotary_emb on complex pairs"),
        window="none",
        mla=True,
    ),
    "deepseek_v3": _arch(
        "DeepseekV3Config",
        hidden_size=7168,
        num_attention_heads=128,
        max_position_embeddings=4096,
        rope_theta=10000.0,
        qk_rope_head_dim=64,
        rope_interleave=True,
    )(
        layout=INTERLEAVED,
        layout_why=_INTERLEAVED_WHY.format(how="rope_interleave: apply_rotary_pos_emb_interleave"),
        window="none",
        mla=True,
    ),
    "olmo": _arch(
        "OlmoConfig",
        hidden_size=4096,
        num_attention_heads=32,
        max_position_embeddings=2048,
        rope_theta=10000.0,
    )(window="none"),
    "olmo2": _arch(
        "Olmo2Config",
        hidden_size=4096,
        num_attention_heads=32,
        max_position_embeddings=2048,
        rope_theta=10000.0,
    )(window="none"),
    "olmo3": _arch(
        "Olmo3Config",
        hidden_size=4096,
        num_attention_heads=32,
        max_position_embeddings=2048,
        rope_theta=500000.0,
        sliding_window=4096,
    )(layer_types="sliding_every_nth", rope_plan="per_layer_type", pattern=4),
    "exaone4": _arch(
        "Exaone4Config",
        hidden_size=4096,
        num_attention_heads=32,
        max_position_embeddings=2048,
        rope_theta=10000.0,
        sliding_window=4096,
        sliding_window_pattern=4,
    )(layer_types="sliding_every_nth", rope_plan="sliding_only", pattern=4, pattern_key=True),
    "gpt_oss": _arch(
        "GptOssConfig",
        hidden_size=2880,
        num_attention_heads=64,
        head_dim=64,
        max_position_embeddings=131072,
        sliding_window=128,
        rope_parameters={
            "rope_type": "yarn",
            "factor": 32.0,
            "beta_fast": 32.0,
            "beta_slow": 1.0,
            "truncate": False,
            "original_max_position_embeddings": 4096,
            "rope_theta": 150000.0,
        },
    )(layer_types="sliding_every_nth", pattern=2),
    "lfm2": _arch(
        "Lfm2Config",
        hidden_size=2560,
        num_attention_heads=32,
        max_position_embeddings=128000,
        rope_theta=1000000.0,
    )(layer_types="lfm2", window="none"),
    "smollm3": _arch(
        "SmolLM3Config",
        hidden_size=2048,
        num_attention_heads=16,
        max_position_embeddings=32768,
        rope_theta=2000000.0,
        sliding_window=None,
        use_sliding_window=False,
        no_rope_layer_interval=4,
    )(layer_types="no_rope_layers", rope_plan="no_rope_layers"),
    "llama4_text": _arch(
        "Llama4TextConfig",
        hidden_size=5120,
        num_attention_heads=40,
        head_dim=128,
        max_position_embeddings=131072,
        rope_theta=500000.0,
        no_rope_layer_interval=4,
        attention_chunk_size=8192,
        attn_temperature_tuning=True,
        floor_scale=8192,
        attn_scale=0.1,
    )(
        layout=INTERLEAVED,
        layout_why=_INTERLEAVED_WHY.format(how="apply_rotary_emb on complex pairs"),
        layer_types="no_rope_layers",
        rope_plan="no_rope_layers",
        window="none",
    ),
    "cohere": _arch(
        "CohereConfig",
        hidden_size=8192,
        num_attention_heads=64,
        max_position_embeddings=8192,
        rope_theta=500000.0,
    )(
        layout=INTERLEAVED,
        layout_why=_INTERLEAVED_WHY.format(how="repeat_interleave of the angles"),
        window="none",
    ),
    "cohere2": _arch(
        "Cohere2Config",
        hidden_size=8192,
        num_attention_heads=64,
        head_dim=128,
        max_position_embeddings=8192,
        rope_theta=10000.0,
        sliding_window=4096,
    )(
        layout=INTERLEAVED,
        layout_why=_INTERLEAVED_WHY.format(how="repeat_interleave of the angles"),
        layer_types="sliding_every_nth",
        rope_plan="sliding_only",
        pattern=4,
        pattern_key=True,
        ignores={
            "rotary_pct": "transformers' Cohere2Config has no partial rotary: RoPE rotates the whole head "
            "(Cohere's first models read rotary_pct; Cohere 2 does not)"
        },
    ),
    "glm": _arch(
        "GlmConfig",
        hidden_size=4096,
        num_attention_heads=32,
        head_dim=128,
        max_position_embeddings=131072,
        rope_theta=10000.0,
        partial_rotary_factor=0.5,
    )(
        layout=INTERLEAVED,
        layout_why=_INTERLEAVED_WHY.format(how="rotate_half over x[0::2], x[1::2]"),
        window="none",
    ),
    "glm4": _arch(
        "Glm4Config",
        hidden_size=4096,
        num_attention_heads=32,
        head_dim=128,
        max_position_embeddings=131072,
        rope_theta=10000.0,
        partial_rotary_factor=0.5,
    )(
        layout=INTERLEAVED,
        layout_why=_INTERLEAVED_WHY.format(how="rotate_half over x[0::2], x[1::2]"),
        window="none",
    ),
    "starcoder2": _arch(
        "Starcoder2Config",
        hidden_size=3072,
        num_attention_heads=24,
        max_position_embeddings=4096,
        rope_theta=10000.0,
        sliding_window=None,
    )(window="all"),
    "granite": _arch(
        "GraniteConfig",
        hidden_size=4096,
        num_attention_heads=32,
        max_position_embeddings=2048,
        rope_theta=10000.0,
    )(window="none"),
    "stablelm": _arch(
        "StableLmConfig",
        hidden_size=2560,
        num_attention_heads=32,
        max_position_embeddings=4096,
        rope_theta=10000.0,
        partial_rotary_factor=0.25,
    )(window="none"),
    # MiniMind (jingyaogong/minimind, remote code): max_position_embeddings is the length of its precomputed
    # cos/sin table; its YaRN recipe (inference_rope_scaling) takes 2048 as original_max_position_embeddings.
    # That is YaRN's reference length, not the pretraining length (train_pretrain.py uses 340-token samples)
    "minimind": _arch(
        "MiniMindConfig (jingyaogong/minimind model/model_minimind.py)",
        hidden_size=512,
        num_attention_heads=8,
        max_position_embeddings=32768,
        rope_theta=1000000.0,
    )(
        window="none",
        training_length=(
            2048,
            "model_type minimind: its YaRN recipe's original_max_position_embeddings, "
            "YaRN's reference length (pretraining itself uses 340-token samples; "
            "max_position_embeddings is the size of its cos/sin table)",
        ),
    ),
    # ChatGLM2/3 (THUDM, remote code): RotaryEmbedding(kv_channels // 2, base 10000·rope_ratio) rotates the
    # first half of each head in pairs (2i, 2i+1); transformers' GLM port keeps exactly that
    "chatglm": _arch(
        "ChatGLMConfig (THUDM/chatglm3-6b configuration_chatglm.py; transformers' GlmConfig port)",
        hidden_size=4096,
        num_attention_heads=32,
        kv_channels=128,
        seq_length=2048,
        rope_ratio=1.0,
    )(
        layout=INTERLEAVED,
        layout_why="ChatGLM's apply_rotary_pos_emb pairs features (2i, 2i + 1)",
        window="none",
    ),
    # InternLM2 (internlm/internlm2_5-7b-chat, remote code): modeling_internlm2.py's InternLM2RotaryEmbedding
    # and its dynamic NTK subclass are Llama's (rotate_half; base·(s·n/L − (s − 1))^(d/(d−2)) past L)
    "internlm2": _arch(
        "InternLM2Config (internlm/internlm2_5-7b-chat configuration_internlm2.py)",
        hidden_size=4096,
        num_attention_heads=32,
        max_position_embeddings=2048,
        rope_theta=10000.0,
    )(window="none"),
}

#: wrappers (multimodal models) and the key their text model sits under, with the model type it has by default
WRAPPERS: dict[str, tuple[str, str]] = {
    "gemma3": ("text_config", "gemma3_text"),
    "llama4": ("text_config", "llama4_text"),
    "mistral3": ("text_config", "mistral"),
    "llava": ("text_config", "llama"),
    "llava_next": ("text_config", "llama"),
    "llava_onevision": ("text_config", "qwen2"),
    "qwen2_vl": ("text_config", "qwen2_vl_text"),
    "qwen2_5_vl": ("text_config", "qwen2_5_vl_text"),
    "qwen3_vl": ("text_config", "qwen3_vl_text"),
    "qwen3_5": ("text_config", "qwen3_5_text"),
    "voxtral": ("text_config", "llama"),
    "lfm2_vl": ("text_config", "lfm2"),
    "paligemma": ("text_config", "gemma"),
}
#: wrappers whose older configs keep the text keys at the top level, next to vision_config (Qwen2-VL, 2.5-VL)
FLAT_WRAPPERS = {"qwen2_vl": "qwen2_vl_text", "qwen2_5_vl": "qwen2_5_vl_text"}
#: another name for a model type, with why it is read as that type
MODEL_TYPE_ALIASES: dict[str, tuple[str, str]] = {
    "RefinedWebModel": (
        "falcon",
        "Falcon's first, remote-code name; transformers' FalconConfig reads these keys",
    ),
    "RefinedWeb": (
        "falcon",
        "Falcon-40B's first, remote-code name; transformers' FalconConfig reads these keys",
    ),
    "qwen2_vl": ("qwen2_vl_text", "Qwen2-VL keeps its text keys at the top level"),
    "qwen2_5_vl": ("qwen2_5_vl_text", "Qwen2.5-VL keeps its text keys at the top level"),
}


# --------------------------------------------------------------------------------------------------
# layer types: the name transformers gives each layer
# --------------------------------------------------------------------------------------------------


def _given(cfg: Mapping[str, Any], n: int) -> list[str] | None:
    types = cfg.get("layer_types")
    if types is None:
        return None
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        raise ValueError(f"'layer_types' must be a list of strings, got {types!r}")
    if len(types) != n:
        raise ValueError(f"'layer_types' has {len(types)} entries but 'num_hidden_layers' is {n}")
    return list(types)


def _given_or_full(arch: Architecture, cfg: Mapping[str, Any], n: int) -> list[str]:
    return _given(cfg, n) or [FULL] * n


def _qwen_window(arch: Architecture, cfg: Mapping[str, Any], n: int) -> list[str]:
    """Qwen2/Qwen3: with use_sliding_window, layers from max_window_layers on slide (transformers' rule)."""
    given = _given(cfg, n)
    if given is not None:
        return given
    window = cfg.get("sliding_window") if cfg.get("use_sliding_window") else None
    start = cfg.get("max_window_layers", 28)
    return [SLIDING if window is not None and i >= start else FULL for i in range(n)]


def _sliding_every_nth(arch: Architecture, cfg: Mapping[str, Any], n: int) -> list[str]:
    """Gemma 2/3, OLMo 3, EXAONE 4, Command R7B, gpt-oss: every ``pattern``-th layer is global.

    EXAONE 4 may spell the pattern as a string ("LLLG": three local layers, then a global one).
    """
    given = _given(cfg, n)
    if given is not None:
        return given
    pattern = cfg.get("sliding_window_pattern", arch.pattern) if arch.pattern_key else arch.pattern
    if cfg.get("sliding_window") is None or not pattern:
        return [FULL] * n
    if isinstance(pattern, str):
        if set(pattern) - {"L", "G"}:
            raise ValueError(
                f"'sliding_window_pattern' must be an integer or a string of L and G, got {pattern!r}"
            )
        return [SLIDING if pattern[i % len(pattern)] == "L" else FULL for i in range(n)]
    if not isinstance(pattern, int) or isinstance(pattern, bool) or pattern <= 0:
        raise ValueError(f"'sliding_window_pattern' must be a positive integer, got {pattern!r}")
    return [SLIDING if (i + 1) % pattern else FULL for i in range(n)]


def _linear_every_nth(arch: Architecture, cfg: Mapping[str, Any], n: int) -> list[str]:
    """Qwen3-Next, Qwen3.5: every ``full_attention_interval``-th layer attends, the others are linear "
    "attention."""
    given = _given(cfg, n)
    if given is not None:
        return given
    interval = cfg.get("full_attention_interval", 4)
    return ["linear_attention" if (i + 1) % interval else FULL for i in range(n)]


def _lfm2(arch: Architecture, cfg: Mapping[str, Any], n: int) -> list[str]:
    given = _given(cfg, n)
    if given is not None:
        return given
    full = cfg.get("full_attn_idxs")
    full = range(n) if full is None else full
    return [FULL if i in full else "conv" for i in range(n)]


def rope_layer_flags(cfg: Mapping[str, Any], n: int) -> list[int]:
    """``no_rope_layers`` as transformers reads it: entry i is 1 when layer i *uses* RoPE (the name misleads).

    Absent or empty, every ``no_rope_layer_interval``-th layer (4: layers 3, 7, 11, …) skips RoPE.
    """
    flags = cfg.get("no_rope_layers")
    if not flags:
        interval = cfg.get("no_rope_layer_interval", 4)
        if not isinstance(interval, int) or isinstance(interval, bool) or interval <= 0:
            raise ValueError(f"'no_rope_layer_interval' must be a positive integer, got {interval!r}")
        return [int((i + 1) % interval != 0) for i in range(n)]
    if not isinstance(flags, list) or not all(f in (0, 1) for f in flags):
        raise ValueError(
            f"'no_rope_layers' must be a list of 0/1 flags (1 = the layer uses RoPE), got {flags!r}"
        )
    if len(flags) != n:
        raise ValueError(f"'no_rope_layers' has {len(flags)} entries but 'num_hidden_layers' is {n}")
    return list(flags)


def _no_rope_layers(arch: Architecture, cfg: Mapping[str, Any], n: int) -> list[str]:
    """Llama 4: RoPE layers attend in chunks (attention_chunk_size); SmolLM3: NoPE layers may slide."""
    given = _given(cfg, n)
    if given is not None:
        return given
    flags = rope_layer_flags(cfg, n)
    if (
        "attn_temperature_tuning" in arch.defaults
    ):  # Llama 4: RoPE layers attend in chunks when chunk size is set
        chunked = cfg.get("attention_chunk_size") is not None
        return [CHUNKED if f and chunked else FULL for f in flags]
    sliding = cfg.get("use_sliding_window") and cfg.get("sliding_window") is not None
    return [SLIDING if sliding and not f else FULL for f in flags]


LAYER_TYPES: dict[str, Callable[[Architecture, Mapping[str, Any], int], list[str]]] = {
    "given_or_full": _given_or_full,
    "qwen_window": _qwen_window,
    "sliding_every_nth": _sliding_every_nth,
    "linear_every_nth": _linear_every_nth,
    "lfm2": _lfm2,
    "no_rope_layers": _no_rope_layers,
}


# --------------------------------------------------------------------------------------------------
# RoPE plans: which layers rotate, with which parameters
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LayerRope:
    """One layer: its type, the RoPE set it rotates with (``None``: no RoPE) and why not."""

    index: int
    layer_type: str
    rope_set: str | None
    why_none: str | None = None


def _shared(cfg: Mapping[str, Any], types: list[str]) -> list[LayerRope]:
    """Every attention layer rotates with the config's one RoPE (one rotary module in transformers)."""
    return [
        LayerRope(i, t, None, NO_ATTENTION[t]) if t in NO_ATTENTION else LayerRope(i, t, "all")
        for i, t in enumerate(types)
    ]


def _per_layer_type(cfg: Mapping[str, Any], types: list[str]) -> list[LayerRope]:
    """Gemma 3, OLMo 3: one RoPE per layer type (transformers keeps ``{layer_type}_inv_freq`` buffers)."""
    return [LayerRope(i, t, t) for i, t in enumerate(types)]


def _sliding_only(cfg: Mapping[str, Any], types: list[str]) -> list[LayerRope]:
    """EXAONE 4, Command R7B: sliding-window layers rotate; global layers use no position encoding (NoPE)."""
    if cfg.get("sliding_window") is None:
        return _shared(cfg, types)
    why = "global layer without position encoding (NoPE): only the sliding-window layers rotate q/k"
    return [
        LayerRope(i, t, "all") if t == SLIDING else LayerRope(i, t, None, why) for i, t in enumerate(types)
    ]


def _no_rope_flags(cfg: Mapping[str, Any], types: list[str]) -> list[LayerRope]:
    """Llama 4, SmolLM3: ``no_rope_layers[i] == 0`` marks a NoPE layer."""
    flags = rope_layer_flags(cfg, len(types))
    why = "NoPE layer (no_rope_layers[i] = 0): no rotation, attention by content alone"
    return [
        LayerRope(i, t, "all") if f else LayerRope(i, t, None, why)
        for i, (t, f) in enumerate(zip(types, flags, strict=True))
    ]


def _by_layer_type(cfg: Mapping[str, Any], types: list[str]) -> list[LayerRope]:
    """Model types read from transformers: one RoPE per layer type where ``rope_parameters`` is nested by
    layer type (transformers' rotary keeps a ``{layer_type}_inv_freq`` buffer for each non-null entry), a
    null entry meaning that layer type uses no RoPE; else one RoPE shared by every attention layer."""
    rope = cfg.get("rope_parameters")
    nested = isinstance(rope, Mapping) and bool(set(rope) & set(types))
    if not nested:
        return _shared(cfg, types)
    out = []
    for i, t in enumerate(types):
        if t in NO_ATTENTION:
            out.append(LayerRope(i, t, None, NO_ATTENTION[t]))
        elif rope.get(t) is None:
            why = f"NoPE layer: rope_parameters has no RoPE for {t} (transformers builds no rotary for it)"
            out.append(LayerRope(i, t, None, why))
        else:
            out.append(LayerRope(i, t, t))
    return out


ROPE_PLANS: dict[str, Callable[[Mapping[str, Any], list[str]], list[LayerRope]]] = {
    "by_layer_type": _by_layer_type,
    "shared": _shared,
    "per_layer_type": _per_layer_type,
    "sliding_only": _sliding_only,
    "no_rope_layers": _no_rope_flags,
}


def layer_plan(arch: Architecture, cfg: Mapping[str, Any]) -> list[LayerRope]:
    """Each layer's type and RoPE set, by the architecture's rules (one ``all`` set for plain models)."""
    n = cfg.get("num_hidden_layers")
    if n is None:
        return [LayerRope(0, FULL, "all")]  # no layer count: describe one representative layer
    if not isinstance(n, int) or isinstance(n, bool) or not 0 < n <= 100_000:
        raise ValueError(f"'num_hidden_layers' must be a positive integer, got {n!r}")
    types = LAYER_TYPES[arch.layer_types](arch, cfg, n)
    return ROPE_PLANS[arch.rope_plan](cfg, types)
