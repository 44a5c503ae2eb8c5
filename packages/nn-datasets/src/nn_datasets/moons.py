"""Two interleaving half circles, as scikit-learn's ``make_moons`` (tutorials 003, 004)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from nn_core.contracts import Data, Dataset
from nn_datasets._schema import class_names, noise, object_schema, seed
from nn_datasets._shuffle import two_classes


def make_moons(n_samples: int = 200, noise: float = 0.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Same arrays as ``sklearn.datasets.make_moons(n_samples, shuffle=True,
    noise=noise or None, random_state=seed)``, without needing scikit-learn."""
    n_out = n_samples // 2
    n_in = n_samples - n_out
    outer_x = np.cos(np.linspace(0, np.pi, n_out))
    outer_y = np.sin(np.linspace(0, np.pi, n_out))
    inner_x = 1 - np.cos(np.linspace(0, np.pi, n_in))
    inner_y = 1 - np.sin(np.linspace(0, np.pi, n_in)) - 0.5
    return two_classes((outer_x, outer_y), (inner_x, inner_y), noise, seed)


class Moons(Dataset):
    """Two interleaving half moons: a small 2-D set that needs a nonlinear boundary."""

    name: ClassVar[str] = "moons"
    params_schema: ClassVar[dict[str, Any]] = object_schema(
        {
            "n_samples": {"type": "integer", "minimum": 1, "default": 200},
            "noise": noise(0.0, "standard deviation of Gaussian noise added to each coordinate; 0 for none"),
            "seed": seed(0),
        }
    )

    def __init__(self, *, n_samples: int, noise: float, seed: int) -> None:
        super().__init__(n_samples=n_samples, noise=noise, seed=seed)

    def load(self) -> Data:
        X, y = make_moons(**self.params)
        return Data(X=X, y=y, classes=class_names(2))
