# posenc exercise: rope-apply-half
# expect: wrong shape
"""Mistake: returns [b, s, n_h, h_d] instead of [b, n_h, s, h_d]."""


def rope_apply_half(x, positions, inv_freq):
    return x.transpose(1, 2).contiguous()
