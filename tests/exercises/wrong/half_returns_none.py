# posenc exercise: rope-apply-half
# expect: None (is a `return` missing?)
"""Mistake: computes the result and forgets to return it."""


def rope_apply_half(x, positions, inv_freq):
    x.float() * 2
