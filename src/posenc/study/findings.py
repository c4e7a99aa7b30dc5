"""What the study's numbers show, in sentences computed from them: no direction is assumed.

Each finding compares means from results.json (schema: :mod:`posenc.study.results`); a difference
within 1% is "about the same", and one within the seeds' spread is "within the seed spread", never a
direction. The report prints them under "What our numbers show".
"""

from __future__ import annotations

from posenc.study.results import by_multiple, depth_accuracy, mean
from posenc.study.runs import long_name

#: relative differences below this are reported as "about the same", never as a direction
SAME = 0.01


def _versus(new: float, old: float, spread: float = 0.0) -> str:
    """'better' / 'worse' / 'about the same' for a perplexity ``new`` against ``old`` (lower is better);
    'within the seed spread' when they differ by no more than ``spread`` (the larger of their stds)."""
    if abs(new / old - 1) < SAME:
        return "about the same"
    if abs(new - old) <= spread:
        return "within the seed spread"
    return "better" if new < old else "worse"


def _spread(*rows: dict | None, key: str = "last_ppl") -> float:
    """The largest std over seeds of ``key`` among ``rows`` (0 for one seed or a missing row)."""
    return max((row[key]["std"] or 0.0 for row in rows if row and row.get(key)), default=0.0)


def _change(a: float | None, b: float | None) -> str:
    """``b`` relative to ``a`` in words: '+38% (higher)' / '-5% (lower)'."""
    if a is None or b is None:
        return "not measured"
    pct = 100 * (b / a - 1)
    if abs(pct) < 100 * SAME:
        return f"{pct:+.1f}% (about the same)"
    return f"{pct:+.0f}% ({'higher' if pct > 0 else 'lower'})"


def findings(results: dict) -> list[str]:
    """Sentences about what the numbers show, each computed from them (no direction is assumed)."""
    mults = results["multiples"]
    top, seeds = mults[-1], len(results["seeds"])
    enc = {n: by_multiple(e["rows"]) for n, e in results["encodings"].items()}
    label = {n: e["label"] for n, e in results["encodings"].items()}
    lines = []
    for name, rows in enc.items():
        base, far = mean(rows.get(1)), mean(rows.get(top))
        lbase, lfar = mean(rows.get(1), "last_ppl"), mean(rows.get(top), "last_ppl")
        if far is None:
            lines.append(f"{label[name]}: perplexity beyond L not applicable (a table of L positions).")
            continue
        lines.append(
            f"{label[name]}: perplexity at {top}× L is {_change(base, far)} than at 1× "
            f"({base:.2f} → {far:.2f}); over the last L positions {_change(lbase, lfar)} "
            f"({lbase:.2f} → {lfar:.2f})."
        )
    ranked = sorted(
        (
            (n, mean(r.get(top), "last_ppl"))
            for n, r in enc.items()
            if mean(r.get(top), "last_ppl") is not None
        ),
        key=lambda t: t[1],
    )
    if ranked:
        order = ", ".join(f"{label[n]} {v:.2f}" for n, v in ranked)
        lines.append(f"Ranking at {top}× L by last-L perplexity (lower is better): {order}.")

    # the published directions, checked on our numbers
    def cmp(a: str, b: str, m: int, key: str = "last_ppl") -> str | None:
        va, vb = mean(enc.get(a, {}).get(m), key), mean(enc.get(b, {}).get(m), key)
        if va is None or vb is None:
            return None
        verdict = _versus(va, vb, _spread(enc[a].get(m), enc[b].get(m), key=key))
        rel = {
            "better": "lower than",
            "worse": "higher than",
            "about the same": "within 1% of",
            "within the seed spread": "within the seed spread of",
        }[verdict]
        return f"{label[a]} {va:.2f} is {rel} {label[b]} {vb:.2f}"

    for a, b in (
        ("alibi", "rope-1e4"),
        ("alibi", "sinusoidal"),
        ("t5", "rope-1e4"),
        ("rope-1e4", "sinusoidal"),
    ):
        text = cmp(a, b, top)
        if text:
            lines.append(f"At {top}× L (last L positions): {text}.")
    scal = results["scaling"].get("rope-1e4")
    if scal:
        none = by_multiple(scal["none"]["rows"])
        for method in ("linear", "ntk", "yarn", "minimind_yarn", "dynamic", "pi-finetune"):
            rows = by_multiple(scal.get(method, {}).get("rows", []))
            parts = []
            for m in mults[1:]:
                a, b = mean(none.get(m), "last_ppl"), mean(rows.get(m), "last_ppl")
                if a is not None and b is not None:
                    parts.append(
                        f"{m}×: {b:.2f} vs {a:.2f} ({_versus(b, a, _spread(none.get(m), rows.get(m)))})"
                    )
            if parts:
                what = "PI after a short fine-tune at 4× L" if method == "pi-finetune" else method
                lines.append(
                    f"RoPE 1e4 with {what}, last-L perplexity vs no scaling: " + "; ".join(parts) + "."
                )

    def bases(r4: dict, r6: dict, from_mult: int) -> list[str]:
        parts = []
        for m in mults:
            a, b = mean(r4.get(m), "last_ppl"), mean(r6.get(m), "last_ppl")
            if m >= from_mult and a is not None and b is not None:
                verdict = _versus(b, a, _spread(r4.get(m), r6.get(m)))
                parts.append(f"{m}× L: base 1e6 {b:.2f} vs 1e4 {a:.2f} ({verdict})")
        return parts

    r4, r6 = enc.get("rope-1e4"), enc.get("rope-1e6")
    if r4 and r6:
        lines.append(
            "The larger-base advice, trained at L (last-L perplexity): " + "; ".join(bases(r4, r6, 1)) + "."
        )
    long_arm = results.get("long_arm") or {}
    long4, long6 = long_name("rope-1e4"), long_name("rope-1e6")
    if long4 in long_arm and long6 in long_arm:
        a, b = by_multiple(long_arm[long4]["rows"]), by_multiple(long_arm[long6]["rows"])
        parts = bases(a, b, 4)
        if parts:
            lines.append("The larger-base advice, trained at 4× L: " + "; ".join(parts) + ".")
    lines += _passkey_findings(enc, label)
    lines += retrieval_findings(results)
    if seeds > 1:
        lines.append(
            f"± is the standard deviation over {seeds} seeds; a difference within it is reported as "
            "'within the seed spread', not as a direction."
        )
    return lines


