"""What the study's numbers show, in sentences computed from them: no direction is assumed.

Each finding compares means from results.json (schema: :mod:`posenc.study.results`); a difference
within 1% is "about the same", and one within the seeds' spread is "within the seed spread", never a
direction. The report prints them under "What our numbers show".
"""

from __future__ import annotations

from collections.abc import Mapping

from posenc.study.presets import LEARNED_AT_1X
from posenc.study.results import by_multiple, mean
from posenc.study.runs import long_name

#: relative differences below this are reported as "about the same", never as a direction
SAME = 0.01

#: the encodings compared head to head at the longest length (last-L perplexity)
VERSUS = (("alibi", "rope-1e4"), ("alibi", "sinusoidal"), ("t5", "rope-1e4"), ("rope-1e4", "sinusoidal"))


def versus_pairs(enc: dict) -> list[tuple[str, str]]:
    """The pairs of :data:`VERSUS` whose both encodings the study trained."""
    return [(a, b) for a, b in VERSUS if a in enc and b in enc]


# The claims behind the findings, named the same way here and in posenc.study.replicate (which compares
# them between two runs): a finding whose claim varies between runs says so.
def claim_trend(label: str, top: float) -> str:
    return f"{label}: last-L perplexity at {top:g}× L against 1×"


def claim_rank(top: float) -> str:
    return f"Ranking at {top:g}× L by last-L perplexity"


def claim_versus(label_a: str, label_b: str, top: float) -> str:
    return f"{label_a} against {label_b}, last-L perplexity at {top:g}× L"


def claim_scaling(method: str, m: float) -> str:
    return f"RoPE 1e4 with {method} against no scaling at {m:g}× L"


def claim_base(m: float) -> str:
    return f"RoPE base 1e6 against 1e4 at {m:g}× L"


def claim_learned(label: str) -> str:
    return f"{label} (retrieval arm): seeds that learned at L"


def claim_holds(label: str) -> str:
    return f"{label} (retrieval arm): exact key ≥ {100 * SURVIVES:.0f}% holds to"


def claim_flat_lost(label: str) -> str:
    return f"{label}: retrieval lost while last-L perplexity stays flat, first at"


def claim_near(label: str) -> str:
    return f"{label} (retrieval arm): a near key beats a far one by 30 points, first at"


def _vary(varies: dict[str, str | None] | None, claim: str) -> str:
    """' [varies between runs: the re-run gives …]' when ``claim`` differs between two runs, else ''."""
    if not varies or claim not in varies:
        return ""
    other = varies[claim]
    return f" [varies between runs: the re-run gives {other if other is not None else 'no such claim'}]"


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


def findings(results: dict, varies: dict[str, str | None] | None = None) -> list[str]:
    """Sentences about what the numbers show, each computed from them (no direction is assumed).
    ``varies`` ({claim: the other run's verdict}, :func:`posenc.study.replicate.varies`): the claims
    that differ in a second run; each finding resting on one says "varies between runs"."""
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
            f"({lbase:.2f} → {lfar:.2f})." + _vary(varies, claim_trend(label[name], top))
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
        lines.append(
            f"Ranking at {top}× L by last-L perplexity (lower is better): {order}."
            + _vary(varies, claim_rank(top))
        )

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
        return f"{label[a]} {va:.2f} is {rel} {label[b]} {vb:.2f}" + _vary(
            varies, claim_versus(label[a], label[b], m)
        )

    for a, b in versus_pairs(enc):
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
                        + _vary(varies, claim_scaling(method, m))
                    )
            if parts:
                what = "PI after a short fine-tune at 4× L" if method == "pi-finetune" else method
                lines.append(
                    f"RoPE 1e4 with {what}, last-L perplexity vs no scaling: " + "; ".join(parts) + "."
                )

    def bases(r4: dict, r6: dict, from_mult: int, mark: bool = True) -> list[str]:
        parts = []
        for m in mults:
            a, b = mean(r4.get(m), "last_ppl"), mean(r6.get(m), "last_ppl")
            if m >= from_mult and a is not None and b is not None:
                verdict = _versus(b, a, _spread(r4.get(m), r6.get(m)))
                parts.append(
                    f"{m}× L: base 1e6 {b:.2f} vs 1e4 {a:.2f} ({verdict})"
                    + (_vary(varies, claim_base(m)) if mark else "")
                )
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
        parts = bases(a, b, 4, mark=False)
        if parts:
            lines.append("The larger-base advice, trained at 4× L: " + "; ".join(parts) + ".")
    lines += _passkey_findings(enc, label)
    lines += retrieval_findings(results, varies)
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


