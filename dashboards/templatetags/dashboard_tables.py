"""A dashboard table's body, rendered in Python: the national university table has hundreds of
rows, and deciding per cell in the template language (number or text, link or not) cost about
a second each time the figures were computed afresh."""

import re
from html import escape

from django import template
from django.utils.safestring import mark_safe

register = template.Library()

# `escape` here is the standard library's, which django.utils.html.escape calls (the same output)
# without its lazy-string wrapper: the national university table has thousands of cells.

# A figure written as text: a count, a share, points, a score or yen (1,234 · 16.0% · -14.0 · 1.23 · ¥1,800,000 · -¥150,000).
FIGURE_TEXT = re.compile(r"[-−+]?¥?\d[\d,]*(\.\d+)?%?")


@register.filter
def is_figure(cell) -> bool:
    """A number, or text that reads as one: set right-aligned and never broken (td.num)."""
    if isinstance(cell, bool):
        return False
    if isinstance(cell, int | float):
        return True
    return isinstance(cell, str) and FIGURE_TEXT.fullmatch(cell) is not None


@register.filter
def figure(cell) -> str:
    """A figure as shown: numbers grouped by thousands with a comma (as `intcomma` does in both
    of the site's languages), text as it was written."""
    return f"{cell:,}" if isinstance(cell, int | float) else str(cell)


@register.simple_tag
def table_body(table, hide_first=False, link_prefix="", query=""):
    first = 1 if hide_first else 0
    suffix = f"/?{query}" if query else "/"
    lines = []
    for row in table.rows:
        cells = []
        for position in range(first, len(row)):
            cell = row[position]
            if link_prefix and position == 1:  # the name, linked by the row's id (its first, hidden cell)
                href = escape(f"{link_prefix}{row[0]}{suffix}")
                cells.append(f'<td><a href="{href}">{escape(str(cell))}</a></td>')
            elif type(cell) is int:  # most cells: `figure` without the calls
                cells.append(f'<td class="num">{cell:,}</td>')
            elif is_figure(cell):
                cells.append(f'<td class="num">{escape(figure(cell))}</td>')
            else:
                cells.append(f"<td>{escape(str(cell))}</td>")
        lines.append(f"<tr>{''.join(cells)}</tr>")
    return mark_safe("\n".join(lines))  # every value is escaped above


@register.simple_tag
def table_head(table, hide_first=False):
    """The header row; a column of figures (some of its cells are; years not counted yet are
    empty) gets its header aligned as its figures are, on the right."""
    cells = []
    for i, header in enumerate(table.headers):
        if hide_first and i == 0:
            continue
        figures = any(i < len(row) and is_figure(row[i]) for row in table.rows)  # stops at the first
        align = ' class="num"' if figures else ""
        cells.append(f'<th scope="col"{align}>{escape(str(header))}</th>')
    return mark_safe("".join(cells))  # every header is escaped above
