"""The study's tables, built once from results.json: one row per model or method, one column per length.

One model for both front ends: the report writes each :class:`Table` as Markdown
(:meth:`Table.to_markdown`), the lab shows the same tables as HTML (:meth:`Table.to_dict`, or the
dataclasses themselves in a template). A cell carries the text both show, a tooltip, and the numbers
behind it (mean, std, the value of every seed).

    Table  id, title, lab_title, first, columns, rows
    Row    label, cells
    Cell   text, title, value, std, seeds

The tables, in the report's order (ids): ``ppl``, ``last-ppl``, ``passkey``; with a retrieval arm
``retrieval``, ``retrieval-depth`` (far / middle / near), ``retrieval-ppl`` (beside the LM models'
perplexity); ``scaling-<rope model>`` per RoPE model; ``rope-base`` (the sweep and the long arm).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from posenc.study.presets import LABELS
from posenc.study.results import by_multiple, depth_accuracy

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
    columns: tuple[str, ...]  # one per length: "2× (128)"
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


def depth_cell(row: dict | None) -> Cell:
    """Exact-key accuracy (%) with the key far / in the middle / near: "0 / 40 / 100"."""
    missing = _missing(row)
    if missing:
        return missing
    values = [depth_accuracy(row, d) for d in DEPTHS]
    text = " / ".join("—" if v is None else f"{100 * v:.0f}" for v in values)
    return Cell(text, "exact key (%), mean over seeds: key far / in the middle / near")


def beside_cell(lm_row: dict | None, arm_row: dict | None) -> Cell:
    """The LM model's last-L perplexity · the retrieval-arm model's exact-key accuracy (means only)."""
    ppl, key = stat_cell(lm_row, "last_ppl", 1), passkey_cell(arm_row, 1, digits=False)
    return Cell(f"{ppl.text} · {key.text}", "last-L perplexity of the LM model · exact key of the arm")


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
        arm_rows = [(e["label"], e["rows"]) for e in arm.values()]
        tables.append(
            table(
                "retrieval",
                "Retrieval arm: passkey accuracy, exact key (per digit), key in the middle" + spread,
                "encoding",
                arm_rows,
                lambda r: passkey_cell(r, seeds),
                "Retrieval arm (the same encodings trained on passkey trials): exact key (per digit), "
                "key in the middle" + spread,
            )
        )
        tables.append(
            table(
                "retrieval-depth",
                "Retrieval arm: where the key is — exact key far / middle / near (%)",
                "encoding",
                arm_rows,
                depth_cell,
            )
        )
        beside = []
        for name, e in arm.items():
            lm, own = by_multiple(enc.get(name, {}).get("rows", [])), by_multiple(e["rows"])
            beside.append(Row(e["label"], tuple(beside_cell(lm.get(m), own.get(m)) for m in mults)))
        tables.append(
            Table(
                "retrieval-ppl",
                "Retrieval beside perplexity: last-L perplexity of the LM models · exact key of the arm",
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


__all__ = ["Cell", "Row", "Table", "beside_cell", "depth_cell", "passkey_cell", "stat_cell", "study_tables"]
