"""report.md of the study: what was measured, the tables, published numbers, findings, discussion.

Generated from results.json alone (schema: :mod:`posenc.study.results`): the tables are
:mod:`posenc.study.tables` written as Markdown, the sentences :mod:`posenc.study.findings`.
"""

from __future__ import annotations

from pathlib import Path

from posenc.study.findings import findings
from posenc.study.presets import SCALINGS
from posenc.study.results import untimed_models, wall_seconds
from posenc.study.tables import study_tables

REPORT_FILE = "report.md"


PUBLISHED = [
    (
        "ALiBi paper (Press et al. 2022), WikiText-103, trained at 512, PPL at 512 → 1012 → 15512",
        [
            "Sinusoidal 20.05 → 43.54 → 406",
            "Rotary 20.07 → 21.37 → 79.25",
            "T5 bias 19.65 → 18.79 → 43.08",
            "ALiBi 19.73 → 18.31 (flat)",
        ],
    ),
    (
        "Position interpolation (Chen et al. 2023)",
        [
            "direct RoPE extrapolation > 1000 PPL at 2×",
            "PI after a fine-tune of 1000 steps stays near the trained PPL",
        ],
    ),
    ("YaRN (Peng et al. 2023)", ["near-flat perplexity to 16× after scaling (and a short fine-tune)"]),
]


def wall_time_text(results: dict) -> str:
    """'wall time 70.9 min over 2 sessions (this one 0.1 min)', or this session's alone; ``ValueError``
    naming the field when a time is not a finite number (results.wall_seconds)."""
    seconds, total, sessions = wall_seconds(results)
    this = f"{seconds / 60:.1f} min"
    if sessions <= 1 or "wall_time_total_s" not in results:
        untimed = untimed_models(results)
        if untimed:
            return (
                f"wall time {this} of the last session only ({untimed} of the {len(results['runs'])} "
                "models trained in earlier sessions, before posenc kept a study's wall time)"
            )
        return f"wall time {this}"
    return f"wall time {total / 60:.1f} min over {sessions} sessions (this one {this})"


def _train_minutes(results: dict) -> float:
    return sum(run.get("seconds") or 0.0 for run in results["runs"].values()) / 60


def render_report(results: dict, replicate: dict | None = None) -> str:
    """report.md as a string: set-up, tables, published numbers, findings, discussion; with
    ``replicate`` (:func:`posenc.study.replicate.read_replicate`) also which findings held in a second
    run, each one that did not marked "varies between runs"."""
    from posenc.study.replicate import varies

    mults, L = results["multiples"], results["train_length"]
    cfg = results["config"]
    m = cfg["model"]
    out = [f"# Extrapolation study — preset `{results['preset']}`", ""]
    if not results["claims"]:
        out += ["> **Smoke test.** This preset trains for seconds; its numbers support no conclusion.", ""]
    out += [
        "## What was measured",
        "",
        f"- {len(results['encodings'])} encodings, one byte-level model each: d_model {m['d_model']}, "
        f"{m['n_layers']} layer(s), {m['n_heads']} heads ({m['n_kv_heads']} KV), trained at L = {L} tokens.",
        f"- Same budget for every model: {cfg['steps']} steps × {cfg['batch_size']} sequences × {L} tokens = "
        f"{results['tokens_per_model']:,} training tokens, same data order, seeds {results['seeds']}.",
        f"- Held-out evaluation at {', '.join(f'{k}×' for k in mults)} L "
        f"({', '.join(map(str, results['lengths']))} tokens): {results['eval']['windows']} windows per "
        "length drawn from many held-out files, the same windows for every model; perplexity over all "
        "positions and over the last L positions of each window.",
        f"- Passkey retrieval: {results['eval']['passkey_trials']} trials per length (key in the middle).",
        *_retrieval_setup(results),
        "- RoPE models also evaluated with inference-time scaling (factor = length / L, no retraining): "
        + ", ".join(SCALINGS)
        + f"; and PI after a short fine-tune ({cfg['finetune_steps']} steps at 4× L, "
        "linear factor 4).",
        f"- rope_base sweep: bases {', '.join(results['rope_base_sweep'])}."
        + (
            " Long arm: RoPE 1e4 and 1e6 also trained at 4× L with the same token budget."
            if results["long_arm"]
            else ""
        ),
        "- Absolute encodings (sinusoidal, learned) are added to token embeddings scaled by √d_model.",
        f"- Device: {results['device']}; training time {_train_minutes(results):.1f} min in all; "
        + wall_time_text(results)
        + "; versions "
        + ", ".join(f"{k} {v}" for k, v in results["versions"].items())
        + ".",
        "",
    ]
    for table in study_tables(results):
        out += table.to_markdown().split("\n")
    out += ["## Published results to compare with", ""]
    for title, items in PUBLISHED:
        out += [f"- {title}: " + "; ".join(items) + "."]
    out += ["", "## What our numbers show (generated from them)", ""]
    out += [f"- {line}" for line in findings(results, varies(results, replicate))] + [""]
    out += _replicate_section(results, replicate)
    out += [
        "## Discussion",
        "",
        "These are small byte-level models trained for minutes, not 247 M-parameter word-level models "
        "trained for days: the absolute perplexities are not comparable to the papers', only the directions. "
        "Perplexity averaged over all positions of a long window mixes positions inside the trained range "
        "(which every encoding handles) with positions beyond it, so it hides part of the effect; the "
        "last-L columns show positions beyond L alone. A byte-level model predicts much of its text from the "
        "last few bytes, so an encoding that keeps local attention intact can stay flat even when its "
        "long-range attention breaks; the passkey test asks for genuinely long-range retrieval and "
        "separates the two once models have learned to retrieve at all, which is why the retrieval arm is "
        "trained on passkey trials (see above). PI without "
        "fine-tuning compresses every position the model learned, so it may hurt before "
        "a fine-tune helps, as its paper reports. Where a finding above disagrees with the papers, the "
        "likeliest reasons are the short training (few tokens), the small width, and the byte-level text.",
        "",
    ]
    if results.get("plots"):
        out += ["## Plots", ""] + [f"![{p}]({p})" for p in results["plots"] if p.endswith(".png")] + [""]
    return "\n".join(out)


