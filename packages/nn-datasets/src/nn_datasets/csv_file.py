"""Any comma-separated file with a header row: numeric features, one label column.

Labels are classes or numbers (``label_type``): with ``auto``, a column of
text or of integers is a class label (class indices follow the sorted
distinct values, whose names are kept in ``Data.classes``, so labels 0..K-1
stay as they are), any other numeric column a regression target.
All-numeric files go through numpy's C reader; others, or quoted ones,
through the :mod:`csv` module.
"""

from __future__ import annotations

import csv
import difflib
import os
import stat
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from nn_core.contracts import Data, Dataset
from nn_core.errors import DataError
from nn_core.inputs import refuse_special_file
from nn_datasets._numeric_csv import try_loadtxt
from nn_datasets._schema import object_schema

LABEL_TYPES = ("auto", "class", "number")


def _header(path: Path) -> list[str]:
    refuse_special_file(path)  # before open: a FIFO would block it
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):  # /dev/zero: a first line without end
                raise DataError(f"{path}: not a regular file")
            header = next(csv.reader(f), [])
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise DataError(f"{path} line 1: not UTF-8 text; expected a header row") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror})") from None
    except csv.Error as exc:
        raise DataError(f"{path} line 1: {exc}") from None
    header = [name.strip() for name in header]
    if not any(header):
        raise DataError(f"{path} line 1: expected a header row naming the columns, got an empty line")
    seen: set[str] = set()
    for number, name in enumerate(header, start=1):
        if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in name):  # messages are one line each
            raise DataError(f"{path} line 1: column {number}'s name {name!r} holds control characters")
        if name in seen:
            raise DataError(f"{path} line 1: column name {name!r} appears twice (again as column {number})")
        seen.add(name)
    return header


def _column(path: Path, header: list[str], name: str, role: str) -> int:
    if name in header:
        return header.index(name)
    close = difflib.get_close_matches(name, header, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise DataError(f"{path}: no {role} column {name!r} in the header{hint}; columns: {', '.join(header)}")


def _read_rows(path: Path, header: list[str], label: int, features: list[int]) -> tuple[np.ndarray, list[str]]:
    """The slow, exact path: every row through :mod:`csv`, errors with their line."""
    ncols = len(header)
    rows: list[list[float]] = []
    labels: list[str] = []
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f)
            next(reader)
            for row in reader:
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue  # blank line
                line = reader.line_num
                if len(row) != ncols:
                    raise DataError(f"{path} line {line}: expected {ncols} columns, got {len(row)}")
                values = []
                for i in features:
                    try:
                        value = float(row[i])
                    except ValueError:
                        raise DataError(
                            f"{path} line {line}: column {i + 1} ({header[i]}) is not a number: {row[i]!r}"
                        ) from None
                    if not np.isfinite(value):
                        raise DataError(f"{path} line {line}: column {i + 1} ({header[i]}) is not finite: {row[i]!r}")
                    values.append(value)
                rows.append(values)
                labels.append(row[label].strip())
    except UnicodeDecodeError:
        raise DataError(f"{path}: not UTF-8 text (after line {reader.line_num})") from None
    except csv.Error as exc:
        raise DataError(f"{path} line {reader.line_num}: {exc}") from None
    if not rows:
        raise DataError(f"{path}: no data rows after the header")
    return np.array(rows, dtype=np.float64).reshape(len(rows), len(features)), labels


def _as_numbers(values: np.ndarray | Sequence[str]) -> np.ndarray | None:
    """The label column as finite numbers, or None if any value is not one."""
    if isinstance(values, np.ndarray):
        numbers = values
    else:
        try:
            numbers = np.array(values, dtype=np.float64)
        except ValueError:
            return None
    if numbers.dtype.kind == "f" and not np.isfinite(numbers).all():
        return None  # 'nan' as a label is text, not a number
    return numbers


