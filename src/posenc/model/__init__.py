"""A tiny MiniMind / Llama-shaped decoder LM whose position encoding is any of posenc.encodings.

    from posenc.model import ModelConfig, TinyLM
    model = TinyLM(ModelConfig.preset("tiny", pe="alibi"))
    logits, loss = model(idx, targets)

``load_model(run_dir)`` (a trained run) lives with the checkpoints in posenc.train.
"""

from posenc.model.config import PRESETS, ModelConfig
from posenc.model.lm import KVCache, TinyLM

__all__ = ["PRESETS", "KVCache", "ModelConfig", "TinyLM"]
