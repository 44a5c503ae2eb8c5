"""nn-core's own backend-agnostic components, registered like any plugin's:
the accuracy metric, the inline dataset, and every initializer and schedule
(host arithmetic, the same for every backend)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from nn_core.contracts import Data, Dataset, Metric
from nn_core.errors import DataError
from nn_core.hookspecs import hookimpl


def is_classification(y: np.ndarray) -> bool:
    """Integer labels ``(n,)`` mark a classification task; float or 2-D targets, regression."""
    return y.ndim == 1 and np.issubdtype(y.dtype, np.integer)


def predicted_labels(proba: np.ndarray) -> np.ndarray:
    """Class per row: threshold 0.5 for one output unit, else the arg-max."""
    if proba.shape[1] == 1:
        return (proba[:, 0] > 0.5).astype(np.int64)
    return proba.argmax(axis=1)


class Accuracy(Metric):
    """Fraction of samples whose predicted class equals the label (classification data only)."""

    name: ClassVar[str] = "accuracy"

    def compute(self, y_true: np.ndarray, proba: np.ndarray) -> float:
        # Regression targets have no classes: a number here would look real and mean nothing.
        if not is_classification(y_true):
            raise DataError(
                f"accuracy needs integer class labels, but the targets are regression values "
                f"({y_true.dtype}, shape {y_true.shape}); remove 'accuracy' from metrics"
            )
        return float(np.mean(predicted_labels(proba) == y_true))


class Inline(Dataset):
    """Data written in the spec itself, for tiny examples like the Welch toy."""

    name: ClassVar[str] = "inline"
    params_schema: ClassVar[dict] = {
        "type": "object",
        "properties": {
            "features": {
                "type": "array",
                "minItems": 1,
                "items": {"type": "array", "minItems": 1, "items": {"type": "number"}},
                "description": "one list of numbers per sample",
            },
            "targets": {
                "type": "array",
                "minItems": 1,
                "items": {"anyOf": [{"type": "number"}, {"type": "array", "items": {"type": "number"}}]},
                "description": "a class index or value (or list of values) per sample",
            },
            "classes": {"type": "array", "items": {"type": "string"}, "description": "class names, by index"},
        },
        "required": ["features", "targets"],
    }

    def __init__(self, *, features: list, targets: list, classes: list | None = None) -> None:
        self.features, self.targets, self.classes = features, targets, classes

    def load(self) -> Data:
        widths = {len(row) for row in self.features}
        if len(widths) != 1:
            raise DataError(f"inline dataset: feature rows have different lengths {sorted(widths)}")
        if len(self.features) != len(self.targets):
            raise DataError(f"inline dataset: {len(self.features)} feature rows but {len(self.targets)} targets")
        X = np.asarray(self.features, dtype=np.float64)
        try:
            y = np.asarray(self.targets, dtype=np.float64)
        except ValueError:
            raise DataError("inline dataset: targets must be all numbers or all lists of the same length") from None
        if not (np.isfinite(X).all() and np.isfinite(y).all()):
            raise DataError("inline dataset: features and targets must be finite numbers (no NaN or infinity)")
        # Whole-number targets written as integers (or with class names) are class labels;
        # anything written as floats is a regression target.
        integral = all(isinstance(t, int) and not isinstance(t, bool) for t in self.targets)
        if y.ndim == 1 and (integral or (self.classes is not None and np.all(np.mod(y, 1) == 0))):
            y = y.astype(np.int64)
        return Data(X, y, tuple(self.classes) if self.classes else None)


@hookimpl
def nn_contract_version() -> int:
    from nn_core.contracts import CONTRACT_VERSION

    return CONTRACT_VERSION


@hookimpl
def nn_components() -> list[type]:
    from nn_core.arrays_dataset import Arrays
    from nn_core.initializers import INITIALIZERS
    from nn_core.metrics import METRICS
    from nn_core.plateau import Plateau
    from nn_core.schedules import SCHEDULES

    return [Accuracy, *METRICS, Inline, Arrays, *INITIALIZERS, *SCHEDULES, Plateau]
