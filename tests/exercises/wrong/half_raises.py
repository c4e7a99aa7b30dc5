# posenc exercise: rope-apply-half
# expect: raised IndexError
# expect: half_raises.py line 11: total += values[i]
"""Mistake: indexes past the end of inv_freq: the checker must say where, without our traceback."""


def rope_apply_half(x, positions, inv_freq):
    values = inv_freq.tolist()
    total = 0.0
    for i in range(len(values) + 1):
        total += values[i]
    return x