def flat_losses(
    mults: list[float],
    ppl: Mapping[float, float | None],
    accuracy: Mapping[float, list[float | None]],
) -> list[tuple[float, int, int]]:
    """Where perplexity hides a lost key: each multiple beyond 1× whose last-L perplexity
    ``ppl[m]`` stays flat (at most FLAT× its 1× value) while more of the seeds that retrieved at 1× (exact
    key ``accuracy[1][i]`` at least SURVIVES) have fallen below SURVIVES than at the multiple named before,
    as ``(m, seeds lost there, seeds that retrieved at 1×)``; it stops once all are lost. The findings'
    sentence and the replicate claim (its first multiple) both read this."""
    p1, first = ppl.get(1), accuracy.get(1) or []
    able = [i for i, v in enumerate(first) if v is not None and v >= SURVIVES]
    out: list[tuple[float, int, int]] = []
    counted = 0
    for m in mults[1:]:
        pm, vm = ppl.get(m), accuracy.get(m)
        if None in (p1, pm) or not vm or not able or pm > FLAT * p1:
            continue
        lost = sum(1 for i in able if i < len(vm) and vm[i] is not None and vm[i] < SURVIVES)
        if lost <= counted:
            continue
        counted = lost
        out.append((m, lost, len(able)))
        if lost == len(able):
            break
    return out


def median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def held_to(values_by_multiple: list[float | None]) -> int:
    """How many multiples, from 1× on, keep an exact key of at least SURVIVES (0: not even 1×)."""
    held = 0
    for v in values_by_multiple:
        if v is None or v < SURVIVES:
            break
        held += 1
    return held


def _seeds_text(k: int, n: int) -> str:
    """'in every seed' (all of several), '' (one seed), 'in 2 of 3 seeds'."""
    if n <= 1:
        return ""
    return f"in all {n} seeds" if k == n else f"in {k} of {n} seeds"


def _percents(values: list[float | None]) -> str:
    return ", ".join("—" if v is None else f"{100 * v:.0f}" for v in values) + "%"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def alibi_scale(results: dict) -> str | None:
    """What ALiBi's slopes mean at the evaluated lengths: the flattest head's penalty on the farthest key
    (computed from posenc.encodings.alibi's slopes and the study's head count and lengths)."""
    if "alibi" not in results["encodings"] and "alibi" not in (results.get("retrieval") or {}):
        return None
    from posenc.encodings.alibi import slopes

    heads = int(results["config"]["model"]["n_heads"])
    values = slopes(heads).tolist()  # largest first
    far, top, L = results["lengths"][-1], results["multiples"][-1], results["train_length"]
    steep, flat = values[0], values[-1]
    longer = 1024 if L < 1024 else 16 * L
    return (
        f"ALiBi at this scale: with {heads} heads its slopes are 1/{1 / steep:g} … 1/{1 / flat:g}, so its "
        f"flattest head penalises a key {far:,} tokens back (at {top}× L) by only about −{flat * far:.0f} "
        f"in the attention logit, where its steepest penalises it by −{steep * far:,.0f}: the flattest "
        f"head's recency window still covers the whole evaluated range. Read its {top}× column as {top}× "
        f"of a short L: at {top}× of L = {longer:,} the same head would penalise the farthest key by "
        f"−{flat * top * longer:,.0f}, so retrieval that survives {top}× here need not survive {top}× there."
    )


