"""The ``arrays`` dataset: data a program handed to nn in memory (``NNClassifier.fit(X, y)``).

A model trained on arrays stores this reference in its spec instead of the
data, so the model file stays small and says what it was trained on (how
many samples, which features) without holding the data. Loading it again is
impossible by design: ``nn evaluate`` then needs ``--data SPEC``, and this
dataset's ``load`` says so in one line. ``nn predict`` works as for any
model; when the features had names (a pandas DataFrame), the input CSV's
header is matched to them by name, so its columns may come in any order.
"""

from __future__ import annotations

import csv
from typing import Any, ClassVar

import numpy as np

from nn_core.contracts import Data, Dataset
from nn_core.errors import DataError


class Arrays(Dataset):
    """Arrays passed to a program's fit(X, y); not stored, so nn evaluate needs --data SPEC."""

    name: ClassVar[str] = "arrays"
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "samples": {"type": "integer", "minimum": 0, "description": "rows passed to fit"},
            "features": {"type": "integer", "minimum": 0, "description": "columns passed to fit"},
            "feature_names": {
                "type": "array",
                "items": {"type": "string"},
                "description": "column names, when fit was given a DataFrame",
            },
            "source": {"type": "string", "default": "fit(X, y)", "description": "who passed the arrays"},
        },
    }

    def __init__(
        self,
        *,
        samples: int | None = None,
        features: int | None = None,
        feature_names: list[str] | None = None,
        source: str = "fit(X, y)",
    ) -> None:
        self.samples, self.features, self.feature_names, self.source = samples, features, feature_names, source

    def load(self) -> Data:
        raise DataError(
            f"data.dataset 'arrays' stands for the arrays passed to {self.source}, which no file holds; "
            "to evaluate a model trained on them, pass --set 'data.dataset={type: csv, path: FILE, label: COLUMN}' "
            "or --data SPEC (a whole spec whose data section loads them)"
        )

    def read_inputs(self, path: str) -> np.ndarray | None:
        """A CSV whose header names the training features, in any order; None (generic CSV) without names."""
        if not self.feature_names:
            return None
        try:
            with open(path, encoding="utf-8", newline="") as f:
                header = next(csv.reader(f), None)
        except FileNotFoundError:
            raise DataError(f"input file not found: {path}") from None
        except UnicodeDecodeError:
            raise DataError(f"{path}: not a UTF-8 text file") from None
        if header is None:
            raise DataError(f"{path}: the file is empty")
        header = [name.strip() for name in header]
        missing = [name for name in self.feature_names if name not in header]
        if missing:
            raise DataError(f"{path} line 1: the header lacks feature column(s) {', '.join(map(repr, missing))}")
        extra = [name for name in header if name not in self.feature_names]
        if extra:
            raise DataError(f"{path} line 1: column(s) {', '.join(map(repr, extra))} are not features of the model")
        from nn_core.prediction import read_numeric_csv

        X = read_numeric_csv(path, len(header))
        return X[:, [header.index(name) for name in self.feature_names]]
