# posenc exercise: rope-apply-half
# expect: ended (exit status 3)
"""Mistake: leaves the process: the checker must survive it and go on with the next case."""
import os


def rope_apply_half(x, positions, inv_freq):
    os._exit(3)
