"""The study's tables, built once from results.json: one row per model or method, one column per length.

One model for both front ends: the report writes each :class:`Table` as Markdown
(:meth:`Table.to_markdown`), the lab shows the same tables as HTML (:meth:`Table.to_dict`, or the
dataclasses themselves in a template). A cell carries the text both show, a tooltip, and the numbers
behind it (mean, std, the value of every seed).

    Table  id, title, lab_title, first, columns, rows
    Row    label, cells
    Cell   text, title, value, std, seeds

The tables, in the report's order (ids): ``ppl``, ``last-ppl``, ``passkey``; with a retrieval arm
``retrieval-learned`` (per seed: the steps it took to meet its criterion, or that it did not learn at
L), ``retrieval``, ``retrieval-depth`` (far / middle / near), ``retrieval-ppl`` (beside the LM models'
perplexity); ``scaling-<rope model>`` per RoPE model; ``rope-base`` (the sweep and the long arm).

The retrieval arm's tables rest on the seeds that learned at L (``results.learned_rows``); a row says
how many ("2 of 3 seeds"), and a cell whose seeds disagree by more than ``DISAGREE`` (30 points) shows
each seed's value instead of a mean ± std that would describe none of them. With fewer than
``ROBUST_SEEDS`` seeds their titles say the columns are a demonstration, not a result.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from posenc.study.presets import DISAGREE, LABELS, ROBUST_SEEDS
from posenc.study.results import arm_seeds, by_multiple, depth_accuracy, learned_rows

#: the key depths of the retrieval-arm table "where the key is", in its order: far, middle, near
DEPTHS = (0.0, 0.5, 1.0)


@dataclass(frozen=True)
class Cell:
    """One cell: ``text`` as both front ends show it ("3.21 ± 0.05", "45% (71%)", "n/a", "—",
    "diverged"), ``title`` a tooltip (every seed's value, or why there is none), and the numbers:
    ``value`` the mean over seeds, ``std`` their standard deviation, ``seeds`` one value per seed
    (None where a seed diverged); all empty for a cell without one number."""

    text: str
    title: str = ""
    value: float | None = None
    std: float | None = None
    seeds: tuple[float | None, ...] = ()


@dataclass(frozen=True)
class Row:
    label: str  # the model or method: "ALiBi", "yarn", "base 1e4"
    cells: tuple[Cell, ...]  # one per column


@dataclass(frozen=True)
class Table:
    """One table: ``title`` is the report's heading; ``lab_title`` the lab's, which says more because
    the lab shows the table without the report's prose around it; ``first`` heads the label column."""

    id: str
    title: str
    first: str
    columns: tuple[str, ...]  # one per length: "2× (128)" (retrieval-learned: one per seed)
    rows: tuple[Row, ...]
    lab_title: str = ""

    def __post_init__(self) -> None:
        if not self.lab_title:
            object.__setattr__(self, "lab_title", self.title)

    def to_markdown(self) -> str:
        """``## title``, a blank line, the table (label column left-aligned, numbers right), a blank line."""
        header = [self.first, *self.columns]
        lines = [
            f"## {self.title}",
            "",
            "| " + " | ".join(header) + " |",
            "|" + "|".join("---:" if i else "---" for i in range(len(header))) + "|",
        ]
        lines += ["| " + " | ".join([row.label, *(c.text for c in row.cells)]) + " |" for row in self.rows]
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict:
        """Plain JSON types: the fields above, rows as {"label", "cells": [{"text", "title", ...}]}."""
        return asdict(self)


# ----------------------------------------------------------------------------- cells
def _stat_text(stat: dict, seeds: int, percent: bool = False) -> str:
    """ "3.21 ± 0.05" (or "45% ± 3") with the std only when there are several seeds."""
    m, s = stat["mean"], stat.get("std") or 0.0
    if percent:
        return f"{100 * m:.0f}%" + (f" ± {100 * s:.0f}" if seeds > 1 else "")
    return f"{m:.2f}" + (f" ± {s:.2f}" if seeds > 1 else "")


def _values(stat: dict | None, percent: bool = False) -> str:
    values = (stat or {}).get("values") or []
    return ", ".join("—" if v is None else (f"{100 * v:.0f}%" if percent else f"{v:.3f}") for v in values)


def _missing(row: dict | None) -> Cell | None:
    """The cell of a row that holds no numbers: not measured at this length, or n/a (with why)."""
    if row is None:
        return Cell("—", "not measured at this length")
    if row.get("status") != "ok":
        return Cell("n/a", str(row.get("reason", "not evaluated")))
    return None


def _numbers(stat: dict) -> dict:
    return {"value": stat["mean"], "std": stat.get("std"), "seeds": tuple(stat.get("values") or ())}


def stat_cell(row: dict | None, key: str, seeds: int) -> Cell:
    """A perplexity or loss (``key`` "ppl", "last_ppl", ...): mean (± std over several seeds)."""
    missing = _missing(row)
    if missing:
        return missing
    stat = row.get(key)
    if not stat or stat.get("mean") is None:
        return Cell("diverged", "per seed: " + _values(stat))
    return Cell(_stat_text(stat, seeds), "per seed: " + _values(stat), **_numbers(stat))


def passkey_cell(row: dict | None, seeds: int, digits: bool = True) -> Cell:
    """Exact-key accuracy, with the per-digit accuracy in parentheses where it was measured (unless
    ``digits`` is False)."""
    missing = _missing(row)
    if missing:
        return missing
    exact, per_digit = row.get("passkey"), row.get("passkey_digits")
    if not exact:
        return Cell("—", "no passkey trials")
    title = "exact key (per digit); per seed: " + _values(exact, percent=True)
    if exact.get("mean") is None:
        return Cell("diverged", title)
    text = _stat_text(exact, seeds, percent=True)
    if digits and per_digit and per_digit.get("mean") is not None:
        text += f" ({_stat_text(per_digit, seeds, percent=True)})"
    return Cell(text, title, **_numbers(exact))


def disagree(stat: dict | None) -> bool:
    """True when the seeds' values span more than DISAGREE: no mean describes them."""
    values = [v for v in (stat or {}).get("values") or [] if v is not None]
    return len(values) > 1 and max(values) - min(values) > DISAGREE


def _per_seed(stat: dict) -> str:
    """Each seed's value in percent: "35, 95, 0%"."""
    return ", ".join(f"{100 * v:.0f}" for v in stat["values"] if v is not None) + "%"


#: the cell of a retrieval-arm row none of whose seeds learned at L
NOT_LEARNED = Cell(
    "did not learn", "no seed learned at L: its numbers measure failed training, not extrapolation"
)


def arm_cell(row: dict | None, digits: bool = True) -> Cell:
    """A retrieval-arm row (over the seeds that learned at L): exact key (per digit), mean ± std over
    those seeds, or each seed's value where they disagree by more than DISAGREE."""
    missing = _missing(row)
    if missing:
        return missing
    exact = row.get("passkey")
    if not exact or not exact.get("values"):
        return NOT_LEARNED
    if exact.get("mean") is None:
        return Cell("diverged", "per seed: " + _values(exact, percent=True))
    if disagree(exact):
        title = "the seeds disagree by more than 30 points: each seed's exact key, no mean"
        return Cell(_per_seed(exact), title, **_numbers(exact))
    return passkey_cell(row, len(exact["values"]), digits)


def depth_cell(row: dict | None) -> Cell:
    """Exact-key accuracy (%) with the key far / in the middle / near: "0 / 40 / 100" (means over the
    seeds), a depth whose seeds disagree by more than DISAGREE as each seed's value: "5,35,0"."""
    missing = _missing(row)
    if missing:
        return missing
    if not (row.get("passkey") or {}).get("values"):
        return NOT_LEARNED
    parts = []
    for d in DEPTHS:
        entry = next((e for e in row.get("passkey_by_depth") or [] if e["depth"] == d), None)
        if entry is None:
            parts.append("—")
        elif disagree(entry["accuracy"]):
            parts.append(",".join(f"{100 * v:.0f}" for v in entry["accuracy"]["values"] if v is not None))
        else:
            parts.append(f"{100 * depth_accuracy(row, d):.0f}")
    return Cell(
        " / ".join(parts),
        "exact key (%), key far / in the middle / near: the mean over seeds, or each seed's value "
        "(a,b,c) where they disagree by more than 30 points",
    )


def beside_cell(lm_row: dict | None, arm_row: dict | None) -> Cell:
    """The LM model's last-L perplexity · the retrieval-arm model's exact-key accuracy (means, or each
    seed's accuracy where they disagree)."""
    ppl, key = stat_cell(lm_row, "last_ppl", 1), arm_cell(arm_row, digits=False)
    if "±" in key.text:
        key = passkey_cell(arm_row, 1, digits=False)  # the mean alone: the ± is in the retrieval table
    return Cell(f"{ppl.text} · {key.text}", "last-L perplexity of the LM model · exact key of the arm")


def learned_cell(seed: dict, cap: int | None) -> Cell:
    """One seed of a retrieval-arm model: the step it met its criterion, or that it did not learn at L
    (for older results, judged by the evaluated exact key at 1×)."""
    at_1x = "" if seed["at_1x"] is None else f"{100 * seed['at_1x']:.0f}% at 1×"
    if seed["judged"] == "criterion":
        if seed["learned"]:
            return Cell(str(seed["steps"]), f"met its criterion at step {seed['steps']}; evaluated: {at_1x}",
                        value=seed["steps"])  # fmt: skip
        return Cell(f"did not learn by {cap}", f"reached the cap without meeting its criterion; {at_1x}")
    return Cell(
        ("learned" if seed["learned"] else "did not learn") + (f" ({at_1x})" if at_1x else ""),
        "no training criterion recorded (older results): learned at L means exact key ≥ 80% at 1×",
        value=seed["at_1x"],
    )


# ----------------------------------------------------------------------------- tables
def study_tables(results: dict) -> list[Table]:
    """Every table of the study, in the report's order (see the module docstring for the ids)."""
    mults, L, seeds = results["multiples"], results["train_length"], len(results["seeds"])
    columns = tuple(f"{m:g}× ({m * L})" for m in mults)
    spread = " — mean ± std over seeds" if seeds > 1 else ""
    enc, arm = results["encodings"], results.get("retrieval") or {}

    def rows(entries: dict, cell) -> tuple[Row, ...]:
        """label -> AGG rows, each made into a row of ``cell(row)`` per multiple."""
        return tuple(Row(label, tuple(cell(by_multiple(r).get(m)) for m in mults)) for label, r in entries)

    def table(id: str, title: str, first: str, entries, cell, lab_title: str = "") -> Table:
        return Table(id, title, first, columns, rows(entries, cell), lab_title)

    by_label = [(e["label"], e["rows"]) for e in enc.values()]
    demo = ""  # what the retrieval arm's tables rest on
    if seeds > 1:
        demo += " — over the seeds that learned at L, each seed's value where they differ by over 30 points"
    if seeds < ROBUST_SEEDS:
        demo += f" — {'one seed' if seeds == 1 else f'{seeds} seeds'}: a demonstration, not a result"
    tables = [
        table("ppl", "Perplexity (bytes), all positions" + spread, "encoding", by_label,
              lambda r: stat_cell(r, "ppl", seeds)),
        table("last-ppl", "Perplexity (bytes), last L positions" + spread, "encoding", by_label,
              lambda r: stat_cell(r, "last_ppl", seeds)),
        table("passkey", "Passkey retrieval accuracy: exact key (per digit)", "encoding", by_label,
              lambda r: passkey_cell(r, seeds),
              "Passkey retrieval accuracy: exact key (per digit)"
              + (", models trained on code alone" if arm else "")),
    ]  # fmt: skip
    if arm:
        criterion = (results.get("eval") or {}).get("retrieval_criterion")
        learned = []
        for name, e in arm.items():
            per_seed = arm_seeds(results, name)
            cap = criterion["cap"] if criterion else None
            learned.append(Row(e["label"], tuple(learned_cell(s, cap) for s in per_seed)))
        how = (
            f"steps to criterion per seed (checked every {criterion['every']} steps, cap {criterion['cap']})"
            if criterion
            else "learned at L per seed (no training criterion recorded: exact key ≥ 80% at 1×)"
        )
        tables.append(
            Table(
                "retrieval-learned",
                "Retrieval arm: " + how,
                "encoding",
                tuple(f"seed {s}" for s in results["seeds"]),
                tuple(learned),
                "Retrieval arm: " + how + "; a seed that did not learn is left out of the tables below",
            )
        )

        def arm_label(name: str) -> str:
            k = sum(s["learned"] for s in arm_seeds(results, name))
            if seeds > 1:
                return f"{arm[name]['label']} ({k} of {seeds} seeds)"
            return arm[name]["label"] + ("" if k else " (did not learn at L)")

        arm_rows = [(arm_label(n), learned_rows(results, n)) for n in arm]
        tables.append(
            table(
                "retrieval",
                "Retrieval arm: passkey accuracy, exact key (per digit), key in the middle" + demo,
                "encoding",
                arm_rows,
                arm_cell,
                "Retrieval arm (the same encodings trained on passkey trials): exact key (per digit), "
                "key in the middle" + demo,
            )
        )
        tables.append(
            table(
                "retrieval-depth",
                "Retrieval arm: where the key is — exact key far / middle / near (%)" + demo,
                "encoding",
                arm_rows,
                depth_cell,
            )
        )
        beside = []
        for (label, own_rows), name in zip(arm_rows, arm, strict=True):
            lm, own = by_multiple(enc.get(name, {}).get("rows", [])), by_multiple(own_rows)
            beside.append(Row(label, tuple(beside_cell(lm.get(m), own.get(m)) for m in mults)))
        tables.append(
            Table(
                "retrieval-ppl",
                "Retrieval beside perplexity: last-L perplexity of the LM models · exact key of the arm"
                + demo,
                "encoding",
                columns,
                tuple(beside),
            )
        )
    for rope, methods in results["scaling"].items():
        label = enc.get(rope, {}).get("label") or LABELS.get(rope, rope)
        tables.append(
            table(
                f"scaling-{rope}",
                f"Scaling on {label}, last-L perplexity",
                "method",
                [(method, e["rows"]) for method, e in methods.items()],
                lambda r: stat_cell(r, "last_ppl", seeds),
                f"Scaling on {label}, last-L perplexity (factor = length / L, no retraining; "
                "pi-finetune: PI after a short fine-tune at 4× L)",
            )
        )
    sweep = [(f"base {b}", e["rows"]) for b, e in results["rope_base_sweep"].items()]
    sweep += [(f"{n} (trained at {e['train_length']})", e["rows"]) for n, e in results["long_arm"].items()]
    tables.append(
        table("rope-base", "rope_base sweep, last-L perplexity", "model", sweep,
              lambda r: stat_cell(r, "last_ppl", seeds))
    )  # fmt: skip
    return tables


__all__ = [
    "NOT_LEARNED",
    "Cell",
    "Row",
    "Table",
    "arm_cell",
    "beside_cell",
    "depth_cell",
    "disagree",
    "learned_cell",
    "passkey_cell",
    "stat_cell",
    "study_tables",
]
