"""``posenc inspect``: explain and check the RoPE set-up of a Hugging Face ``config.json``, offline.

Given a config (a path, a model folder, or a bundled example such as ``llama-3.1-8b``), the report
says which model it describes (unwrapping multimodal ``text_config``s, filling the defaults transformers'
config class would), which layers rotate q/k with which RoPE (Gemma 3's global and sliding-window bases,
Llama 4's and SmolLM3's NoPE layers, Qwen3.5's linear-attention layers), how features are paired (half or
interleaved layout), the multimodal RoPE sections of Qwen-VL models and position-dependent query scales;
then, per RoPE set, every parameter with its defaults made explicit, the per-pair frequency ladder, what the
scaling does to each pair, the attention temperature, and warnings about the config (kept apart from notes on
numeric mistakes one might make, such as positions cast to bf16). Model types outside the built-in table are
read through transformers' own config class where it is installed; a remote-code or custom model type follows
its ``architectures`` entry (``DeepseekV3ForCausalLM``) or ``--as MODEL_TYPE``; otherwise it is refused as
unsupported rather than guessed.

Parts: ``loading`` (read the JSON, detect the family, resolve aliases), ``architectures`` (the built-in table
per model type: defaults, layer rules, pair layout), ``from_transformers`` (any other model type, from
transformers' config class), ``rotations`` (how those rotate; kept in step by the sweep test), ``resolve``
(the model behind a config), ``analysis`` (the report around the model's layers), ``rope_set`` (one RoPE
set: parameters, lengths, pair ladder, critical dimension; every frequency from
``posenc.encodings.rope.frequencies``), ``scaling`` (what each method does, attention temperature),
``pitfalls`` (the checks, one registered rule each), ``summary`` (the lines read first), ``precision``
(low-precision positions), ``render`` (rich output, summary first), ``plot`` (``--plot``), ``cli`` (the
command).
"""

from posenc.inspector.analysis import inspect_config
from posenc.inspector.loading import bundled_configs, detect_family, load_config, rope_config
from posenc.inspector.resolve import resolve

__all__ = ["bundled_configs", "detect_family", "inspect_config", "load_config", "resolve", "rope_config"]