def _retrieval_setup(results: dict) -> list[str]:
    arm = results.get("retrieval") or {}
    if not arm:
        return []
    from posenc.study.criterion import describe
    from posenc.study.presets import ROBUST_SEEDS

    cfg, L = results["config"], results["train_length"]
    criterion = (results.get("eval") or {}).get("retrieval_criterion")
    if criterion:
        budget = (
            f"trained to criterion: checked on held-out passkey trials at 1× L and stopped once it passes "
            f"({describe(criterion)}; the check's trials are not the evaluation's), "
            f"{cfg['batch_size']} trials × {L} tokens per step"
        )
    else:
        budget = f"{cfg['retrieval_steps']} steps × {cfg['batch_size']} trials × {L} tokens (a fixed budget)"
    seeds = len(results["seeds"])
    demo = (
        f" With {'one seed' if seeds == 1 else f'{seeds} seeds'} per encoding its retrieval columns are a "
        "demonstration of the method, not a result: the copy circuit forms abruptly, at a step that "
        "float-level differences move, and a re-run can flip them (`--preset full` runs three seeds)."
        if seeds < ROBUST_SEEDS and results.get("claims", True)
        else ""
    )
    return [
        f"- Retrieval arm: every encoding trained again from scratch on passkey trials alone, the same "
        f"model, batch and warm-up, {budget}, at the peak learning rate {cfg['lr']:g} throughout (under "
        "the cosine decay the copy circuit had not formed in a RoPE model by the end). "
        "Each training row is one trial in the evaluation's format (code from the training split, the "
        "key line at a depth drawn uniformly, the question, the 5 digits); the loss is the mean "
        "next-byte loss of the row plus the mean loss of the 5 answer digits. Evaluated with "
        f"{results['eval'].get('retrieval_trials')} trials per length and per key depth (middle, start "
        "of the text = far, just before the question = near), on held-out code. A run that did not learn "
        "at L is named below and left out of every retrieval figure; each row says how many seeds it "
        "rests on, and where the seeds disagree by more than 30 points a cell gives each seed's value."
        + demo,
    ]


def _replicate_section(results: dict, record: dict | None) -> list[str]:
    """'Reproducibility': every claim of the findings in this run and the second one, held or not."""
    if not record:
        return []
    from posenc.study.replicate import claims, compare, measured_values, value_agreement

    rows = compare(claims(results), record["other_claims"])
    held = [a for a in rows if a.held]
    out = [
        "## Reproducibility: the same study run twice",
        "",
        f"This run ({record['this']}) against a second run of the same code, preset and seeds "
        f"({record['other']}). {len(held)} of {len(rows)} claims behind the findings above held in both "
        'runs; a finding resting on one that did not is marked "varies between runs" above and is not '
        "a finding.",
        "",
    ]
    if record.get("other_values"):
        v = value_agreement(measured_values(results), record["other_values"])
        if v.same == v.both:
            out += [
                f"The two runs are bit-identical: all {v.both} measured means are equal. Their float "
                "summation order did not differ, so this shows the study is deterministic, not that its "
                "findings survive a different one.",
                "",
            ]
        else:
            out += [
                f"{v.both - v.same} of the {v.both} measured means differ between the runs, so their "
                "float summation order differed: the language models' perplexities by at most "
                f"{100 * v.lm_ppl:.2g} %, the retrieval arm's exact-key accuracies by up to "
                f"{v.retrieval_points:.0f} points. The table says which claims survived it.",
                "",
            ]
    out += [
        "| claim | this run | second run | held |",
        "|---|---|---|---|",
    ]
    for a in rows:
        out.append(f"| {a.claim} | {a.this or '—'} | {a.other or '—'} | {'yes' if a.held else '**no**'} |")
    return out + [""]


def write_report(out: Path, results: dict) -> Path:
    """Write OUT/report.md atomically (with OUT/replicate.json's comparison when there is one)."""
    from posenc.atomic import atomic_write_text
    from posenc.study.replicate import read_replicate

    path = Path(out) / REPORT_FILE
    atomic_write_text(path, render_report(results, read_replicate(Path(out))))
    return path


__all__ = ["PUBLISHED", "REPORT_FILE", "render_report", "wall_time_text", "write_report"]
