"""The schema of RUN/eval.json (its layout: :mod:`posenc.evaluate.run`), checked whenever it is read back.

Checked by :mod:`posenc.results.schema`: every number finite, nesting bounded, each field's type. Only a
row's ``length`` is required of it (rows of older posenc versions lack the rest); every field a row has
must have its type, so a list where a number belongs is a one-line error naming the file and the field,
never a crash after the computing. Each row written since issue 37 carries ``sha256``, the checksum of
its canonical JSON, basis included (:func:`posenc.results.schema.sealed`).
"""

from __future__ import annotations

from posenc.results.schema import JSON, Const, Int, List, Map, Num, Obj, Opt, Str

EVAL_FORMAT = "posenc-eval/1"

_FRACTION = Opt(Num(0.0, 1.0))
_PASSKEY = Obj(
    {},
    optional={
        "trials": Int(),
        "accuracy": _FRACTION,
        "digit_accuracy": _FRACTION,
        "depth": Num(0.0, 1.0),
        "seed": Int(),
    },
)
_LOSS = Opt(Num())  # a diverged loss is written as null

ROW = Obj(
    {"length": Int(min=1)},
    optional={
        "multiple": Num(min=0.0),
        "status": Str(choices=("ok", "n/a")),
        "reason": Str(max_len=1000),
        "basis": Obj({}),
        "windows": Int(),
        "tokens": Int(),
        "loss": _LOSS,
        "ppl": _LOSS,
        "last": Int(),
        "last_tokens": Int(),
        "last_loss": _LOSS,
        "last_ppl": _LOSS,
        "segment_loss": List(_LOSS),
        "passkey": Opt(_PASSKEY),
        "passkey_by_depth": List(_PASSKEY),
        "rope_scaling_applied": Opt(Obj({})),
        "seed": Int(),
        "step": Opt(Int()),
        "sha256": Str(max_len=64),
    },
)

SCHEMA = Obj(
    {"format": Const(EVAL_FORMAT), "evals": Map(Obj({"rows": List(ROW)}, optional={"rope_scaling": JSON()}))},
    optional={"run": Str(), "pe": Str(max_len=200), "train_length": Int(min=1)},
)

__all__ = ["EVAL_FORMAT", "ROW", "SCHEMA"]
