"""Page: the frequency explorer, and its JSON route.

    GET /explorer          per-pair wavelengths of RoPE before and after a scaling, for chosen settings
    GET /api/frequencies   the numbers the page draws: wavelengths, scale factors and the attention factor
                           (``rope.frequencies``), the lines and bands where a method's treatment changes

The settings are the shared RoPE form (:mod:`posenc.web.rope_form`), checked where they enter; a bad
one is answered 400 with a message naming it. torch is imported inside the route, never at import time.
"""

from __future__ import annotations

import math
from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from posenc.encodings import rope_types
from posenc.web.core import Lab, memo_json
from posenc.web.params import library_error
from posenc.web.rope_form import (
    EXPLORER_DEFAULTS,
    MAX_LENGTH,
    explorer_config,
    form_choices,
)


def _bands(v: dict[str, Any]) -> list[dict[str, Any]]:
    """The wavelengths where a method's treatment of a pair changes (horizontal lines on the plot)."""
    rope_type, original = v["rope_type"], v["original"]
    if rope_type in ("yarn", "minimind_yarn"):
        return [
            {
                "label": f"L/β_fast = {original / v['beta_fast']:.4g}: shorter wavelengths untouched",
                "tokens": original / v["beta_fast"],
            },
            {
                "label": f"L/β_slow = {original / v['beta_slow']:.4g}: longer wavelengths divided by s",
                "tokens": original / v["beta_slow"],
            },
        ]
    if rope_type == "llama3":
        return [
            {
                "label": f"L/high_freq_factor = {original / v['high_freq_factor']:.4g}: shorter kept",
                "tokens": original / v["high_freq_factor"],
            },
            {
                "label": f"L/low_freq_factor = {original / v['low_freq_factor']:.4g}: longer divided by s",
                "tokens": original / v["low_freq_factor"],
            },
        ]
    return []


def frequencies(params: QueryParams) -> dict[str, Any]:
    """Per-pair wavelengths before and after the scaling, scale factors and the attention factor."""
    config, seq_len, v = explorer_config(params)

    from posenc.encodings import rope

    plain = dict(config, rope_scaling=None)
    try:
        inv_scaled, attention = rope.frequencies(config, seq_len=seq_len)  # θ', [d/2]
        inv_plain, _ = rope.frequencies(plain)  # θ, [d/2]
    except ValueError as err:
        raise library_error(err) from None
    theta, theta_scaled = inv_plain.double(), inv_scaled.double()
    scale = theta / theta_scaled  # [d/2]: θ_plain / θ_scaled, 1 = untouched
    untouched = int(((scale - 1).abs() <= 1e-6).sum())
    divided = int(((scale - v["factor"]).abs() <= 1e-6 * v["factor"]).sum()) if v["factor"] != 1 else 0
    return {
        **v,
        "config": config,
        "seq_len": seq_len,
        "pairs": list(range(len(theta))),
        "inv_freq_plain": theta.tolist(),
        "inv_freq_scaled": theta_scaled.tolist(),
        "wavelength_plain": (2 * math.pi / theta).tolist(),  # tokens per full turn
        "wavelength_scaled": (2 * math.pi / theta_scaled).tolist(),
        "scale": scale.tolist(),
        "attention_factor": attention,
        "counts": {
            "untouched": untouched,
            "divided_by_factor": divided,
            "between": len(scale) - untouched - divided,
        },
        "longest_wavelength_plain": float(2 * math.pi / theta.min()),
        "longest_wavelength_scaled": float(2 * math.pi / theta_scaled.min()),
        "lines": [
            {"label": f"training length L = {v['original']:,}", "tokens": v["original"]},
            *(
                []
                if v["rope_type"] == "default"
                else [{"label": f"target length N = {v['target']:,}", "tokens": v["target"]}]
            ),
        ],
        "bands": _bands(v),
        "note": rope_types.note(v["rope_type"]),
    }


def routes(lab: Lab) -> list[BaseRoute]:
    def explorer(request: Request):
        return lab.page(
            request,
            "explorer.html",
            key="explorer",
            title="Frequency explorer",
            **form_choices(),
            defaults=EXPLORER_DEFAULTS,
            max_length=MAX_LENGTH,
        )

    return [
        Route("/explorer", explorer),
        Route("/api/frequencies", memo_json(frequencies, lab.answers)),
    ]
