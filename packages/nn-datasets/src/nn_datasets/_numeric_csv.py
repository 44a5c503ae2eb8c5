"""Numeric CSV bodies, fast: numpy's C reader first, a line-by-line scan only to explain a failure.

``np.loadtxt`` parses integers quickly (a 42,000 x 785 Kaggle file in under a
second as uint8) but its errors count rows from 0 and skip blank lines. So we
let it try, and when it fails we scan the file ourselves for the first bad
line and report it as ``<file> line <n>: ...`` with physical, 1-based line
numbers (the header is line 1).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from nn_core.errors import DataError
from nn_core.inputs import refuse_special_file

# Whole lines of numbers are recognised at C speed so the scan stays fast (about 20 us a line for
# Kaggle's integers, 100 us for floats); anything else is looked at field by field. Each piece of
# _FLOAT can match a given text in one way only, so a failing line backtracks in linear time.
_FLOAT = r"\s*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*"
FLOATS = re.compile(rf"{_FLOAT}(?:,{_FLOAT})*")
MAX_HEADER_BYTES = 1 << 20


def read_header(path: Path) -> list[str]:
    """Column names on line 1 of a comma-separated file (BOM and whitespace stripped)."""
    refuse_special_file(path)  # before open: a FIFO would block it, /dev/zero never ends
    try:
        with open(path, "rb") as f:
            first = f.readline(MAX_HEADER_BYTES + 1)
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror})") from None
    if len(first) > MAX_HEADER_BYTES:
        raise DataError(f"{path} line 1: longer than {MAX_HEADER_BYTES} bytes; expected a header row")
    try:
        text = first.decode("utf-8-sig").strip()
    except UnicodeDecodeError:
        raise DataError(f"{path} line 1: not UTF-8 text; expected a header row") from None
    if not text:
        raise DataError(f"{path} line 1: empty; expected a header row naming the columns")
    return [name.strip() for name in text.split(",")]


def try_loadtxt(path: Path, ncols: int, dtypes: Sequence[type]) -> np.ndarray | None:
    """The rows after the header as the first of ``dtypes`` that parses them all, else None.

    None also when the column count is not ``ncols`` or a float is not finite:
    the caller then scans for the line to blame.
    """
    for dtype in dtypes:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # "input contained no data"
                table: np.ndarray = np.loadtxt(
                    path, delimiter=",", skiprows=1, dtype=dtype, ndmin=2, comments=None, encoding="utf-8"
                )
        except ValueError:  # includes UnicodeDecodeError
            continue
        if table.shape[0] == 0:
            raise DataError(f"{path}: no data rows after the header")
        if table.shape[1] != ncols:
            return None
        if table.dtype.kind == "f" and not np.isfinite(table).all():
            return None
        return table
    return None


def data_lines(path: Path) -> Iterator[tuple[int, str]]:
    """``(line number, text)`` of each non-empty line after the header (loadtxt's rows, in order).

    Lines end at ``\n``, ``\r\n`` or a lone ``\r``, as numpy's reader splits them.
    """
    number = 0
    with open(path, "rb") as f:
        for raw in f:
            body = raw[:-1] if raw.endswith(b"\n") else raw
            if body.endswith(b"\r") and raw.endswith(b"\n"):
                body = body[:-1]
            for piece in body.split(b"\r"):
                number += 1
                if number == 1:
                    continue  # the header
                try:
                    line = piece.decode("utf-8")
                except UnicodeDecodeError:
                    raise DataError(f"{path} line {number}: not UTF-8 text") from None
                if line:  # loadtxt skips empty lines, not whitespace-only ones
                    yield number, line


def _unsigned_ints(line: str) -> bool:
    """``1,22,333``: ASCII digits, no empty field (the column count is checked apart)."""
    digits = line.replace(",", "")
    return digits.isascii() and digits.isdigit() and ",," not in line and line[0] != "," and line[-1] != ","


def scan_numeric(path: Path, columns: Sequence[str]) -> None:
    """Raise :class:`DataError` for the first line that is not ``len(columns)`` finite numbers."""
    ncols = len(columns)
    for number, line in data_lines(path):
        count = line.count(",") + 1
        if count != ncols:
            raise DataError(f"{path} line {number}: expected {ncols} columns, got {count}")
        if _unsigned_ints(line) or FLOATS.fullmatch(line):
            continue
        fields = line.split(",")
        for column, field in enumerate(fields):
            where = f"{path} line {number}: column {column + 1} ({columns[column]})"
            try:
                value = float(field)
            except ValueError:
                raise DataError(f"{where} is not a number: {field!r}") from None
            if not np.isfinite(value):
                raise DataError(f"{where} is not finite: {field!r}")


def load_numeric_body(path: Path, columns: Sequence[str], dtypes: Sequence[type]) -> np.ndarray:
    """All rows after the header as an ``(n, len(columns))`` array, or a DataError naming the bad line.

    ``dtypes`` are tried in order. When the first fails, the file is scanned
    before the others are tried: a bad line is then reported in about a
    second, not after a slow float parse of the whole file.
    """
    table = try_loadtxt(path, len(columns), dtypes[:1])
    if table is None:
        scan_numeric(path, columns)
        table = try_loadtxt(path, len(columns), dtypes[1:])
    if table is None:  # loadtxt refused something the scan accepts (e.g. Python-only float syntax)
        raise DataError(f"{path}: could not parse the rows as numbers")
    return table


def line_of_row(path: Path, row: int) -> int | str:
    """The physical line number of data row ``row`` (0-based; blank lines are not rows).

    Should the file's lines not match numpy's rows, ``"? (data row N)"``: a message, not a crash.
    """
    for index, (number, _) in enumerate(data_lines(path)):
        if index == row:
            return number
    return f"? (data row {row + 1})"
