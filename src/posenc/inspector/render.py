"""Rich terminal rendering of inspection reports: one report (summary first), or two side by side.

Everything fits 80 columns: headings are plain lines that wrap, tables use few columns whose cells fold
instead of being cut, and numbers carry no spaces so a wrap never splits one.

* ``render_report(r, console)`` — summary, layers and RoPE sets, parameters, key figures, scaling, attention,
  critical dimension, low-precision positions, warnings, notes;
* ``short=True`` — the summary and the warnings only;
* ``pairs=True`` — also the per-pair frequency ladder.
"""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

SEVERITY_STYLE = {"warning": "bold yellow", "info": "cyan", "note": "dim"}


def num(x: Any) -> str:
    """Compact number: integers with separators, floats to 4 significant digits, huge ones in e-notation."""
    if x is None:
        return "—"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return f"{x:,}"
    if isinstance(x, float):
        if x != x or x in (float("inf"), float("-inf")):
            return str(x)
        if x == int(x) and abs(x) < 1e12:
            return f"{int(x):,}"
        if abs(x) >= 1e6 or (x != 0 and abs(x) < 1e-3):
            return f"{x:.3e}"
        return f"{x:,.4g}" if abs(x) < 1e4 else f"{x:,.0f}"
    if isinstance(x, (list, tuple)):
        values = [float(v) for v in x]
        return f"{len(values)} values, {num(min(values))} to {num(max(values))}"
    if isinstance(x, dict):
        return ", ".join(f"{k} {num(v)}" for k, v in x.items() if k != "type")
    return str(x)


def _table(*columns: str, right: tuple[str, ...] = ()) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, expand=False)
    for col in columns:
        table.add_column(col, overflow="fold", justify="right" if col in right else "left")
    return table


def _bullets(console: Console, lines: list[str], style: str = "") -> None:
    """Bulleted lines with a hanging indent, so a wrapped line stays under its text."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=3, justify="right", style=style)
    grid.add_column(overflow="fold")
    for line in lines:
        grid.add_row("•", Text(line))
    console.print(grid)


def _heading(console: Console, text: str) -> None:
    console.print(Text(text, style="bold"))


def _para(console: Console, label: str, text: str) -> None:
    console.print(Text(f"{label}: ", style="bold") + Text(text))


def render_report(r: dict[str, Any], console: Console, short: bool = False, pairs: bool = False) -> None:
    """Print one report: the summary, then (unless ``short``) the details; the pair ladder with ``pairs``."""
    console.print(_header(r))
    if r["family"] != "rope":
        console.print(Text(r["message"]))
        return
    _heading(console, "Summary")
    _bullets(console, r["summary"])
    if short:
        _print_pitfalls(r, console, severities=("warning",))
        return
    _print_layers(r, console)
    _print_defaults(r, console)
    _heading(console, f"Parameters used ({_set_label(r)}; defaults made explicit)")
    console.print(_parameters_table(r))
    _heading(console, "Key figures")
    console.print(_figures_table([r]))
    _para(console, "Scaling", r["scaling"]["summary"])
    hf = r["scaling"].get("transformers_yarn")
    if hf:
        _para(console, "  vs transformers", hf["summary"])
    _para(console, "Attention", r["attention"]["explanation"])
    for q in r["query_scaling"]:
        _para(console, "Query scale", q["summary"])
    if r["mrope"]:
        _para(console, "mrope", r["mrope"]["summary"])
    crit = r["critical_dimension"]
    _para(
        console,
        "Critical dimension",
        f"d_extra = 2·⌈(d/2)·log_b(L/2π)⌉ = 2·⌈({r['rotary_dim']}/2)·log_{num(r['base'])}"
        f"({num(crit['values']['L_train'])}/2π)⌉ = {crit['d_extra']}: pairs ≥ {crit['pairs_below']} "
        f"({crit['features_beyond']}) never completed a full turn in training "
        + (f"within what these layers see ({crit['reach']['why']}) " if crit.get("reach") else "")
        + "(Liu et al. 2023, arXiv:2310.05209)",
    )
    if pairs:
        _print_ladder(r, console)
    _print_precision(r, console)
    _print_pitfalls(r, console, severities=("warning", "info", "note"))


def render_comparison(reports: list[dict[str, Any]], console: Console) -> None:
    """Key figures of two reports side by side, then each one's summary and warnings."""
    _heading(console, "Comparison")
    console.print(_figures_table(reports))
    for r in reports:
        if r["family"] == "rope":
            _heading(console, r["name"])
            _bullets(console, r["summary"])
            _print_pitfalls(r, console, severities=("warning",))
        else:
            console.print(Text(f"{r['name']}: ", style="bold") + Text(r["message"]))


