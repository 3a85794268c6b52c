"""Cells of exported files (CSV and XLSX) made safe to open in a spreadsheet program.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return may be run as a
formula by Excel, LibreOffice or WPS when the file is opened ("CSV injection": a customer named
``=cmd|' /C calc'!A0`` would start a program on the clerk's PC). Every exporter passes its rows
through `safe_row` (or writes with `safe_csv_writer`), which prefixes such a text cell with a
single quote, as OWASP recommends. Numbers, and text that is just a number (``-12.50``,
``+8613800138000``), are left alone: a spreadsheet reads them as numbers, never as formulas.

XLSX files get the same quote, in the cell's text, rather than relying on the cell being typed
as text: the quote survives the file being saved again as CSV by whoever opened it.

Reading our own files back (`unescape_cell`) removes the quote exactly when `safe_cell` would
have added it, so that export → import is lossless. To make that unambiguous, `safe_cell` also
quotes text that already starts with quotes followed by a dangerous character (``'=x`` becomes
``''=x``): `unescape_cell(safe_cell(x)) == x` for every text ``x``. A file from elsewhere whose
cell reads ``'=x`` is therefore imported as ``=x`` — stored as text, never evaluated — which is
also what a spreadsheet program shows for it.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

# Characters that make a spreadsheet program read a cell as a formula (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def needs_quote(text: str) -> bool:
    """Whether `safe_cell` quotes this text: after any leading quotes it starts with a
    formula character, and it is not simply a number."""
    rest = text.lstrip("'")
    return rest.startswith(FORMULA_STARTS) and _NUMBER.fullmatch(rest) is None


def safe_cell(value: Any) -> Any:
    """The value to write into an exported cell: text that a spreadsheet would run as a
    formula gets a leading single quote; everything else is returned unchanged."""
    if isinstance(value, str) and value and needs_quote(value):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    """`safe_cell` on every cell of a row (for `csv.writer.writerow` and openpyxl's
    `append`)."""
    return [safe_cell(v) for v in values]


def unescape_cell(value: Any) -> Any:
    """The inverse of `safe_cell`, for importers reading our own exports: drop the quote
    `safe_cell` added, and only that one."""
    if isinstance(value, str) and value.startswith("'") and needs_quote(value[1:]):
        return value[1:]
    return value


# Control characters an XLSX file cannot hold (openpyxl refuses them with IllegalCharacterError).
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def safe_xlsx_row(values: Iterable[Any]) -> list[Any]:
    """`safe_row` for openpyxl's `append`; also drops the control characters XLSX cannot hold
    (a stray one in a name would otherwise make the whole export fail)."""
    return safe_row(_XLSX_ILLEGAL.sub("", v) if isinstance(v, str) else v for v in values)


class _SafeWriter:
    """`csv.writer` whose rows go through `safe_row`."""

    def __init__(self, out, **kwargs):
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, row: Iterable[Any]):
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def safe_csv_writer(out, **kwargs) -> _SafeWriter:
    """A `csv.writer(out, **kwargs)` that neutralises formula cells (see the module)."""
    return _SafeWriter(out, **kwargs)
