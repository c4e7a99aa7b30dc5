"""Page: the rotation playground, and its JSON route.

    GET /playground      one RoPE pair drawn in 2-D: q at position m, k at position n, their dot product
    GET /api/rotation    the numbers the page draws (``rope.frequencies``, ``rope.cos_sin``, ``rope.apply``
                         on a 2-D q and k)

Every parameter is checked where it enters and a bad one is answered 400 with a message naming it.
torch (through ``posenc.encodings``) is imported inside the route, never at import time.
"""

from __future__ import annotations

import math
from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from posenc.web.core import Lab, memo_json
from posenc.web.params import BadInput, query_integer, query_number, query_only
from posenc.web.rope_form import read_base, read_head_dim

MAX_POSITION = 2**16  # playground positions (float32 angles m·θ stay within ~4e-3 rad of exact)
ROTATION_PARAMS = ("m", "n", "theta", "base", "head_dim", "pair", "q_angle", "k_angle")


def _wrap_degrees(angle: float) -> float:
    """An angle in degrees into (−180, 180]."""
    wrapped = math.fmod(angle + 180.0, 360.0)
    wrapped = wrapped + 360.0 if wrapped <= 0 else wrapped
    return wrapped - 180.0


def rotation(params: QueryParams) -> dict[str, Any]:
    """q at position m and k at position n, rotated by the library; the score ⟨R_m q, R_n k⟩.

    Reads ``m``, ``n`` (positions), ``q_angle``, ``k_angle`` (degrees; q and k are unit vectors) and
    either ``theta`` (radians per position) or ``base``, ``head_dim`` and ``pair`` (θ = the pair's
    inverse frequency from ``rope.frequencies``). Also returns the score of the same offset n − m
    with the smaller position moved to 0, to show that only the offset matters.
    """
    query_only(params, ROTATION_PARAMS)
    m = query_integer(params, "m", 0, low=0, high=MAX_POSITION)
    n = query_integer(params, "n", 0, low=0, high=MAX_POSITION)
    q_angle = query_number(params, "q_angle", 0.0, low=-360.0, high=360.0)
    k_angle = query_number(params, "k_angle", 0.0, low=-360.0, high=360.0)

    import torch

    from posenc.encodings import rope

    if "theta" in params:
        given = [k for k in ("base", "head_dim", "pair") if k in params]
        if given:
            raise BadInput(f"give theta, or base, head_dim and pair, not both (got theta and {given[0]})")
        theta_in = query_number(params, "theta", 0.0, low=0.0, high=2 * math.pi)
        inv_freq = torch.tensor([theta_in], dtype=torch.float32)  # θ, [1]: one pair
        source: dict[str, Any] = {"mode": "theta"}
    else:
        head_dim, base = read_head_dim(params), read_base(params)
        pair = query_integer(params, "pair", 0, low=0, high=head_dim // 2 - 1)
        all_freq, _ = rope.frequencies({"head_dim": head_dim, "rope_theta": base})  # θ, [head_dim/2]
        inv_freq = all_freq[pair : pair + 1]  # [1]
        source = {"mode": "pair", "head_dim": head_dim, "base": base, "pair": pair}
    theta = float(inv_freq[0])

    shift = min(m, n)  # the same offset with the smaller position at 0
    positions = torch.tensor([m, n, m - shift, n - shift])  # [4]: q at m, k at n, then the reference
    cos, sin = rope.cos_sin(positions, inv_freq)  # [4, 1] each
    qa, ka = math.radians(q_angle), math.radians(k_angle)
    q, k = [math.cos(qa), math.sin(qa)], [math.cos(ka), math.sin(ka)]
    x = torch.tensor([q, k, q, k], dtype=torch.float64).view(1, 1, 4, 2)  # [b=1, n_h=1, s=4, h_d=2]
    rotated = rope.apply(x, cos, sin, layout="half")[0, 0]  # [4, 2]: R_m q, R_n k, R_m' q, R_n' k
    rq, rk, ref_q, ref_k = (rotated[i].tolist() for i in range(4))
    score = float(rotated[0] @ rotated[1])
    reference = float(rotated[2] @ rotated[3])

    angle_rq = math.degrees(math.atan2(rq[1], rq[0]))
    angle_rk = math.degrees(math.atan2(rk[1], rk[0]))
    between = _wrap_degrees(angle_rk - angle_rq)  # from R_m q to R_n k, signed
    radius = 0.32
    arc = [
        [
            radius * math.cos(math.radians(angle_rq + between * t / 32)),
            radius * math.sin(math.radians(angle_rq + between * t / 32)),
        ]
        for t in range(33)
    ]  # drawing points of the angle between the rotated vectors
    return {
        "m": m,
        "n": n,
        "offset": n - m,
        "theta": theta,
        "wavelength": 2 * math.pi / theta if theta > 0 else None,
        "source": source,
        "q": q,
        "k": k,
        "rq": rq,
        "rk": rk,
        "turn_q_degrees": math.degrees(math.atan2(float(sin[0, 0]), float(cos[0, 0]))),  # m·θ mod 360°
        "turn_k_degrees": math.degrees(math.atan2(float(sin[1, 0]), float(cos[1, 0]))),  # n·θ mod 360°
        "angle_between_degrees": between,
        "arc": arc,
        "score": score,
        "score_unrotated": q[0] * k[0] + q[1] * k[1],
        "reference": {"m": m - shift, "n": n - shift, "score": reference, "rq": ref_q, "rk": ref_k},
    }


def routes(lab: Lab) -> list[BaseRoute]:
    def playground(request: Request):
        return lab.page(request, "playground.html", key="playground", title="Rotation playground")

    return [
        Route("/playground", playground),
        Route("/api/rotation", memo_json(rotation, lab.answers)),
    ]
