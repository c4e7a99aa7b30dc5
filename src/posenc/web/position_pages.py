"""The angles page: RoPE's angle map and its long-term decay for chosen settings (+ their JSON routes).

Both views read the frequency explorer's controls, the shared RoPE form checked by its reader
(``rope_form.explorer_config``: head_dim, base, rope_type, factor, original L, target N, β_fast, β_slow,
low/high_freq_factor); every number comes from the library:

    GET /api/angles   cos(m·θ_i), or the angle m·θ_i mod 2π, over sampled positions m × pairs i
                      (θ from ``rope.frequencies``, the table from ``rope.cos_sin``); marks the training
                      length, the pairs whose wavelength 2π/θ_i exceeds it, and where a ramp starts and
                      ends (``rope_decay.crossing_pair``). Also reads ``length``, ``show``, ``spacing``.
    GET /api/decay    RoFormer's relative upper bound (1/(r/2)) Σ_j |S_j| and the mean ⟨R_m q, R_n q⟩ of
                      random q, times a² (``rope_decay``), vs relative distance; plain RoPE at the same
                      base beside a scaled one. Also reads ``distance``, ``spacing``.

    GET /api/clock    the clock of the clock note: a few pairs' hands at one position, the angle m·θ_i mod
                      2π from ``rope.cos_sin`` (θ from ``rope.frequencies``), each hand's θ_i, wavelength and
                      turns so far, and the ratio θ_i / θ_j between neighbouring hands shown.
                      Reads head_dim, base, position, pairs.

Positions and distances are sampled: every integer while they fit in the grid, else evenly spaced
(``linear``) or geometrically spaced (``log``) integers; the answer says which.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from posenc.encodings import rope_types
from posenc.results.jsonsafe import to_jsonable
from posenc.web.core import Lab, memo_json
from posenc.web.params import BadInput, library_error, query_choice, query_integer, query_only
from posenc.web.rope_form import (
    EXPLORER_DEFAULTS,
    MAX_LENGTH,
    explorer_config,
    form_choices,
    read_base,
    read_head_dim,
)

MAP_COLUMNS = 256  # positions on the angle map: 512 pairs × 256 columns still answer in ~0.1 s
DECAY_POINTS = 1000  # distances on the decay curves
SPACINGS = ("linear", "log")
SHOWS = ("cos", "angle")
ANGLE_DEFAULTS: dict[str, Any] = {"length": 8192, "show": "cos", "spacing": "log"}
DECAY_DEFAULTS: dict[str, Any] = {"distance": 8192, "spacing": "log"}


def sample(last: int, count: int, spacing: str) -> tuple[list[int], str]:
    """At most ``count`` integer positions up to ``last``, and a sentence saying how they were chosen.
    ``linear``: 0 … last, every integer or evenly spaced; ``log``: 1 … last, geometrically spaced."""
    import numpy as np

    first = 1 if spacing == "log" else 0
    if last - first + 1 <= count:
        every = list(range(first, last + 1))
        return every, f"every integer {first:,} … {last:,} ({len(every):,} values)"
    if spacing == "log":
        raw = np.geomspace(1, last, count)
        what = "geometrically spaced"
    else:
        raw = np.linspace(0, last, count)
        what = f"evenly spaced (about every {last / (count - 1):.4g} tokens)"
    values = sorted({int(round(x)) for x in raw})  # rounded to integers; duplicates merged
    return values, f"{len(values):,} values {first:,} … {last:,}, {what}, rounded to integers"


def aliased_from(positions: list[int], wavelengths: list[float]) -> list[int | None]:
    """Per pair, the position from which neighbouring columns lie more than half its wavelength apart
    (Nyquist: from there on its stripes alias), or None where every gap is short enough."""
    gaps = [(b - a, a) for a, b in itertools.pairwise(positions)]  # (gap, where it starts)
    return [next((at for gap, at in gaps if gap > w / 2), None) for w in wavelengths]


def _frequencies(config: dict[str, Any], seq_len: int | None):
    """θ of the chosen settings, the attention factor, and plain RoPE's θ at the same base."""
    from posenc.encodings import rope

    try:
        inv_freq, attention = rope.frequencies(config, seq_len=seq_len)  # θ', [r/2]
        inv_plain, _ = rope.frequencies(dict(config, rope_scaling=None))  # θ, [r/2]
    except ValueError as err:
        raise library_error(err) from None
    return inv_freq, attention, inv_plain