def _passkey_findings(enc: dict[str, dict], label: dict[str, str]) -> list[str]:
    """What the passkey rows show; says so plainly when no model retrieved any key."""
    exact = [mean(row, "passkey") for rows in enc.values() for row in rows.values()]
    exact = [v for v in exact if v is not None]
    if not exact:
        return []
    digits = [mean(row, "passkey_digits") for rows in enc.values() for row in rows.values()]
    digits = [v for v in digits if v is not None]
    if max(exact) == 0:
        best = f" (per-digit accuracy at most {100 * max(digits):.0f}%, against 10% for a uniform guess)"
        return [
            "Passkey, models trained on text alone: no model retrieved a single key at any length, 1× "
            "included" + (best if digits else "") + ": at this scale next-byte training on code does not "
            "teach them to copy a number from far back, which is why the study trains a retrieval arm."
        ]
    best = max(
        ((n, m, mean(row, "passkey")) for n, rows in enc.items() for m, row in rows.items()),
        key=lambda t: -1 if t[2] is None else t[2],
    )
    return [f"Passkey: best exact retrieval {100 * best[2]:.0f}% ({label[best[0]]} at {best[1]:g}× L)."]


#: retrieval is said to survive at a length while the exact-key accuracy is at least this
SURVIVES = 0.5
#: a last-L perplexity at most this many times its 1× value is called flat
FLAT = 1.25


