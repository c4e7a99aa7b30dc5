# posenc exercise: yarn
# expect-hint: minimind
# expect-hint: attention_missing
"""Mistake: MiniMind's own YaRN (hi clamped at d/2 − 1, attention factor 1.0) for transformers' YaRN."""
import math

import torch


def yarn_frequencies(head_dim, base, factor, original_max_position_embeddings, beta_fast=32.0, beta_slow=1.0):
    dim, orig = head_dim, original_max_position_embeddings
    freqs = 1.0 / (base ** (torch.arange(0, dim, 2)[: dim // 2].float() / dim))

    def inv_dim(b):
        return (dim * math.log(orig / (b * 2 * math.pi))) / (2 * math.log(base))

    low, high = max(math.floor(inv_dim(beta_fast)), 0), min(math.ceil(inv_dim(beta_slow)), dim // 2 - 1)
    ramp = torch.clamp((torch.arange(dim // 2).float() - low) / max(high - low, 0.001), 0, 1)
    return freqs * (1 - ramp + ramp / factor), 1.0
