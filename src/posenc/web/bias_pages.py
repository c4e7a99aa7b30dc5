"""Page: the bias explorer (ALiBi, T5 bias, xPos, NoPE), and its JSON route.

    GET /bias       the encodings that act on the scores (or decay them) instead of rotating by angle alone:
                    the same component the other-encodings note embeds (templates/widgets/bias.html)
    GET /api/bias   the numbers it draws, per family:
                    alibi  the slopes of any head count (``alibi.slopes``), each head's reach (the distance at
                           which its bias has fallen by ln 100: a key that far back gets at most 1/100 of
                           the weight of an equally matching key at distance 0), and one head's bias matrix
                           (``alibi.bias``) over ``length`` positions;
                    t5     the bucket of every relative position (``t5.relative_position_bucket``), and the
                           bucket matrix over ``length`` positions;
                    xpos   the decay ζ_i^((m − n)/γ) of pairs i over the distance (``xpos.decay_base``,
                           ``xpos.scale``);
                    nope   nothing: no bias, the causal mask is the only source of order.

Every parameter is checked where it enters; torch is imported inside the route, never at import time.
"""

from __future__ import annotations

import math
from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from posenc.web.core import Lab, memo_json
from posenc.web.params import library_error, query_choice, query_integer, query_number, query_only

FAMILIES = ("alibi", "t5", "xpos", "nope")
BIAS_PARAMS = (
    "family", "heads", "head", "length",  # every family
    "num_buckets", "max_distance", "bidirectional",  # t5
    "head_dim", "scale_base",  # xpos
)  # fmt: skip
MAX_HEADS = 128  # more than any model (BLOOM-176B: 112)
MAX_MATRIX = 64  # positions on a side of the drawn matrix
REACH_DROP = math.log(100)  # a bias this far below distance 0 leaves a key ≤ 1/100 of its weight
XPOS_DISTANCES = 200  # points on each decay curve
BIAS_DEFAULTS: dict[str, Any] = {
    "family": "alibi",
    "heads": 8,
    "head": 0,
    "length": 16,
    "num_buckets": 32,
    "max_distance": 128,
    "bidirectional": 0,
    "head_dim": 64,
    "scale_base": 512.0,
}


def _alibi(heads: int, head: int, length: int) -> dict[str, Any]:
    from posenc.encodings import alibi

    slopes = alibi.slopes(heads)  # [n_h], largest first
    matrix = alibi.bias(length, length, slopes)[head]  # [length, length]: query row, key column
    return {
        "slopes": slopes.tolist(),
        "reach": [REACH_DROP / float(m) for m in slopes],  # tokens back until the bias is −ln 100
        "reach_drop": REACH_DROP,
        "matrix": matrix.tolist(),
        "causal": True,
    }


def _t5(length: int, num_buckets: int, max_distance: int, bidirectional: bool) -> dict[str, Any]:
    import torch

    from posenc.encodings import t5

    span = min(2 * max_distance, 4096)
    relative = torch.arange(-span, span + 1)  # memory_position − query_position
    positions = torch.arange(length)
    grid = positions[None, :] - positions[:, None]  # [q, k]: key − query
    try:
        buckets = t5.relative_position_bucket(relative, bidirectional, num_buckets, max_distance)
        matrix = t5.relative_position_bucket(grid, bidirectional, num_buckets, max_distance)
    except ValueError as err:
        raise library_error(err) from None
    return {
        "relative": relative.tolist(),
        "buckets": buckets.tolist(),
        "matrix": matrix.tolist(),
        "causal": False,
    }


def _xpos(head_dim: int, scale_base: float, length: int) -> dict[str, Any]:
    import torch

    from posenc.encodings import xpos

    try:
        zeta = xpos.decay_base(head_dim)  # ζ, [h_d/2]
    except ValueError as err:
        raise library_error(err) from None
    last = max(int(4 * scale_base), 8)
    distances = torch.linspace(0, last, XPOS_DISTANCES).round().long().unique()  # m − n ≥ 0 (a past key)
    # the score of pair i carries ζ_i^((m − n)/γ): the query's ζ^(m/γ) times the key's ζ^(−n/γ)
    decay = xpos.scale(distances, zeta, scale_base)  # [distances, h_d/2]
    shown = sorted({0, head_dim // 8, head_dim // 4, head_dim // 2 - 1})
    positions = torch.arange(length)
    up = xpos.scale(positions, zeta, scale_base)  # [length, h_d/2]: ζ^(m/γ) per query
    down = up.reciprocal()  # ζ^(−n/γ) per key
    matrix = (up[:, None, 0] * down[None, :, 0]).tolist()  # pair 0 (fastest decay): [q, k]
    return {
        "zeta": zeta.tolist(),
        "distances": distances.tolist(),
        "pairs": shown,
        "decay": {str(i): decay[:, i].tolist() for i in shown},
        "matrix": matrix,
        "causal": True,
    }


def bias(params: QueryParams) -> dict[str, Any]:
    """The numbers of one family's view (see the module docstring)."""
    query_only(params, BIAS_PARAMS)
    d = BIAS_DEFAULTS
    family = query_choice(params, "family", FAMILIES, d["family"])
    heads = query_integer(params, "heads", d["heads"], low=1, high=MAX_HEADS)
    head = query_integer(params, "head", d["head"], low=0, high=heads - 1)
    length = query_integer(params, "length", d["length"], low=2, high=MAX_MATRIX)
    out: dict[str, Any] = {"family": family, "heads": heads, "head": head, "length": length}
    if family == "alibi":
        out |= _alibi(heads, head, length)
    elif family == "t5":
        num_buckets = query_integer(params, "num_buckets", d["num_buckets"], low=2, high=1024)
        max_distance = query_integer(params, "max_distance", d["max_distance"], low=1, high=2**16)
        bidirectional = query_integer(params, "bidirectional", d["bidirectional"], low=0, high=1) == 1
        out |= {"num_buckets": num_buckets, "max_distance": max_distance, "bidirectional": bidirectional}
        out |= _t5(length, num_buckets, max_distance, bidirectional)
    elif family == "xpos":
        head_dim = query_integer(params, "head_dim", d["head_dim"], low=2, high=1024)
        scale_base = query_number(params, "scale_base", d["scale_base"], low=1.0, high=1e6)
        out |= {"head_dim": head_dim, "scale_base": scale_base} | _xpos(head_dim, scale_base, length)
    else:
        out |= {"matrix": [[0.0] * length for _ in range(length)], "causal": True}
    return out


def routes(lab: Lab) -> list[BaseRoute]:
    def page(request: Request):
        return lab.page(
            request,
            "bias.html",
            key=None,
            title="Bias explorer: ALiBi, T5, xPos, NoPE",
            w={"p": "", "s": {}, "compact": False, "key": ""},
            max_heads=MAX_HEADS,
        )

    return [
        Route("/bias", page),
        Route("/api/bias", memo_json(bias, lab.answers)),
    ]
