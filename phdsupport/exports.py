import csv
import io
from collections.abc import Iterable
from datetime import date
from typing import Any

from phdsupport.validation import printable

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Stop spreadsheet formula injection: text starting like a formula gets a leading quote.

    Numbers stay numbers (a negative change such as -3 is data, not a formula).
    """
    if isinstance(value, str):
        # Characters a spreadsheet or UTF-8 cannot hold (NUL, controls, lone surrogates), stored
        # before they were refused, become U+FFFD: one bad cell must not break a whole export.
        value = printable(value)
        if value.startswith(FORMULA_PREFIXES):
            return "'" + value
    return value


def _cell_text(cell: Any) -> Any:
    if cell is None:
        return ""
    if isinstance(cell, date):
        return cell.isoformat()
    return neutralise(cell)


def table_csv(header: list[str], rows: Iterable[list[Any]]) -> bytes:
    """A CSV that Excel opens in Japanese (UTF-8 with BOM), formula-like text neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell_text(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def table_xlsx(header: list[str], rows: Iterable[list[Any]], sheet_title: str) -> bytes:
    """One sheet, header first; dates stay dates and numbers numbers, formula-like text neutralised."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title)
    sheet.append(header)
    for row in rows:
        sheet.append([None if cell == "" else neutralise(cell) for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
