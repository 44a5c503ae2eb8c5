"""A circle inside a circle, as scikit-learn's ``make_circles`` (tutorial 004)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from nn_core.contracts import Data, Dataset
from nn_datasets._schema import class_names, noise, object_schema, seed
from nn_datasets._shuffle import two_classes


def make_circles(
    n_samples: int = 400, noise: float = 0.0, factor: float = 0.8, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Same arrays as ``sklearn.datasets.make_circles(n_samples, shuffle=True,
    noise=noise or None, random_state=seed, factor=factor)``."""
    n_out = n_samples // 2
    n_in = n_samples - n_out
    # endpoint=False so the first point is not also the last
    angle_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    angle_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    outer_x = np.cos(angle_out)
    outer_y = np.sin(angle_out)
    inner_x = np.cos(angle_in) * factor
    inner_y = np.sin(angle_in) * factor
    return two_classes((outer_x, outer_y), (inner_x, inner_y), noise, seed)


class Circles(Dataset):
    """Two concentric circles (class 1 inside): radially separable, not linearly."""

    name: ClassVar[str] = "circles"
    params_schema: ClassVar[dict[str, Any]] = object_schema(
        {
            "n_samples": {"type": "integer", "minimum": 1, "default": 400},
            "noise": noise(0.0, "standard deviation of Gaussian noise added to each coordinate; 0 for none"),
            "factor": {
                "type": "number",
                "minimum": 0,
                "exclusiveMaximum": 1,
                "default": 0.8,
                "description": "radius of the inner circle relative to the outer one",
            },
            "seed": seed(0),
        }
    )

    def __init__(self, *, n_samples: int, noise: float, factor: float, seed: int) -> None:
        super().__init__(n_samples=n_samples, noise=noise, factor=factor, seed=seed)

    def load(self) -> Data:
        X, y = make_circles(**self.params)
        return Data(X=X, y=y, classes=class_names(2))
