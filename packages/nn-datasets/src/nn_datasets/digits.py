"""scikit-learn's 8x8 handwritten digits (UCI), bundled: a small MNIST stand-in."""

from __future__ import annotations

import io
from typing import Any, ClassVar

import numpy as np

from nn_core.contracts import Data, Dataset
from nn_datasets._bundled import bundled_text
from nn_datasets._schema import class_names, object_schema

MAX_PIXEL = 16.0  # pixel values are counts 0..16 of a 4x4 block of a 32x32 bitmap


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """``X (1797, 64)`` of integer pixel values 0..16 as float64, ``y`` the digits 0..9."""
    text = bundled_text("digits.csv.gz")
    table = np.loadtxt(io.StringIO(text), delimiter=",", skiprows=1, dtype=np.int64, ndmin=2)
    return table[:, 1:].astype(np.float64), table[:, 0].copy()


class Digits(Dataset):
    """8x8 images of handwritten digits (1,797 of them): MNIST in miniature, bundled."""

    name: ClassVar[str] = "digits"
    params_schema: ClassVar[dict[str, Any]] = object_schema(
        {
            "scale": {
                "type": "boolean",
                "default": False,
                "description": "divide pixels by 16 to get [0, 1]; false keeps scikit-learn's 0..16",
            }
        }
    )

    def __init__(self, *, scale: bool) -> None:
        super().__init__(scale=scale)

    def load(self) -> Data:
        X, y = load_digits()
        if self.params["scale"]:
            X /= MAX_PIXEL
        return Data(X=X, y=y, classes=class_names(10))