def encode_labels(
    values: np.ndarray | Sequence[str], label_type: str = "auto"
) -> tuple[np.ndarray, tuple[str, ...] | None]:
    """Targets ``y`` and class names (None for regression) from a label column.

    Class indices follow the sorted distinct values. Raises ValueError when
    ``label_type`` is ``number`` and a value is not a number, OverflowError for
    an integral label beyond int64 (which would wrap around silently).
    """
    numbers = _as_numbers(values)
    integral = numbers is not None and (numbers.dtype.kind in "iu" or bool((numbers == np.round(numbers)).all()))
    if label_type == "number" or (label_type == "auto" and numbers is not None and not integral):
        if numbers is None:
            raise ValueError("label column is not numeric")
        return numbers.astype(np.float64), None
    if numbers is not None and integral:
        if numbers.dtype.kind == "f" and numbers.size and float(np.abs(numbers).max()) >= 2.0**63:
            big = float(numbers[np.argmax(np.abs(numbers))])
            raise OverflowError(f"{big:.17g}, beyond the 64-bit range of class labels")
        distinct, y = np.unique(numbers.astype(np.int64), return_inverse=True)
        names = tuple(str(v) for v in distinct)
    elif numbers is not None:  # fractional numbers as classes (label_type 'class')
        distinct, y = np.unique(numbers, return_inverse=True)
        names = tuple(repr(float(v)) for v in distinct)
    else:
        distinct, y = np.unique(np.array(values, dtype=str), return_inverse=True)
        names = tuple(str(v) for v in distinct)
    return y.reshape(-1).astype(np.int64), names


def load_csv(
    path: str | os.PathLike[str],
    label: str,
    features: Sequence[str] | None = None,
    label_type: str = "auto",
) -> Data:
    """Features ``X`` (float64) and targets ``y`` from the columns named in the header row."""
    path = Path(path).expanduser()
    header = _header(path)
    label_index = _column(path, header, label, "label")
    if features is None:
        feature_index = [i for i in range(len(header)) if i != label_index]
    else:
        feature_index = [_column(path, header, name, "feature") for name in features]
        if label_index in feature_index:
            raise DataError(f"{path}: column {label!r} is the label and cannot also be a feature")
    if not feature_index:
        raise DataError(f"{path}: no feature columns besides the label {label!r}")

    table = try_loadtxt(path, len(header), (np.int64, np.float64))
    if table is not None:
        X = table[:, feature_index].astype(np.float64)
        raw_labels: np.ndarray | list[str] = table[:, label_index]
    else:
        X, raw_labels = _read_rows(path, header, label_index, feature_index)
    try:
        y, classes = encode_labels(raw_labels, label_type)
    except OverflowError as exc:
        raise DataError(f"{path}: column {label!r} holds {exc}; for numeric targets set label_type: number") from None
    except ValueError:
        bad = next(v for v in raw_labels if _as_numbers([v]) is None)
        raise DataError(f"{path}: label_type is 'number' but column {label!r} holds {bad!r}") from None
    names = tuple(header[i] for i in feature_index)
    return Data(X=X, y=y, classes=classes, extra={"feature_names": names})


class Csv(Dataset):
    """A CSV file with a header row: pick the label column, the rest (or a list) are features."""

    name: ClassVar[str] = "csv"
    params_schema: ClassVar[dict[str, Any]] = object_schema(
        {
            "path": {
                "type": "string",
                "minLength": 1,
                "description": "comma-separated file with a header row",
                "examples": ["data/iris.csv"],
            },
            "label": {
                "type": "string",
                "minLength": 1,
                "description": "name of the label column",
                "examples": ["species"],
            },
            "features": {
                "type": ["array", "null"],
                "items": {"type": "string", "minLength": 1},
                "minItems": 1,
                "uniqueItems": True,
                "default": None,
                "description": "names of the feature columns; null for every column but the label",
            },
            "label_type": {
                "enum": list(LABEL_TYPES),
                "default": "auto",
                "description": "class: labels are classes; number: regression targets; "
                "auto: text or integers are classes, other numbers targets",
            },
        },
        required=("path", "label"),
    )

    def __init__(self, *, path: str, label: str, features: list[str] | None, label_type: str) -> None:
        super().__init__(path=path, label=label, features=features, label_type=label_type)

    def load(self) -> Data:
        p = self.params
        return load_csv(p["path"], p["label"], p["features"], p["label_type"])

    def read_inputs(self, path: str) -> np.ndarray:
        """``nn predict``: the training feature columns, by name, from a CSV with a header row.

        The label column may be present (it is ignored) or absent, so the
        training file itself or a file of new rows both work.
        """
        p = self.params
        source = Path(path).expanduser()
        header = _header(source)
        names = p["features"]
        if names is None:  # every column but the label, as in training: ask the training file
            training = _header(Path(p["path"]).expanduser())
            names = [name for name in training if name != p["label"]]
        if header and all(_is_number_text(cell) for cell in header) and not set(names) <= set(header):
            raise DataError(
                f"{source}: the first row is numbers, not a header; add a header row naming the feature "
                f"columns ({', '.join(names)}), as in the training file"
            )
        index = [_column(source, header, name, "feature") for name in names]
        table = try_loadtxt(source, len(header), (np.float64,))
        if table is None:
            X, _ = _read_rows(source, header, index[0], index)
            return X
        return table[:, index].astype(np.float64)


def _is_number_text(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