def _header(r: dict[str, Any]) -> Panel:
    lines = [Text(f"{r['name']}", style="bold")]
    if r.get("path") and r["path"] != r["name"]:
        lines.append(Text(str(r["path"]), style="dim"))
    if r["family"] == "rope":
        a = r["architecture"]
        lines.append(Text(f"RoPE ({r['evidence']}) · rope_type {r['rope_type']} · {a['layout']} layout"))
    else:
        lines.append(Text(f"not RoPE: {r['position_encoding']} ({r['evidence']})"))
    if r.get("source"):
        lines.append(Text(f"source: {r['source']}", style="dim"))
    if r.get("note"):
        lines.append(Text(f"note: {r['note']}", style="italic"))
    return Panel(Group(*lines), title="posenc inspect", title_align="left", expand=False)


def _set_label(r: dict[str, Any]) -> str:
    if len(r["rope_sets"]) == 1:
        return "every RoPE layer"
    return f"the {r['primary_rope_set']} layers"


def _print_layers(r: dict[str, Any], console: Console) -> None:
    groups = r["layers"]["groups"]
    if len(groups) == 1 and len(r["rope_sets"]) == 1:
        return  # one kind of layer: the summary said it all
    _heading(console, f"Layers ({r['layers']['count']}) and their RoPE")
    sets = {s["id"]: s for s in r["rope_sets"]}
    table = _table("layers", "type", "RoPE")
    for g in groups:
        s = sets.get(g["rope_set"])
        window = f", {g['window_kind']} window {num(g['window'])}" if g["window"] else ""
        rope_text = s["description"] if s else f"none: {g['why_no_rope']}"
        if s and s["reach"]:
            rope_text += f"; {s['pairs_with_full_turn']} pairs turn fully within {num(s['reach']['span'])}"
        table.add_row(f"{g['count']}: {g['ranges']}", g["layer_type"] + window, rope_text)
    console.print(table)


def _print_defaults(r: dict[str, Any], console: Console) -> None:
    a = r["architecture"]
    if a["wrapper"] or r["aliases"]:
        _heading(console, "Read as")
        _bullets(console, r["aliases"])
    if a["defaults_filled"]:
        _heading(console, f"Defaults filled ({a['config_class']})")
        table = _table("key", "value")
        for d in a["defaults_filled"]:
            table.add_row(d["name"], num(d["value"]))
        console.print(table)


def _parameters_table(r: dict[str, Any]) -> Table:
    table = _table("parameter", "value", "from")
    for p in r["parameters"]:
        table.add_row(p["name"], num(p["value"]), p["source"])
    return table


FIGURES = [
    ("rope_type", lambda r: r["rope_type"]),
    ("head_dim / rotary_dim", lambda r: f"{r['head_dim']} / {r['rotary_dim']}"),
    ("layout", lambda r: r["architecture"]["layout"]),
    ("base (rope_theta)", lambda r: num(r["base"])),
    ("RoPE sets", lambda r: ", ".join(f"{s['id']} ({s['count']})" for s in r["rope_sets"])),
    ("layers without RoPE", lambda r: str(r["layers_without_rope"]["count"])),
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
    ("warnings", lambda r: str(sum(p["severity"] == "warning" for p in r["pitfalls"]))),
]


