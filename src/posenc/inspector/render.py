"""Rich terminal rendering of inspection reports: one report in full, or two side by side."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

SEVERITY_STYLE = {"warning": "bold yellow", "info": "cyan"}


def num(x: Any) -> str:
    """Compact number: integers with separators, floats to 4 significant digits, huge ones in e-notation."""
    if x is None:
        return "—"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return f"{x:,}"
    if isinstance(x, float):
        if x == int(x) and abs(x) < 1e7:
            return f"{int(x):,}"
        if abs(x) >= 1e6 or (x != 0 and abs(x) < 1e-3):
            return f"{x:.3e}"
        return f"{x:,.4g}" if abs(x) < 1e4 else f"{x:,.0f}"
    if isinstance(x, (list, tuple)):
        values = [float(v) for v in x]
        return f"{len(values)} values, {num(min(values))} … {num(max(values))}"
    return str(x)


def render_report(r: dict[str, Any], console: Console) -> None:
    """Print one report: header, parameters, key figures, scaling, ladder, precision, pitfalls."""
    console.print(_header(r))
    if r["family"] != "rope":
        console.print(r["message"])
        return
    console.print(_parameters_table(r))
    console.print(_figures_table([r]))
    console.print(Text("Scaling: ", style="bold") + Text(r["scaling"]["summary"]))
    hf = r["scaling"].get("transformers_yarn")
    if hf:
        console.print(Text("  vs transformers: ", style="bold") + Text(hf["summary"]))
    console.print(Text("Attention: ", style="bold") + Text(r["attention"]["explanation"]))
    crit = r["critical_dimension"]
    console.print(
        Text("Critical dimension: ", style="bold")
        + Text(
            f"d_extra = 2·⌈(d/2)·log_b(L/2π)⌉ = 2·⌈({r['rotary_dim']}/2)·log_{num(r['base'])}"
            f"({num(r['training_length'])}/2π)⌉ = {crit['d_extra']}: "
            f"features from {crit['d_extra']} on (pairs ≥ {crit['pairs_below']}) "
            "never completed a full turn in training "
            "(Liu et al. 2023, Scaling Laws of RoPE-based Extrapolation, arXiv:2310.05209)"
        )
    )
    console.print(_ladder_table(r))
    console.print(_precision_table(r))
    _print_pitfalls(r, console)


def render_comparison(reports: list[dict[str, Any]], console: Console) -> None:
    """Key figures of two reports side by side, then each one's scaling summary and pitfalls."""
    console.print(_figures_table(reports))
    for r in reports:
        if r["family"] == "rope":
            console.print(Text(f"{r['name']} — scaling: ", style="bold") + Text(r["scaling"]["summary"]))
            _print_pitfalls(r, console)
        else:
            console.print(Text(f"{r['name']}: ", style="bold") + Text(r["message"]))


def _header(r: dict[str, Any]) -> Panel:
    lines = [Text(f"{r['name']}", style="bold") + Text(f"  ({r['path']})" if r.get("path") else "")]
    if r["family"] == "rope":
        lines.append(Text(f"family: RoPE ({r['evidence']}) · rope_type: {r['rope_type']}"))
        lines += [Text(f"read as: {note}", style="dim") for note in r["aliases"]]
    else:
        lines.append(Text(f"family: none — {r['position_encoding']} ({r['evidence']})"))
    if r.get("source"):
        lines.append(Text(f"source: {r['source']}", style="dim"))
    if r.get("note"):
        lines.append(Text(f"note: {r['note']}", style="italic"))
    return Panel(Group(*lines), title="posenc inspect", expand=False)


def _parameters_table(r: dict[str, Any]) -> Table:
    table = Table(title="Parameters used (defaults made explicit)", title_justify="left")
    for col in ("parameter", "value", "from"):
        table.add_column(col)
    for p in r["parameters"]:
        table.add_row(p["name"], num(p["value"]), p["source"])
    return table


