"""Stratified, seeded k-fold cross-validation indices.

Each class's rows are shuffled with ``default_rng([seed, 11])`` and dealt
round-robin to the folds, so every fold holds every class in (nearly) its
overall proportion, and the same seed gives the same folds on every worker.
Regression targets (floats, or 2-D) are shuffled as one group.
"""

from __future__ import annotations

import numpy as np

from nn_core.errors import DataError


def fold_indices(y: np.ndarray, folds: int, seed: int) -> list[np.ndarray]:
    """``folds`` disjoint, sorted index arrays covering ``range(len(y))``."""
    n = len(y)
    if folds > n:
        raise DataError(f"cv.folds is {folds} but the data hold only {n} samples")
    rng = np.random.default_rng([seed, 11])
    stratify = y.ndim == 1 and np.issubdtype(y.dtype, np.integer)
    groups = [np.flatnonzero(y == c) for c in np.unique(y)] if stratify else [np.arange(n)]
    parts: list[list[np.ndarray]] = [[] for _ in range(folds)]
    start = 0
    for group in groups:
        shuffled = rng.permutation(group)
        for k in range(folds):
            # continue the deal where the previous class stopped, so fold sizes differ by at most one
            parts[(start + k) % folds].append(shuffled[k::folds])
        start += len(group)
    return [np.sort(np.concatenate(p)) for p in parts]


def train_dev(y: np.ndarray, fold: int, folds: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Row indices (train, dev) of fold ``fold``: dev is that fold, train the others."""
    every = fold_indices(y, folds, seed)
    dev = every[fold]
    train = np.sort(np.concatenate([p for k, p in enumerate(every) if k != fold]))
    return train, dev