def retrieval_findings(results: dict, varies: dict[str, str | None] | None = None) -> list[str]:
    """What the retrieval arm shows, from its numbers, per seed: how many steps each encoding took to
    learn to copy at L, which runs did not learn (left out of everything after), where retrieval breaks,
    perplexity beside it, depth, and what teaching retrieval cost in perplexity. A statement that holds
    in some seeds only says how many ("in 2 of 3 seeds"), never a mean that describes no seed."""
    from posenc.study.criterion import describe
    from posenc.study.presets import ROBUST_SEEDS
    from posenc.study.results import arm_seeds, learned_rows

    arm, enc = results.get("retrieval") or {}, results["encodings"]
    if not arm:
        return []
    mults, n_seeds = results["multiples"], len(results["seeds"])
    label = {name: entry["label"] for name, entry in arm.items()}
    seeds = {name: arm_seeds(results, name) for name in arm}
    rows = {name: by_multiple(learned_rows(results, name)) for name in arm}

    def values(name: str, m: float, key: str = "passkey") -> list[float | None]:
        row = rows[name].get(m)
        if not row or row.get("status") != "ok" or not row.get(key):
            return []
        return list(row[key]["values"])

    lines = []
    criterion = (results.get("eval") or {}).get("retrieval_criterion")
    if criterion:
        ranked = []
        for name in arm:
            steps = [s["steps"] for s in seeds[name] if s["learned"]]
            key = (len(steps) == 0, median(steps) if steps else 0.0)
            shown = [str(s["steps"]) if s["learned"] else "–" for s in seeds[name]]
            text = label[name] + (f" {median(steps):g}" if steps else " –")
            ranked.append((key, text + (f" ({', '.join(shown)})" if n_seeds > 1 else "")))
        ranked.sort(key=lambda t: t[0])
        if all(done for (done, _), _ in ranked):  # (True, _): no seed learned
            lines.append(f"No retrieval-arm model learned to copy at L ({describe(criterion)}).")
        else:
            lines.append(
                f"Steps each retrieval-arm model took to learn to copy at L ({describe(criterion)}), "
                + ("fastest first, median over the seeds that learned (each seed in parentheses; – did not "
                   "learn): " if n_seeds > 1 else "fastest first (– did not learn): ")
                + "; ".join(text for _, text in ranked)
                + "."
            )  # fmt: skip
    else:
        lines.append(
            f"The retrieval arm was trained for a fixed {results['config'].get('retrieval_steps')} steps: "
            "these results predate the training criterion, so a run counts as learned at L when its "
            f"evaluated exact key at 1× (key in the middle) is at least {100 * LEARNED_AT_1X:.0f}%."
        )
    failed, total = [], sum(len(v) for v in seeds.values())
    for name in arm:
        lost = [s for s in seeds[name] if not s["learned"]]
        if not lost:
            continue
        at = [f"{100 * s['at_1x']:.0f}% at 1×" if s["at_1x"] is not None else "not evaluated" for s in lost]
        if n_seeds > 1:
            which = "seed" + ("s " if len(lost) > 1 else " ")
            failed.append(
                f"{label[name]} {which}" + _and([f"{s['seed']} ({a})" for s, a in zip(lost, at, strict=True)])
            )
        else:
            failed.append(f"{label[name]} ({at[0]})")
    if failed:
        not_learned = sum(not s["learned"] for v in seeds.values() for s in v)
        lines.append(
            f"Did not learn at L ({not_learned} of {total} runs; they measure failed training, not "
            "extrapolation, and are left out of every retrieval figure): " + "; ".join(failed) + "."
        )
    else:
        lines.append(f"Every retrieval run learned at L ({total} of {total}).")
    unstable = [f"{label[n]}{_vary(varies, claim_learned(label[n]))}" for n in arm
                if _vary(varies, claim_learned(label[n]))]  # fmt: skip
    if unstable:
        lines.append("Which seeds learn to copy at L varies between runs: " + "; ".join(unstable) + ".")
    at1 = [s["at_1x"] for v in seeds.values() for s in v if s["learned"] and s["at_1x"] is not None]
    if at1:
        lines.append(
            f"Retrieval arm at 1× L (key in the middle), the {len(at1)} runs that learned: median exact key "
            f"{100 * median(at1):.0f}%, lowest {100 * min(at1):.0f}%."
        )
    survive, flat_but_lost, far_near = [], [], []
    for name in arm:
        k = sum(s["learned"] for s in seeds[name])
        if not k:
            continue
        who = label[name] + (f" (the {k} of {n_seeds} seeds that learned)" if k < n_seeds else "")
        per_seed = [[(values(name, m) or [None] * k)[i] for m in mults] for i in range(k)]
        held = [held_to(v) for v in per_seed]
        learned_ids = [s["seed"] for s in seeds[name] if s["learned"]]
        lo = min(held)
        if lo == 0:
            text = f"{who} does not reach {100 * SURVIVES:.0f}% even at 1× " + (
                _seeds_text(held.count(0), k) or "in the evaluation"
            )
        elif lo == len(mults):
            text = f"{who} holds to {mults[-1]}× " + _seeds_text(k, k)
        else:
            nxt = mults[lo]
            ok = (rows[name].get(nxt) or {}).get("status") == "ok"
            text = f"{who} holds to {mults[lo - 1]}× " + _seeds_text(k, k)
            if len(set(held)) == 1:
                text += f" and {'breaks' if ok else 'cannot run (n/a)'} at {nxt}×"
        if len(set(held)) > 1:
            reach = [f"{mults[h - 1]}×" if h else "below 1×" for h in held]
            text += (
                "; beyond, it varies between seeds ("
                + ", ".join(f"seed {sid} to {r}" for sid, r in zip(learned_ids, reach, strict=True))
                + ")"
            )
        survive.append(text.replace("  ", " ").strip() + _vary(varies, claim_holds(label[name])))
        lm = by_multiple(enc.get(name, {}).get("rows", []))
        p1, said = mean(lm.get(1), "last_ppl"), []
        ppl = {m: mean(lm.get(m), "last_ppl") for m in mults}
        keys = {m: values(name, m) for m in mults}
        for m, lost, able in flat_losses(mults, ppl, keys):
            said.append(
                f"at {m}× {_seeds_text(lost, able) or ''} (retrieval {_percents(keys[m])}; last-L "
                f"perplexity {ppl[m]:.2f} against {p1:.2f} at 1×)".replace("  ", " ")
            )
        if said:
            mark = _vary(varies, claim_flat_lost(label[name]))
            flat_but_lost.append(f"{who} " + ", and ".join(said) + mark)
        depth_said, depth_count = [], 0
        for m in mults[1:]:
            row = rows[name].get(m)
            if not row or row.get("status") != "ok":
                continue
            by_d = {e["depth"]: e["accuracy"]["values"] for e in row.get("passkey_by_depth") or []}
            if 0.0 not in by_d or 1.0 not in by_d:
                continue
            far, near = by_d[0.0], by_d[1.0]
            apart = [i for i in range(k) if None not in (far[i], near[i]) and near[i] - far[i] >= 0.3]
            if len(apart) > depth_count:  # each length where more seeds show it than before
                depth_count = len(apart)
                depth_said.append(
                    f"at {m}× {_seeds_text(len(apart), k)} (far {_percents(far)}, near "
                    f"{_percents(near)})".replace("  ", " ")
                )
            if depth_count == k:
                break
        if depth_said:
            far_near.append(f"{who} " + ", and ".join(depth_said) + _vary(varies, claim_near(label[name])))
    if survive:
        lines.append(
            f"Where retrieval survives (exact key ≥ {100 * SURVIVES:.0f}%, key in the middle, the seeds that "
            "learned): " + "; ".join(survive) + "."
        )
    if flat_but_lost:
        lines.append(
            f"Perplexity hides it: the LM models' last-L perplexity stays flat (within {FLAT:g}× of 1×) "
            f"while the arm's retrieval falls below {100 * SURVIVES:.0f}% for "
            + "; ".join(flat_but_lost)
            + ". The model still predicts the next byte from what is near, but can no longer use what is far."
        )
    else:
        lines.append(
            f"No encoding keeps a flat last-L perplexity (within {FLAT:g}× of 1×) while its retrieval falls "
            f"below {100 * SURVIVES:.0f}%: here the two measures break together."
        )
    if far_near:
        lines.append(
            "Depth: a key just before the question is found where one at the start is lost — "
            + "; ".join(far_near)
            + " (the first lengths where near beats far by 30 points or more, in more seeds each)."
        )
    cost = []
    for name in arm:
        a = mean(rows[name].get(1), "ppl")
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
    scale = alibi_scale(results)
    if scale:
        lines.append(scale)
    if n_seeds < ROBUST_SEEDS and results.get("claims", True):
        lines.append(
            f"{'One seed' if n_seeds == 1 else f'{n_seeds} seeds'} per encoding: the retrieval figures "
            "above are a demonstration of the method, not a result. The copy circuit forms abruptly, at a "
            "step that float-level differences move, so a re-run of this preset can flip them; the full "
            "preset's three seeds show how much they vary."
        )
    return lines


__all__ = [
    "FLAT",
    "SAME",
    "SURVIVES",
    "VERSUS",
    "alibi_scale",
    "claim_base",
    "claim_flat_lost",
    "claim_holds",
    "claim_learned",
    "claim_near",
    "claim_rank",
    "claim_scaling",
    "claim_trend",
    "claim_versus",
    "flat_losses",
    "findings",
    "held_to",
    "median",
    "retrieval_findings",
    "versus_pairs",
]
