"""Stratified, seeded k-fold indices."""

from __future__ import annotations

import numpy as np
import pytest

from nn_core.errors import DataError
from nn_sweep.folds import fold_indices, train_dev


def test_folds_partition_the_rows_and_keep_class_proportions() -> None:
    y = np.repeat(np.arange(3), [30, 60, 9])
    folds = fold_indices(y, 3, seed=4)
    assert np.array_equal(np.sort(np.concatenate(folds)), np.arange(len(y)))
    assert [len(f) for f in folds] == [33, 33, 33]
    for fold in folds:
        assert np.bincount(y[fold], minlength=3).tolist() == [10, 20, 3]
    assert all(np.array_equal(a, b) for a, b in zip(folds, fold_indices(y, 3, seed=4), strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(folds, fold_indices(y, 3, seed=5), strict=True))


def test_train_and_dev_of_a_fold_are_disjoint_and_complete() -> None:
    y = np.arange(20) % 2
    train, dev = train_dev(y, 1, 4, seed=0)
    assert len(dev) == 5 and len(train) == 15
    assert not set(train) & set(dev) and set(train) | set(dev) == set(range(20))


def test_more_folds_than_samples_is_an_error() -> None:
    with pytest.raises(DataError, match="cv.folds is 5 but the data hold only 3 samples"):
        fold_indices(np.arange(3), 5, 0)
