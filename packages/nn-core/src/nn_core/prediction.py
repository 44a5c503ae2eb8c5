"""``nn predict``: read inputs, predict, write a CSV — in the training dataset's format when it has one.

The dataset a model was trained on may own a file format (Kaggle's
``test.csv`` in, ``ImageId,Label`` out; IDX image files for an ``idx``
model); otherwise inputs are a numeric CSV, with a header row or without
one (a first row of numbers is data), and the output has a ``label`` column (the original class
names when the data had them), plus one probability column per class with
``--proba``.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from typing import Any

import numpy as np

from nn_core.errors import DataError
from nn_core.experiment import instantiate
from nn_core.inputs import open_input
from nn_core.outputs import STDOUT, atomic_write
from nn_core.registry import Registry


def read_numeric_csv(path: str, width: int) -> np.ndarray:
    """A numeric CSV of ``width`` columns, with or without a header row; errors name file and line.

    A first row made only of numbers is data, not a header: column names are
    never all numbers, and dropping that row would lose a prediction silently.
    """
    try:
        with open_input(path, encoding="utf-8", newline="") as f:
            reader = csv.reader(_bounded_lines(f, path, width))
            header = next(reader, None)
            if header is None:
                raise DataError(f"{path}: the file is empty")
            headerless = bool(header) and all(_is_number(v) for v in header)
            if len(header) != width:
                what = "the first row" if headerless else "the header"
                raise DataError(f"{path} line 1: expected {width} feature columns, {what} has {len(header)}")
            rows = [[float(v) for v in header]] if headerless else []
            for row in reader:
                if not row:
                    continue
                if len(row) != width:
                    raise DataError(f"{path} line {reader.line_num}: expected {width} columns, got {len(row)}")
                try:
                    rows.append([float(v) for v in row])
                except ValueError:
                    bad = next(v for v in row if not _is_number(v))
                    raise DataError(f"{path} line {reader.line_num}: {bad!r} is not a number") from None
    except FileNotFoundError:
        raise DataError(f"input file not found: {path}") from None
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a UTF-8 text file") from None
    except csv.Error as exc:  # a field over csv's limit (131,072 characters), a NUL byte
        raise DataError(f"{path} line {reader.line_num}: {exc}") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if not rows:
        raise DataError(f"{path}: no data rows after the header")
    table = np.asarray(rows, dtype=np.float64)
    if not np.isfinite(table).all():
        first = int(np.argmin(np.isfinite(table).all(axis=1)))
        raise DataError(f"{path}: data row {first + 1} holds a value that is not finite")
    return table


MAX_LINE_BASE = 1 << 20
"""Characters a CSV line may hold beyond 128 per expected column (a line of 50 MB of commas once took 500 MB)."""


def _bounded_lines(f: Any, path: str, width: int) -> Iterator[str]:
    """The file's lines, refusing one far longer than ``width`` numbers can be, before csv splits it."""
    limit = MAX_LINE_BASE + 128 * width
    number = 0
    while line := f.readline(limit + 1):
        number += 1
        if len(line) > limit:
            raise DataError(f"{path} line {number}: longer than {limit:,} characters, far more than {width} numbers")
        yield line


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_inputs(model: Any, path: str, registry: Registry) -> np.ndarray:
    dataset = instantiate(model.spec.data.dataset, registry, model.spec.backend)
    X = dataset.read_inputs(path)
    if X is None:
        X = read_numeric_csv(path, model.input_dim)
    return np.asarray(X)


def write_predictions(model: Any, path: str, X: np.ndarray, with_proba: bool, registry: Registry) -> int:
    """Predict for X and write ``path`` (:data:`~nn_core.outputs.STDOUT`: standard output); returns the row count."""
    if path == STDOUT:
        # The dataset's own writer takes a path: let it write a private file, then copy that out.
        import shutil
        import sys
        import tempfile

        with tempfile.TemporaryDirectory(prefix="nn-predict-") as folder:
            private = os.path.join(folder, "predictions.csv")
            rows = write_predictions(model, private, X, with_proba, registry)
            sys.stdout.flush()
            with open(private, "rb") as f:
                shutil.copyfileobj(f, sys.stdout.buffer)
            sys.stdout.buffer.flush()
        return rows
    proba = model.predict_proba(X)
    labels = model.predict(X)
    dataset = instantiate(model.spec.data.dataset, registry, model.spec.backend)
    if dataset.write_predictions(path, labels, proba if with_proba else None, model.classes):
        return len(labels)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    names = model.classes or [str(i) for i in range(proba.shape[1])]
    if model.task == "regression":
        header = [f"output_{i}" for i in range(proba.shape[1])] if proba.shape[1] > 1 else ["value"]
        writer.writerow(header)
        writer.writerows(proba.tolist())
    else:
        header = ["label"] + ([f"proba_{n}" for n in names] if with_proba else [])
        writer.writerow(header)
        for label, row in zip(labels, proba, strict=True):
            writer.writerow([label, *(f"{p:.6g}" for p in row)] if with_proba else [label])
    data = buffer.getvalue().encode("utf-8")
    try:
        atomic_write(path, lambda f: f.write(data))
    except OSError as exc:
        raise DataError(f"cannot write {path}: {exc.strerror or exc}") from None
    return len(labels)