def _figures_table(reports: list[dict[str, Any]]) -> Table:
    table = _table("", *(r["name"] if len(reports) > 1 else "value" for r in reports))
    for label, get in FIGURES:
        table.add_row(label, *(get(r) if r["family"] == "rope" else "—" for r in reports))
    return table


def comparison_rows(reports: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The comparison table as data (for ``--json``): row label -> one value per report."""
    return {label: [get(r) if r["family"] == "rope" else None for r in reports] for label, get in FIGURES}


def tokens(x: float) -> str:
    """A wavelength in the ladder: whole tokens with separators from 10,000 on (47,117, 20,473,451;
    never 2.047e+07), 4 significant digits below. The column folds rather than cutting a number."""
    return f"{x:,.0f}" if abs(x) >= 1e4 else num(x)


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def turns(x: float) -> str:
    """Turns in the training length: 4 significant digits, or ``9.8 × 10⁻⁴`` below 0.001 (no e-notation)."""
    if x == 0 or abs(x) >= 1e-3:
        return num(x)
    mantissa, exponent = f"{x:.1e}".split("e")
    return f"{mantissa} × 10{str(int(exponent)).translate(_SUPERSCRIPT)}"


def _print_ladder(r: dict[str, Any], console: Console) -> None:
    crit = r["critical_dimension"]["pairs_below"]
    _heading(console, f"Frequency ladder ({_set_label(r)})")
    console.print(
        Text(
            f"wavelength λ = 2π/θ in tokens; training length L = {num(r['training_length'])}, target N = "
            f"{num(r['target_length'])}; pairs from {crit} on never completed a turn in training (dim); "
            "! = rotates further at N than in training",
            style="dim",
        )
    )
    table = _table("pair", "features", "λ plain", "turns in L", "scale", "λ at N", "", right=("pair",))
    table.collapse_padding = True  # one space between columns: room for ten-digit wavelengths
    for column in table.columns[:-1]:  # numbers keep their width; only the last, the mark, wraps
        column.no_wrap = True
    for p in r["pairs"]:
        mark = " ".join(
            x
            for x in (p["group"] or "", p.get("axis") or "", "!" if p["angles_beyond_training"] else "")
            if x
        )
        table.add_row(
            str(p["pair"]),
            f"{p['dims'][0]},{p['dims'][1]}",
            tokens(p["wavelength_default"]),
            turns(p["turns_in_training"]),
            num(p["scale_factor"]),
            tokens(p["wavelength"]),
            mark,
            style="dim" if p["pair"] >= crit else None,
            end_section=p["pair"] == crit - 1,
        )
    console.print(table)


def _print_precision(r: dict[str, Any], console: Console) -> None:
    _heading(
        console, f"Positions 0 to {num(r['target_length'] - 1)} if cast to a low-precision float (notes)"
    )
    table = _table("format", "distinct positions", "first inexact", "overflow to inf", "worst angle error")
    for name, p in r["precision"].items():
        err = p["max_angle_error_cast_positions"]
        table.add_row(
            name,
            num(p["distinct_positions"]),
            num(p["first_inexact_position"]),
            num(p["overflow_positions"]),
            "inf" if err is None else f"{num(err)} rad",
        )
    console.print(table)


def _print_pitfalls(r: dict[str, Any], console: Console, severities: tuple[str, ...]) -> None:
    titles = {
        "warning": "Warnings about this config",
        "info": "Good to know",
        "note": "Notes (general advice, not about this config)",
    }
    for severity in severities:
        found = [p for p in r["pitfalls"] if p["severity"] == severity]
        if severity == "warning" and not found:
            console.print(Text("Warnings about this config: none", style="green"))
            continue
        if not found:
            continue
        _heading(console, titles[severity])
        _bullets(console, [p["message"] for p in found], style=SEVERITY_STYLE[severity])
