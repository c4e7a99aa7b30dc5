# posenc exercise: rope-apply-half
# expect: did not finish within
"""Mistake: an endless loop: each case must be stopped at its time limit, and the next one run."""


def rope_apply_half(x, positions, inv_freq):
    while True:
        pass