def _ramp(v: dict[str, Any]) -> dict[str, Any] | None:
    """Where a YaRN / Llama 3.1 ramp starts and ends: the pairs where plain RoPE's turns r = L/λ over the
    training length cross the method's two thresholds."""
    from posenc.encodings.rope_decay import crossing_pair

    ramp = rope_types.ramp(v["rope_type"])
    if ramp is None:
        return None
    slow_key, fast_key = ramp
    d, L, base = v["head_dim"], v["original"], v["base"]
    fast, slow = crossing_pair(v[fast_key], L, base, d), crossing_pair(v[slow_key], L, base, d)
    out: dict[str, Any] = {
        "fast": {"key": fast_key, "turns": v[fast_key], "pair": fast},
        "slow": {"key": slow_key, "turns": v[slow_key], "pair": slow},
    }
    if v["rope_type"] == "yarn":  # the library's ramp: truncated, clamped as transformers does
        out["ramp"] = [max(math.floor(fast), 0), min(math.ceil(slow), d - 1)]
    elif v["rope_type"] == "minimind_yarn":
        out["ramp"] = [max(math.floor(fast), 0), min(math.ceil(slow), d // 2 - 1)]
        out["active"] = v["target"] > L  # MiniMind ramps only when its table is longer than L
    return out


def angles(params: QueryParams) -> dict[str, Any]:
    """The angle map: per pair i and sampled position m, cos(m·θ_i) or m·θ_i mod 2π (radians)."""
    config, seq_len, v = explorer_config(params, also=tuple(ANGLE_DEFAULTS))
    length = query_integer(params, "length", ANGLE_DEFAULTS["length"], low=1, high=MAX_LENGTH)
    show = query_choice(params, "show", SHOWS, ANGLE_DEFAULTS["show"])
    spacing = query_choice(params, "spacing", SPACINGS, ANGLE_DEFAULTS["spacing"])
    positions, how = sample(length, MAP_COLUMNS, spacing)

    import torch

    from posenc.encodings import rope

    inv_freq, attention, inv_plain = _frequencies(config, seq_len)
    cos, sin = rope.cos_sin(torch.tensor(positions), inv_freq)  # [P, r/2]; a = 1: the angle alone
    if show == "cos":
        table = cos.double()  # [P, r/2]
    else:
        table = torch.atan2(sin.double(), cos.double()).remainder(2 * math.pi)  # m·θ mod 2π, [P, r/2]
    values = torch.round(table.T, decimals=6)  # [r/2, P]: one row per pair (plotly's z)

    theta, plain = inv_freq.double(), inv_plain.double()
    wavelength = 2 * math.pi / theta  # [r/2], tokens per turn
    L = v["original"]
    return to_jsonable(
        {
            **v,
            "length": length,
            "show": show,
            "spacing": spacing,
            "config": config,
            "seq_len": seq_len,
            "positions": positions,
            "sampling": how,
            "pairs": list(range(len(theta))),
            "theta": theta.tolist(),
            "wavelength": wavelength.tolist(),
            "wavelength_plain": (2 * math.pi / plain).tolist(),
            "values": values.tolist(),
            "attention_factor": attention,
            "training_length": L,
            "beyond_training": [i for i, w in enumerate(wavelength.tolist()) if w > L],
            "beyond_training_plain": [i for i, w in enumerate((2 * math.pi / plain).tolist()) if w > L],
            "aliased_from": aliased_from(positions, wavelength.tolist()),
            "ramp": _ramp(v),
        }
    )


def decay(params: QueryParams) -> dict[str, Any]:
    """RoFormer's relative upper bound and the mean q·q product vs relative distance, times a²."""
    config, seq_len, v = explorer_config(params, also=tuple(DECAY_DEFAULTS))
    distance = query_integer(params, "distance", DECAY_DEFAULTS["distance"], low=1, high=MAX_LENGTH)
    spacing = query_choice(params, "spacing", SPACINGS, DECAY_DEFAULTS["spacing"])
    distances, how = sample(distance, DECAY_POINTS, spacing)

    import torch

    from posenc.encodings.rope_decay import mean_qk_product, relative_upper_bound

    inv_freq, attention, inv_plain = _frequencies(config, seq_len)
    grid = torch.tensor(distances)  # [D]
    marks = {"0": 0, "L": v["original"]}
    if v["rope_type"] != "default":
        marks["N"] = v["target"]
    at = torch.tensor(list(marks.values()))  # the read-out distances, [3]

    def curves(theta, a: float) -> dict[str, Any]:
        bound, mean = relative_upper_bound(theta, grid, a), mean_qk_product(theta, grid, a)
        bound_at, mean_at = relative_upper_bound(theta, at, a), mean_qk_product(theta, at, a)
        return {
            "bound": bound.tolist(),
            "mean_dot": mean.tolist(),
            "at": {
                k: {"distance": d, "bound": float(b), "mean_dot": float(m)}
                for (k, d), b, m in zip(marks.items(), bound_at, mean_at, strict=True)
            },
        }

    return to_jsonable(
        {
            **v,
            "distance": distance,
            "spacing": spacing,
            "config": config,
            "seq_len": seq_len,
            "distances": distances,
            "sampling": how,
            "rotary_dim": 2 * len(inv_freq),
            "attention_factor": attention,
            "scaled": curves(inv_freq, attention),
            "plain": None if v["rope_type"] == "default" else curves(inv_plain, 1.0),
        }
    )


CLOCK_PARAMS = ("head_dim", "base", "position", "pairs")
MAX_HANDS = 4


def clock(params: QueryParams) -> dict[str, Any]:
    """The hands of a few pairs at one position (see the module docstring)."""
    query_only(params, CLOCK_PARAMS)
    head_dim, base = read_head_dim(params), read_base(params)
    position = query_integer(params, "position", 0, low=0, high=MAX_LENGTH)
    raw = params.get("pairs", f"0,{head_dim // 8},{head_dim // 4}")
    try:
        pairs = [int(x) for x in raw.split(",")]
    except ValueError:
        raise BadInput(f"pairs must be pair indices separated by commas, got {raw[:40]!r}") from None
    if not 1 <= len(pairs) <= MAX_HANDS or any(not 0 <= i < head_dim // 2 for i in pairs):
        raise BadInput(
            f"pairs must be 1 … {MAX_HANDS} pair indices in 0 … {head_dim // 2 - 1}, got {raw[:40]!r}"
        )

    import torch

    from posenc.encodings import rope

    inv_freq, _ = rope.frequencies({"head_dim": head_dim, "rope_theta": base})  # θ, [d/2]
    theta = inv_freq.double()[pairs]  # [hands]
    cos, sin = rope.cos_sin(torch.tensor([position]), theta)  # [1, hands] each
    angle = torch.atan2(sin[0], cos[0]).remainder(2 * math.pi)  # m·θ_i mod 2π, [hands]
    hands = [
        {
            "pair": i,
            "theta": float(t),
            "degrees_per_token": math.degrees(float(t)),
            "wavelength": 2 * math.pi / float(t),
            "angle_degrees": math.degrees(float(a)),
            "turns": position * float(t) / (2 * math.pi),
        }
        for i, t, a in zip(pairs, theta, angle, strict=True)
    ]
    ratios = [float(theta[k] / theta[k + 1]) for k in range(len(pairs) - 1)]  # how much slower the next hand
    return {
        "head_dim": head_dim,
        "base": base,
        "position": position,
        "hands": hands,
        "ratios": ratios,
        "neighbour_ratio": float(inv_freq[0] / inv_freq[1]) if head_dim > 2 else None,  # θ_i / θ_(i+1)
    }


def routes(lab: Lab) -> list[BaseRoute]:
    def page(request: Request):
        return lab.page(
            request,
            "angles.html",
            key="angles",
            title="Angle map and long-term decay",
            **form_choices(),
            defaults={
                **EXPLORER_DEFAULTS,
                "length": ANGLE_DEFAULTS["length"],
                "show": ANGLE_DEFAULTS["show"],
                "map_spacing": ANGLE_DEFAULTS["spacing"],
                "distance": DECAY_DEFAULTS["distance"],
                "decay_spacing": DECAY_DEFAULTS["spacing"],
            },
            columns=MAP_COLUMNS,
            points=DECAY_POINTS,
            max_length=MAX_LENGTH,
        )

    return [
        Route("/angles", page),
        Route("/api/angles", memo_json(angles, lab.answers)),
        Route("/api/decay", memo_json(decay, lab.answers)),
        Route("/api/clock", memo_json(clock, lab.answers)),
    ]
