"""Targets a loss cannot take are data or spec errors, found before training.

A loss says what it takes with ``Loss.targets`` (``"binary"``: labels 0 and 1
or probabilities; ``"classes"``: one integer label per sample, one output unit
per class; ``"values"``: any real numbers; ``None``: unchecked). Without this
check binary cross-entropy trains on labels 0..2 and reports a negative loss,
and an output layer wider than the classes trains units no label ever asks for.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn_core.contracts import Data
from nn_core.errors import DataError


def column_targets(y: np.ndarray, outputs: int, dtype: Any, loss: str) -> np.ndarray:
    """Targets shaped (n, outputs) as numpy in ``dtype``: one-hot for class labels, columns for values.

    Backend-agnostic, so every backend's losses prepare targets the same way (and a backend hands
    the result to its own array type); ``loss`` names the loss in the one-line errors.
    """
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == outputs:
        return y.astype(dtype)
    if y.ndim == 1 and outputs == 1:
        return y.astype(dtype).reshape(-1, 1)
    if _is_labels(y):
        if y.size and (y.min() < 0 or y.max() >= outputs):
            raise DataError(
                f"{loss}: labels range over {y.min()}..{y.max()} but the output layer has {outputs} "
                f"units; give the last layer one unit per class"
            )
        onehot = np.zeros((len(y), outputs), dtype=dtype)
        onehot[np.arange(len(y)), y] = 1
        return onehot
    raise DataError(f"{loss}: targets of shape {y.shape} do not fit an output layer of {outputs} units")


def _is_labels(y: np.ndarray) -> bool:
    return y.ndim == 1 and np.issubdtype(y.dtype, np.integer)


def check_targets(spec: Any, data: Data, outputs: int, kind: str | None) -> None:
    """Raise :class:`DataError` naming the loss, the spec path and the data's labels when they do not fit."""
    y = np.asarray(data.y)
    loss = f"loss {spec.loss.type}"
    last = f"model.layers[{len(spec.model.layers) - 1}]"
    if y.dtype.kind == "f" and y.size and not np.isfinite(y).all():
        raise DataError(f"the data's targets hold NaN or infinite values; {loss} cannot learn from them")
    if _is_labels(y) and y.size:
        low, high = int(y.min()), int(y.max())
        if low < 0:
            raise DataError(f"the data's class labels include {low}; labels are 0, 1, 2, ...")
        if data.classes is not None and high >= len(data.classes):
            raise DataError(
                f"the dataset names {len(data.classes)} classes but its labels go up to {high}; "
                "every label needs a class name"
            )
    if kind not in ("binary", "classes") and _is_labels(y) and data.classes is not None and y.size:
        # Class labels make a classifier whatever the loss: its model file must name as many classes as it
        # has output units (one unit stands for two), or nn cannot load what it wrote.
        count = len(data.classes)
        if outputs != count and not (outputs == 1 and count == 2):
            raise DataError(
                f"{last} has {outputs} output unit{'s' * (outputs != 1)} but the data has {count} classes, "
                f"so {loss} would train a classifier nn cannot load: give the last layer one unit per class "
                f"({last}.units: {count}), or make the label column numbers (label_type: number)"
            )
    if kind not in ("binary", "classes") or not y.size:
        return
    if y.ndim == 2:  # one-hot rows or probabilities, one column per output unit
        if y.shape[1] != outputs:
            raise DataError(f"{last} has {outputs} output units but the targets have {y.shape[1]} columns")
        if kind in ("binary", "classes") and (y.min() < 0 or y.max() > 1):
            raise DataError(f"{loss} takes targets between 0 and 1, but the data's range over {y.min():g}..{y.max():g}")
        return
    if kind == "classes" and not _is_labels(y):
        raise DataError(
            f"{loss} takes class labels, but the data's targets are {y.dtype} numbers "
            "(a regression dataset? use mse, or make the label column classes)"
        )
    if not _is_labels(y):  # binary with probabilities as targets
        if y.min() < 0 or y.max() > 1:
            raise DataError(f"{loss} takes targets between 0 and 1, but the data's range over {y.min():g}..{y.max():g}")
        return
    count = len(data.classes) if data.classes is not None else int(y.max()) + 1
    present = np.unique(y)
    if len(present) < 2:
        only = data.classes[present[0]] if data.classes is not None else str(present[0])
        raise DataError(f"the data holds a single class ({only!r}): a classifier needs samples of at least two")
    if kind == "binary" and outputs == 1:
        if count > 2:
            raise DataError(
                f"{loss} takes labels 0 and 1, but the data has {count} classes (labels 0..{count - 1}): "
                f"use categorical_cross_entropy with {count} output units and softmax"
            )
        return
    if outputs != count:
        raise DataError(
            f"{last} has {outputs} output units but the data has {count} classes: "
            f"give the last layer one unit per class ({last}.units: {count})"
        )
