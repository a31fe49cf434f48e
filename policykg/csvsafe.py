"""CSV for spreadsheets: a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return) is
read by Excel, LibreOffice and Google Sheets as a formula, which can run commands or leak data (CSV formula
injection). Such cells get a leading apostrophe, which spreadsheets show as text; numbers (``-5``, ``+1.5e3``)
are left as they are. Used by every CSV policykg writes: SPARQL CSV results, ``/export?format=csv`` and the
audit CSV."""
from __future__ import annotations

import re

_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def cell(value) -> str:
    """The value as a spreadsheet-safe CSV cell text (before CSV quoting)."""
    if value is None:
        return ""
    v = str(value)
    if v and v[0] in "=+-@\t\r" and not _NUMBER.fullmatch(v):
        return "'" + v
    return v
