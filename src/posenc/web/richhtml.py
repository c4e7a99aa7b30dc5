"""The terminal's rich renderables as HTML, so an experiment's page and ``posenc exp`` cannot disagree.

Every experiment's ``summary(results)`` returns what the terminal prints: rich ``Table``\\ s and strings
(with rich markup such as ``[green]sees order[/]``). :func:`blocks` turns that same list into blocks a
template renders:

* a ``Table`` -> ``<table>`` with its title and caption, column headers, and every cell as text
  (right-justified columns get ``class="num"``; green / red / yellow / bold markup becomes the page's
  ``good`` / ``bad`` / ``warn`` classes and ``<strong>``);
* a string -> its plain text (markup removed, as the terminal shows it), which the template renders
  as a Markdown paragraph with the ``| markdown`` filter, with the class of its colour if it has one;
* anything else -> the text the terminal would print, in ``<pre>``.
"""

from __future__ import annotations

import html
import io
from collections.abc import Iterable
from dataclasses import dataclass

from markupsafe import Markup
from rich.console import Console, RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text

#: rich colour -> the lab's CSS class
COLOR_CLASSES = {"green": "good", "red": "bad", "yellow": "warn"}


@dataclass(frozen=True)
class Block:
    kind: str  # "table", "text" or "pre"
    html: Markup = Markup("")  # "table" and "pre"
    text: str = ""  # "text": plain text, rendered as Markdown by the template
    css: str = ""  # "text": "good" / "bad" / "warn" when the whole string had that colour


def _console() -> Console:
    return Console(file=io.StringIO(), width=110, color_system=None, force_terminal=False)


def _text(value: object) -> Text:
    if isinstance(value, Text):
        return value
    return Text.from_markup(value) if isinstance(value, str) else Text(str(value))


def _classes(style: Style) -> list[str]:
    color = style.color.name if style.color is not None else None
    return [COLOR_CLASSES[color]] if color in COLOR_CLASSES else []


def styled_html(value: object) -> Markup:
    """One cell (a string with rich markup, or a ``Text``) as escaped HTML keeping its colours."""
    console = _console()
    parts = []
    for segment in _text(value).render(console, end=""):
        piece = html.escape(segment.text)
        style = segment.style
        if style is not None:
            if style.bold:
                piece = f"<strong>{piece}</strong>"
            classes = _classes(style)
            if classes:
                piece = f'<span class="{" ".join(classes)}">{piece}</span>'
        parts.append(piece)
    return Markup("".join(parts))


def table_html(table: Table) -> Markup:
    """A rich ``Table`` as ``<table>``: caption = title (and the rich caption below it)."""
    out = ['<table class="rich">']
    if table.title or table.caption:
        caption = styled_html(table.title) if table.title else Markup("")
        if table.caption:
            caption += (
                Markup('<br><span class="table-note">') + styled_html(table.caption) + Markup("</span>")
            )
        out.append(f"<caption>{caption}</caption>")
    if table.show_header:
        heads = "".join(
            f'<th scope="col"{_num(c.justify)}>{styled_html(c.header)}</th>' for c in table.columns
        )
        out.append(f"<thead><tr>{heads}</tr></thead>")
    columns = [list(c.cells) for c in table.columns]
    out.append("<tbody>")
    for i in range(table.row_count):
        cells = []
        for column, cells_of in zip(table.columns, columns, strict=True):
            value = cells_of[i] if i < len(cells_of) else ""
            cells.append(f"<td{_num(column.justify)}>{_cell(value)}</td>")
        out.append(f"<tr>{''.join(cells)}</tr>")
    out.append("</tbody></table>")
    return Markup("".join(out))


def _num(justify: str) -> str:
    return ' class="num"' if justify == "right" else ""


def _cell(value: object) -> Markup:
    if isinstance(value, (str, Text)):
        return styled_html(value)
    return Markup(html.escape(_plain(value)))  # a nested renderable: its text


def _plain(renderable: RenderableType) -> str:
    console = _console()
    console.print(renderable)
    return console.file.getvalue().rstrip()


def _text_block(value: str | Text) -> Block:
    text, console = _text(value), _console()
    colors = {c for span in text.spans for c in _classes(console.get_style(span.style, default=Style()))}
    whole = all(span.start == 0 and span.end >= len(text.plain) for span in text.spans)
    css = colors.pop() if len(colors) == 1 and text.spans and whole else ""
    return Block("text", text=text.plain, css=css)


def blocks(items: Iterable[RenderableType]) -> list[Block]:
    """``summary(results)``'s renderables as blocks for a template (see the module docstring)."""
    out = []
    for item in items:
        if isinstance(item, Table):
            out.append(Block("table", html=table_html(item)))
        elif isinstance(item, (str, Text)):
            out.append(_text_block(item))
        else:
            out.append(Block("pre", html=Markup(f"<pre>{html.escape(_plain(item))}</pre>")))
    return out


__all__ = ["Block", "blocks", "styled_html", "table_html"]
