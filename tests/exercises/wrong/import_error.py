# posenc exercise: rope-apply-half
# expect: importing import_error.py raised ModuleNotFoundError
"""Mistake: imports a module that does not exist."""
import no_such_module_here  # noqa: F401


def rope_apply_half(x, positions, inv_freq):
    return x
