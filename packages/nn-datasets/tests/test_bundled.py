"""Blobs match scikit-learn; bundled iris and digits equal scikit-learn's copies; tutorial 001's toy data."""

from __future__ import annotations

import numpy as np
import pytest

from nn_datasets.blobs import Blobs, make_blobs
from nn_datasets.digits import Digits
from nn_datasets.iris import Iris
from nn_datasets.sleep_study import WelchSleepStudy

sklearn_datasets = pytest.importorskip("sklearn.datasets")


@pytest.mark.parametrize(
    "n,centers,features,std,seed",
    [(100, 3, 2, 1.0, 0), (101, 4, 3, 0.5, 7), (5, 5, 1, 2.0, 1), (7, 3, 2, 0.0, 2), (1000, 10, 5, 1.5, 99)],
)
def test_blobs_are_bit_identical_to_sklearn(n, centers, features, std, seed):
    X_ref, y_ref = sklearn_datasets.make_blobs(
        n, features, centers=centers, cluster_std=std, shuffle=True, random_state=seed
    )
    data = Blobs(n_samples=n, centers=centers, n_features=features, cluster_std=std, seed=seed).load()
    assert np.array_equal(data.X, X_ref)
    assert np.array_equal(data.y, y_ref)
    assert data.X.shape == (n, features) and data.y.dtype == np.int64
    assert data.classes == tuple(str(i) for i in range(centers))


def test_blobs_give_the_first_blobs_the_remainder():
    _, y = make_blobs(11, 3, 2, 1.0, 0)
    assert np.bincount(y).tolist() == [4, 4, 3]


def test_iris_equals_sklearn_load_iris():
    ref = sklearn_datasets.load_iris()
    data = Iris().load()
    assert data.X.shape == (150, 4) and data.X.dtype == np.float64
    assert np.array_equal(data.X, ref.data)
    assert np.array_equal(data.y, ref.target)
    assert data.classes == tuple(ref.target_names) == ("setosa", "versicolor", "virginica")
    assert np.bincount(data.y).tolist() == [50, 50, 50]
    # the first flower of the UCI file, and the sums of each column
    assert data.X[0].tolist() == [5.1, 3.5, 1.4, 0.2]
    assert np.round(data.X.sum(axis=0), 6).tolist() == [876.5, 458.6, 563.7, 179.9]


def test_digits_equal_sklearn_load_digits():
    ref = sklearn_datasets.load_digits()
    data = Digits(scale=False).load()
    assert data.X.shape == (1797, 64) and data.X.dtype == np.float64
    assert np.array_equal(data.X, ref.data)
    assert np.array_equal(data.y, ref.target)
    assert data.y.dtype == np.int64
    assert data.classes == tuple("0123456789")
    assert data.X.max() == 16.0


def test_digits_scaled_to_unit_range():
    data = Digits(scale=True).load()
    ref = sklearn_datasets.load_digits()
    assert np.array_equal(data.X, ref.data / 16)
    assert data.X.max() == 1.0 and data.X.min() == 0.0


def test_welch_sleep_study_is_tutorial_001s_normalised_table():
    data = WelchSleepStudy().load()
    assert data.X.tolist() == [[0.3, 1.0], [0.5, 0.2], [1.0, 0.4]]
    assert data.y.tolist() == [0.75, 0.82, 0.93]
    assert data.y.dtype == np.float64 and data.classes is None
    X = np.array(([3, 5], [5, 1], [10, 2]), dtype=float)
    assert np.array_equal(data.X, X / np.amax(X, axis=0))