def median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def retrieval_findings(results: dict) -> list[str]:
    """What the retrieval arm shows, from its numbers: accuracy at 1×, where retrieval breaks, depth,
    perplexity beside it, and what teaching retrieval cost in perplexity."""
    arm, enc = results.get("retrieval") or {}, results["encodings"]
    if not arm:
        return []
    mults = results["multiples"]
    at1 = {n: mean(by_multiple(e["rows"]).get(1), "passkey") for n, e in arm.items()}
    known = [v for v in at1.values() if v is not None]
    lines = []
    if known:
        lines.append(
            f"Retrieval arm at 1× L (key in the middle): median exact-key accuracy over encodings "
            f"{100 * median(known):.0f}% ("
            + ", ".join(f"{arm[n]['label']} {100 * v:.0f}%" for n, v in at1.items() if v is not None)
            + ")."
        )
    survive, flat_but_lost = [], []
    for name, entry in arm.items():
        rows = by_multiple(entry["rows"])
        held = []  # the multiples from 1× on, up to the first where retrieval falls below SURVIVES
        for m in mults:
            if (mean(rows.get(m), "passkey") or 0.0) < SURVIVES:
                break
            held.append(m)
        if not held:
            survive.append(f"{entry['label']} does not reach {100 * SURVIVES:.0f}% even at 1×")
        elif held[-1] == mults[-1]:
            survive.append(f"{entry['label']} holds to {held[-1]}×")
        else:
            nxt = mults[len(held)]
            verb = "breaks" if rows.get(nxt, {}).get("status") == "ok" else "cannot run (n/a)"
            survive.append(f"{entry['label']} holds to {held[-1]}× and {verb} at {nxt}×")
        lm = by_multiple(enc.get(name, {}).get("rows", []))
        p1 = mean(lm.get(1), "last_ppl")
        for m in mults[1:]:
            pm, acc, acc1 = mean(lm.get(m), "last_ppl"), mean(rows.get(m), "passkey"), at1.get(name)
            if None in (p1, pm, acc, acc1) or acc1 < SURVIVES:
                continue
            if pm <= FLAT * p1 and acc < SURVIVES:
                flat_but_lost.append(
                    f"{entry['label']} at {m}× (last-L perplexity {pm:.2f} against {p1:.2f} at 1×, "
                    f"retrieval {100 * acc:.0f}% against {100 * acc1:.0f}%)"
                )
                break
    lines.append(
        f"Where retrieval survives (exact key ≥ {100 * SURVIVES:.0f}%, key in the middle): "
        + "; ".join(survive)
        + "."
    )
    if flat_but_lost:
        lines.append(
            "Perplexity hides it: perplexity stays flat (within "
            f"{FLAT:g}× of 1×) while retrieval falls below {100 * SURVIVES:.0f}% for "
            + "; ".join(flat_but_lost)
            + ". The model still predicts the next byte from what is near, but can no longer use what is far."
        )
    else:
        lines.append(
            f"No encoding keeps a flat last-L perplexity (within {FLAT:g}× of 1×) while its retrieval falls "
            f"below {100 * SURVIVES:.0f}%: here the two measures break together."
        )
    far_near = []
    for entry in arm.values():
        rows = by_multiple(entry["rows"])
        for m in mults[1:]:
            far, near = depth_accuracy(rows.get(m), 0.0), depth_accuracy(rows.get(m), 1.0)
            if far is not None and near is not None and near - far >= 0.3:
                far_near.append(f"{entry['label']} at {m}×: far {100 * far:.0f}%, near {100 * near:.0f}%")
                break
    if far_near:
        lines.append(
            "Depth: a key just before the question is found where one at the start is lost — "
            + "; ".join(far_near)
            + " (the first length where near beats far by 30 points or more)."
        )
    cost = []
    for name, entry in arm.items():
        a = mean(by_multiple(entry["rows"]).get(1), "ppl")
        b = mean(by_multiple(enc.get(name, {}).get("rows", [])).get(1), "ppl")
        if a is not None and b is not None:
            cost.append(a / b)
    if cost:
        lines.append(
            f"Cost: the retrieval-arm models are separate, so the perplexity models above are untouched; "
            f"on held-out code their own perplexity at 1× is {median(cost):.2f}× the LM models' (median "
            "over encodings): a model trained on passkey trials alone models the code around the key less "
            "well."
        )
    return lines


__all__ = ["FLAT", "SAME", "SURVIVES", "findings", "median", "retrieval_findings"]
