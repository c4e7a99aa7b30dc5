"""`posenc notes [TOPIC]`: the teaching notes in the terminal.

Without a topic, lists the topics in reading order. With one (an id such as ``rope-scaling``, a
unique prefix, its number, or ``all``), renders its Markdown with rich in a pager (``--no-pager``
prints it; output that is not a terminal is never paged). ``--markdown`` prints the Markdown
source with the library's numbers filled in (for copying, or for another renderer).
Content: ``posenc/learn/data/notes/`` (``index.yaml`` + one Markdown file per topic).
"""

from __future__ import annotations

import argparse

from rich.markdown import Markdown
from rich.table import Table

from posenc.learn.content import NoteTopic, find_topic, load_notes_index
from posenc.learn.terminal import make_console


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "topic", nargs="?", help="topic id, unique prefix, number, or 'all'; omit to list them"
    )
    parser.add_argument("--no-pager", action="store_true", help="print instead of opening a pager")
    parser.add_argument(
        "--markdown", action="store_true", help="print the Markdown source (numbers filled in)"
    )


def topics_for(name: str) -> tuple[NoteTopic, ...]:
    return load_notes_index() if name.strip().lower() == "all" else (find_topic(name),)


def run(args: argparse.Namespace) -> int:
    console = make_console()
    if not args.topic:
        table = Table(title="posenc notes — run `posenc notes TOPIC`")
        for column in ("#", "topic", "title", "summary"):
            table.add_column(column)
        for t in load_notes_index():
            table.add_row(str(t.number), t.id, t.title, t.summary)
        console.print(table)
        return 0
    topics = topics_for(args.topic)
    text = "\n\n---\n\n".join(t.markdown() for t in topics)
    if args.markdown:
        print(text)
        return 0
    if args.no_pager or not console.is_terminal:
        console.print(Markdown(text))
        return 0
    with console.pager(styles=True):
        console.print(Markdown(text))
    return 0
