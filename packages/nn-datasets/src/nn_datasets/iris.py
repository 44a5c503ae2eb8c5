"""Fisher's iris flowers, bundled (the copy scikit-learn ships), so no download is needed."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from nn_core.contracts import Data, Dataset
from nn_datasets._bundled import bundled_csv
from nn_datasets._schema import object_schema

CLASSES = ("setosa", "versicolor", "virginica")
FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")


def load_iris() -> tuple[np.ndarray, np.ndarray]:
    """``X (150, 4)`` in cm (sepal length, sepal width, petal length, petal width), ``y`` in 0..2."""
    _, rows = bundled_csv("iris.csv")
    X = np.array([row[:4] for row in rows], dtype=np.float64)
    y = np.array([CLASSES.index(row[4]) for row in rows], dtype=np.int64)
    return X, y


class Iris(Dataset):
    """Fisher's iris: 150 flowers, 4 measurements, 3 species (tutorial 001); bundled."""

    name: ClassVar[str] = "iris"
    params_schema: ClassVar[dict[str, Any]] = object_schema({})

    def __init__(self) -> None:
        super().__init__()

    def load(self) -> Data:
        X, y = load_iris()
        return Data(X=X, y=y, classes=CLASSES, extra={"feature_names": FEATURES})
