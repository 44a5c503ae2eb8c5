"""nn-core's own backend-agnostic components, registered like any plugin's."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from nn_core.contracts import Metric
from nn_core.hookspecs import hookimpl


def predicted_labels(proba: np.ndarray) -> np.ndarray:
    """Class per row: threshold 0.5 for one output unit, else the arg-max."""
    if proba.shape[1] == 1:
        return (proba[:, 0] > 0.5).astype(np.int64)
    return proba.argmax(axis=1)


class Accuracy(Metric):
    """Fraction of samples whose predicted class equals the label."""

    name: ClassVar[str] = "accuracy"

    def compute(self, y_true: np.ndarray, proba: np.ndarray) -> float:
        labels = y_true.argmax(axis=1) if y_true.ndim == 2 else y_true
        return float(np.mean(predicted_labels(proba) == labels))


@hookimpl
def nn_components() -> list[type]:
    return [Accuracy]
