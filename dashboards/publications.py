"""What changed between a published snapshot and the current figures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dashboards.tables import Table

COMPARED = ("summary", "programs", "founders", "fields", "universities", "overlaps")


@dataclass(frozen=True)
class Change:
    table: str
    row: str
    column: str
    published: Any
    current: Any


def publication_diff(published: dict[str, dict[str, Any]], current: dict[str, Table]) -> list[Change]:
    """Cells that differ, rows matched on their first column (a missing row reads as empty)."""
    changes: list[Change] = []
    for key in COMPARED:
        if key not in published or key not in current:
            continue
        old, new = published[key], current[key].as_dict()
        old_rows = {str(row[0]): row for row in old["rows"]}
        new_rows = {str(row[0]): row for row in new["rows"]}
        for label in list(dict.fromkeys([*old_rows, *new_rows])):
            before, after = old_rows.get(label), new_rows.get(label)
            for index, column in enumerate(new["headers"][1:], start=1):
                a = before[index] if before and index < len(before) else ""
                b = after[index] if after and index < len(after) else ""
                if a != b:
                    changes.append(Change(new["title"], label, column, a, b))
    return changes
