# posenc exercise: yarn
# expect-hint: attention_squared
"""Mistake: the right frequencies, but the attention factor squared."""
import math

import torch


def yarn_frequencies(head_dim, base, factor, original_max_position_embeddings, beta_fast=32.0, beta_slow=1.0):
    d, length = head_dim, original_max_position_embeddings

    def correction_dim(turns):
        return d * math.log(length / (turns * 2 * math.pi)) / (2 * math.log(base))

    lo = max(math.floor(correction_dim(beta_fast)), 0)
    hi = min(math.ceil(correction_dim(beta_slow)), d - 1)
    if lo == hi:
        hi += 0.001
    gamma = torch.clamp((torch.arange(d // 2).float() - lo) / (hi - lo), 0, 1)
    theta = 1.0 / (base ** (torch.arange(0, d, 2).float() / d))
    return theta * (1 - gamma) + theta / factor * gamma, (0.1 * math.log(factor) + 1) ** 2
