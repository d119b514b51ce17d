"""Attendance exports, encoded row by row: CSV, JSON and XLSX.

JSON gives times as seconds since the epoch; CSV gives them as ISO 8601 in UTC, because that is
what spreadsheets read. Minutes have two decimals. A CSV cell that a spreadsheet would take for
a formula (starting with = + - @) is prefixed with an apostrophe. XLSX (openpyxl, write-only: rows
go to a temporary file, not memory) has real numbers and UTC date-times, and text stays text.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from rooms.errors import InvalidPayload
from server.attendance.reports import RECORDS_COLUMNS, TIME_COLUMNS, Row

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Rows of one XLSX sheet, its header included.
SHEET_ROWS = 1_048_576
# One encoder for every row: json.dumps with options builds a new encoder per call.
_JSON = json.JSONEncoder(ensure_ascii=False, allow_nan=False)


# -- CSV and JSON encoding, row by row ------------------------------------------------------------


def _iso(value: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(value))


def csv_cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    if column in TIME_COLUMNS and isinstance(value, int | float):
        return _iso(float(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "; ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, list):
        parts = [
            f"{v['session_id']}={v['minutes']}" if isinstance(v, dict) else str(v)
            for v in value
        ]
        return "; ".join(parts)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def record_cells(row: Sequence[Any]) -> list[Any]:
    """A raw ledger row as CSV cells, without the general per-cell conversion (exports of
    millions of records go through here)."""
    (seq, session_id, at, kind, participant_id, person_id, room, role, value, text, ends_at,
     shared) = row
    if text is not None and text.startswith(_FORMULA_START):
        text = "'" + text
    if session_id.startswith(_FORMULA_START):
        session_id = "'" + session_id
    return [seq, session_id, _iso(at), kind, participant_id, person_id, room, role, value, text,
            None if ends_at is None else _iso(ends_at), shared]


class CsvEncoder:
    """Rows to CSV text, a chunk at a time; the header comes with the first chunk."""

    def __init__(self, columns: Sequence[str]) -> None:
        self.columns = columns
        self._header_sent = False

    def encode(self, rows: Iterable[Row]) -> bytes:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        if not self._header_sent:
            writer.writerow(self.columns)
            self._header_sent = True
        for row in rows:
            writer.writerow([csv_cell(c, row.get(c)) for c in self.columns])
        return buf.getvalue().encode()

    def encode_records(self, rows: Iterable[Sequence[Any]]) -> bytes:
        """Raw ledger rows (``RECORD_FIELDS`` order) to CSV."""
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        if not self._header_sent:
            writer.writerow(self.columns)
            self._header_sent = True
        writer.writerows(record_cells(row) for row in rows)
        return buf.getvalue().encode()

    def finish(self) -> bytes:
        return b"" if self._header_sent else self.encode([])


class XlsxWriter:
    """Rows to one XLSX sheet. Write-only: openpyxl spools the rows to a temporary file."""

    def __init__(self, columns: Sequence[str]) -> None:
        from openpyxl import Workbook

        self.columns = columns
        self.book = Workbook(write_only=True)
        self.sheet = self.book.create_sheet("attendance")
        self.sheet.append(list(columns))
        self.rows = 0

    def add(self, rows: Iterable[Row]) -> None:
        for row in rows:
            if self.rows == SHEET_ROWS - 1:  # the header takes one
                self.sheet.close()  # ends openpyxl's spooling; the sheet is abandoned
                raise InvalidPayload(f"format: more than {SHEET_ROWS - 1:,} rows, more than a "
                                     "sheet holds; ask for csv or json")
            self.sheet.append([self._cell(c, row.get(c)) for c in self.columns])
            self.rows += 1

    def _cell(self, column: str, value: Any) -> Any:
        from openpyxl.cell import WriteOnlyCell

        if value is None or isinstance(value, bool):
            return value
        if column in TIME_COLUMNS and isinstance(value, int | float):
            return datetime.fromtimestamp(value, UTC).replace(tzinfo=None)
        if isinstance(value, int | float):
            return value
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        # XLSX cannot hold most control characters: each becomes U+FFFD, so that one such
        # character in someone's text never breaks the whole export.
        text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", csv_cell(column, value).removeprefix("'"))
        cell = WriteOnlyCell(self.sheet, value=text)
        cell.data_type = "s"  # never a formula, whatever the text starts with
        return cell

    def save(self, path: str) -> None:
        self.book.save(path)


class JsonEncoder:
    """Rows to one JSON array, a chunk at a time."""

    def __init__(self, columns: Sequence[str]) -> None:
        self.columns = columns
        self._started = False

    def encode(self, rows: Iterable[Row]) -> bytes:
        parts = []
        for row in rows:
            parts.append(("[\n" if not self._started else ",\n")
                         + _JSON.encode({c: row.get(c) for c in self.columns}))
            self._started = True
        return "".join(parts).encode()

    def encode_records(self, rows: Iterable[Sequence[Any]]) -> bytes:
        encode = _JSON.encode
        parts = []
        for row in rows:
            parts.append(("[\n" if not self._started else ",\n")
                         + encode(dict(zip(RECORDS_COLUMNS, row, strict=True))))
            self._started = True
        return "".join(parts).encode()

    def finish(self) -> bytes:
        return b"\n]\n" if self._started else b"[]\n"
