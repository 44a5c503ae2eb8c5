"""Welch Labs' sleep/study toy data (tutorial 001): three examples, a regression target."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from nn_core.contracts import Data, Dataset
from nn_datasets._schema import object_schema


def load_sleep_study() -> tuple[np.ndarray, np.ndarray]:
    """X = (hours sleeping, hours studying) / column max; y = test score / 100."""
    X = np.array(([3, 5], [5, 1], [10, 2]), dtype=float)
    y = np.array([75, 82, 93], dtype=float)
    return X / np.amax(X, axis=0), y / 100


class WelchSleepStudy(Dataset):
    """Hours slept and studied -> test score, 3 rows: tutorial 001's 2-3-1 net and gradient check."""

    name: ClassVar[str] = "welch_sleep_study"
    params_schema: ClassVar[dict[str, Any]] = object_schema({})

    def __init__(self) -> None:
        super().__init__()

    def load(self) -> Data:
        X, y = load_sleep_study()
        return Data(X=X, y=y, classes=None, extra={"feature_names": ("sleep", "study")})
