"""The shuffle scikit-learn's generators use, so our draws match theirs."""

from __future__ import annotations

import numpy as np


def shuffle_like_sklearn(X: np.ndarray, y: np.ndarray, rs: np.random.RandomState) -> tuple[np.ndarray, np.ndarray]:
    """Permute rows as ``sklearn.utils.shuffle(X, y, random_state=rs)`` does.

    scikit-learn shuffles an index array in place with the generator and
    gathers with it; doing the same consumes the same random numbers.
    """
    indices = np.arange(len(X))
    rs.shuffle(indices)
    return X[indices], y[indices]


def add_noise(X: np.ndarray, noise: float, rs: np.random.RandomState) -> None:
    """Add ``N(0, noise)`` to every coordinate in place; no draw when noise is 0.

    Skipping the draw for 0 matches scikit-learn's ``noise=None``; its
    ``noise=0.0`` adds zeros, which gives equal arrays as well.
    """
    if noise:
        X += rs.normal(scale=noise, size=X.shape)
