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


def two_classes(
    outer: tuple[np.ndarray, np.ndarray], inner: tuple[np.ndarray, np.ndarray], noise: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Outer points (class 0) then inner ones (class 1), shuffled and noised in
    scikit-learn's order, so make_moons and make_circles arrays come out identical."""
    X = np.vstack([np.append(outer[0], inner[0]), np.append(outer[1], inner[1])]).T
    y = np.hstack([np.zeros(len(outer[0]), dtype=np.int64), np.ones(len(inner[0]), dtype=np.int64)])
    rs = np.random.RandomState(seed)
    X, y = shuffle_like_sklearn(X, y, rs)
    add_noise(X, noise, rs)
    return X, y
