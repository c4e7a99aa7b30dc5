"""`posenc encodings`: what the library implements, where each encoding acts."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table

from posenc.encodings import FAMILIES

HOOK = {
    "input": "added to the input",
    "qk": "rotates q and k",
    "bias": "biases the scores",
    "none": "nothing",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")


def run(args: argparse.Namespace) -> int:
    from posenc.encodings.rope_scaling import ROPE_TYPES

    if args.json:
        import json

        print(
            json.dumps({n: vars(f) for n, f in FAMILIES.items()} | {"rope_types": list(ROPE_TYPES)}, indent=2)
        )
        return 0
    table = Table(title="posenc position encodings")
    for col in ("name", "acts on", "paper", "verified against"):
        table.add_column(col, overflow="fold")  # 80 columns: long names wrap, never cut
    for f in FAMILIES.values():
        table.add_row(f.name, HOOK[f.acts_on], f.paper, f.reference)
    console = Console()
    console.print(table)
    console.print("RoPE scaling (rope_type): " + ", ".join(ROPE_TYPES))
    console.print("Next: posenc notes other-encodings (how each family enters attention)")
    return 0
