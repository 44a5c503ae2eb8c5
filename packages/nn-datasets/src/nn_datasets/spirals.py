"""Interleaved planar spirals, the dataset of tutorial 000 (after cs231n)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from nn_core.contracts import Data, Dataset
from nn_datasets._schema import class_names, noise, object_schema, seed


def make_spirals(
    points_per_class: int = 400, classes: int = 2, noise: float = 0.2, seed: int = 42
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``X (points_per_class*classes, 2)`` and labels ``y``, class by class.

    Exactly the tutorial's loop: arm ``j`` has radius ``linspace(0, 1, N)`` and
    angle ``linspace(4.2j, 4.2(j+1), N)`` plus ``noise``-scaled normal draws,
    taken from ``RandomState(seed)`` in class order, so the defaults reproduce
    ``np.random.seed(42)`` followed by the tutorial's code bit for bit.
    """
    rs = np.random.RandomState(seed)
    n = points_per_class
    X = np.zeros((n * classes, 2))
    y = np.zeros(n * classes, dtype=np.int64)
    for j in range(classes):
        ix = slice(n * j, n * (j + 1))
        r = np.linspace(0.0, 1.0, n)  # radius
        t = np.linspace(j * 4.2, (j + 1) * 4.2, n) + rs.randn(n) * noise  # angle
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        y[ix] = j
    return X, y


class Spirals(Dataset):
    """Interleaved planar spirals, one arm per class: not linearly separable (tutorial 000)."""

    name: ClassVar[str] = "spirals"
    params_schema: ClassVar[dict[str, Any]] = object_schema(
        {
            "points_per_class": {"type": "integer", "minimum": 1, "default": 400},
            "classes": {"type": "integer", "minimum": 2, "default": 2},
            "noise": noise(0.2, "standard deviation of the normal noise added to each angle"),
            "seed": seed(42),
        }
    )

    def __init__(self, *, points_per_class: int, classes: int, noise: float, seed: int) -> None:
        super().__init__(points_per_class=points_per_class, classes=classes, noise=noise, seed=seed)

    def load(self) -> Data:
        X, y = make_spirals(**self.params)
        return Data(X=X, y=y, classes=class_names(self.params["classes"]))
