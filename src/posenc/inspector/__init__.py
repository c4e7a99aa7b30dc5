"""``posenc inspect``: explain and check the RoPE set-up of a Hugging Face ``config.json``, offline.

Given a config (a path, a model folder, or a bundled example such as ``llama-3.1-8b``), the report
says which position encoding it uses and, for RoPE, every parameter with its defaults made
explicit, the per-pair frequency ladder (wavelengths, full turns within the training length, Liu et
al. 2023's critical dimension), what the scaling does to each pair (YaRN groups, Llama 3 bands,
dynamic NTK's effective base, LongRoPE's list), the attention temperature and where it is applied,
and the numeric pitfalls (positions in bf16/fp16, a target beyond the scaled length, …).

Parts: ``loading`` (read the JSON, detect the family, resolve aliases), ``analysis`` (the report;
every frequency from ``posenc.encodings.rope.frequencies``), ``precision`` (low-precision positions),
``render`` (rich tables), ``plot`` (``--plot``), ``cli`` (the command).
"""

from posenc.inspector.analysis import inspect_config
from posenc.inspector.loading import bundled_configs, detect_family, load_config, rope_config

__all__ = ["bundled_configs", "detect_family", "inspect_config", "load_config", "rope_config"]