FIGURES = [
    ("rope_type", lambda r: r["rope_type"]),
    ("head_dim / rotary_dim", lambda r: f"{r['head_dim']} / {r['rotary_dim']}"),
    ("base (rope_theta)", lambda r: num(r["base"])),
    ("training length", lambda r: f"{num(r['training_length'])} ({r['training_length_from']})"),
    ("target length", lambda r: f"{num(r['target_length'])} ({r['target_length_from']})"),
    ("scaling factor", lambda r: num(r["factor"])),
    ("critical dimension d_extra", lambda r: f"{r['critical_dimension']['d_extra']} of {r['rotary_dim']}"),
    (
        "pairs with a full turn in training",
        lambda r: f"{r['critical_dimension']['pairs_with_full_turn']} of {r['rotary_dim'] // 2}",
    ),
    ("pairs with angles beyond training", lambda r: str(r["pairs_beyond_training_angles"])),
    ("longest wavelength (tokens)", lambda r: num(r["longest_wavelength"])),
    ("attention_scaling (cos/sin)", lambda r: num(r["attention"]["attention_scaling"])),
    ("softmax scale multiplier", lambda r: num(r["attention"]["softmax_scale_multiplier"])),
    (
        "bf16: distinct positions",
        lambda r: f"{num(r['precision']['bf16']['distinct_positions'])} of {num(r['target_length'])}",
    ),
    ("pitfalls (warnings)", lambda r: str(sum(p["severity"] == "warning" for p in r["pitfalls"]))),
]


def _figures_table(reports: list[dict[str, Any]]) -> Table:
    title = "Key figures" if len(reports) == 1 else "Comparison"
    table = Table(title=title, title_justify="left")
    table.add_column("")
    for r in reports:
        table.add_column(r["name"])
    for label, get in FIGURES:
        table.add_row(label, *(get(r) if r["family"] == "rope" else "—" for r in reports))
    return table


def comparison_rows(reports: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The comparison table as data (for ``--json``): row label -> one value per report."""
    return {label: [get(r) if r["family"] == "rope" else None for r in reports] for label, get in FIGURES}


def _ladder_table(r: dict[str, Any]) -> Table:
    crit = r["critical_dimension"]["pairs_below"]
    table = Table(
        title=(
            "Frequency ladder: wavelength λ = 2π/θ in tokens; "
            f"training length L = {num(r['training_length'])}, "
            f"target N = {num(r['target_length'])}; pairs from {crit} on (features ≥ d_extra = "
            f"{r['critical_dimension']['d_extra']}) never completed a turn in training"
        ),
        title_justify="left",
    )
    for col in ("pair", "λ default", "turns in L", "full turn", "scale", "λ at N", "group", "beyond"):
        table.add_column(col, justify="right" if col not in ("group",) else "left")
    for p in r["pairs"]:
        table.add_row(
            str(p["pair"]),
            num(p["wavelength_default"]),
            num(p["turns_in_training"]),
            "yes" if p["full_turn_in_training"] else "no",
            num(p["scale_factor"]),
            num(p["wavelength"]),
            p["group"] or "",
            "!" if p["angles_beyond_training"] else "",
            style="dim" if p["pair"] >= crit else None,
            end_section=p["pair"] == crit - 1,
        )
    return table


def _precision_table(r: dict[str, Any]) -> Table:
    table = Table(
        title=f"Positions 0 … {num(r['target_length'] - 1)} and the fastest pair's angle in low precision",
        title_justify="left",
    )
    for col in (
        "format",
        "distinct positions",
        "collapsed",
        "first inexact",
        "overflow to inf",
        "angle error, positions cast (rad)",
        "angle error, angle stored (rad)",
    ):
        table.add_column(col, justify="right")
    for name, p in r["precision"].items():
        table.add_row(
            name,
            num(p["distinct_positions"]),
            num(p["collapsed_positions"]),
            num(p["first_inexact_position"]),
            num(p["overflow_positions"]),
            "inf"
            if p["max_angle_error_cast_positions"] is None
            else num(p["max_angle_error_cast_positions"]),
            "inf" if p["max_angle_error_stored_angles"] is None else num(p["max_angle_error_stored_angles"]),
        )
    return table


def _print_pitfalls(r: dict[str, Any], console: Console) -> None:
    if not r["pitfalls"]:
        console.print(Text("Pitfalls: none found", style="green"))
        return
    console.print(Text("Pitfalls:", style="bold"))
    for p in r["pitfalls"]:
        console.print(Text(f"  [{p['severity']}] ", style=SEVERITY_STYLE[p["severity"]]) + Text(p["message"]))
