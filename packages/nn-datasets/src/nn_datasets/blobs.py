"""Isotropic Gaussian blobs, as scikit-learn's ``make_blobs`` with integer ``centers``."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from nn_core.contracts import Data, Dataset
from nn_datasets._schema import class_names, object_schema, seed
from nn_datasets._shuffle import shuffle_like_sklearn

CENTER_BOX = (-10.0, 10.0)


def make_blobs(
    n_samples: int = 100,
    centers: int = 3,
    n_features: int = 2,
    cluster_std: float = 1.0,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Same arrays as ``sklearn.datasets.make_blobs(n_samples, n_features,
    centers=centers, cluster_std=cluster_std, shuffle=True, random_state=seed)``.

    Centers are drawn uniformly in ``[-10, 10)`` per feature; the first
    ``n_samples % centers`` blobs get one extra point.
    """
    rs = np.random.RandomState(seed)
    means = rs.uniform(CENTER_BOX[0], CENTER_BOX[1], size=(centers, n_features))
    counts = [n_samples // centers] * centers
    for i in range(n_samples % centers):
        counts[i] += 1
    X = np.empty((n_samples, n_features), dtype=np.float64)
    y = np.empty(n_samples, dtype=np.int64)
    start = 0
    for i, n in enumerate(counts):
        X[start : start + n] = rs.normal(loc=means[i], scale=cluster_std, size=(n, n_features))
        y[start : start + n] = i
        start += n
    return shuffle_like_sklearn(X, y, rs)


class Blobs(Dataset):
    """Gaussian blobs around random centers: the simplest multi-class sanity check."""

    name: ClassVar[str] = "blobs"
    params_schema: ClassVar[dict[str, Any]] = object_schema(
        {
            "n_samples": {"type": "integer", "minimum": 1, "default": 100},
            "centers": {
                "type": "integer",
                "minimum": 1,
                "default": 3,
                "description": "number of blobs (classes)",
            },
            "n_features": {"type": "integer", "minimum": 1, "default": 2},
            "cluster_std": {
                "type": "number",
                "minimum": 0,
                "default": 1.0,
                "description": "standard deviation of each blob",
            },
            "seed": seed(0),
        }
    )

    def __init__(self, *, n_samples: int, centers: int, n_features: int, cluster_std: float, seed: int) -> None:
        super().__init__(
            n_samples=n_samples, centers=centers, n_features=n_features, cluster_std=cluster_std, seed=seed
        )

    def load(self) -> Data:
        X, y = make_blobs(**self.params)
        return Data(X=X, y=y, classes=class_names(self.params["centers"]))
