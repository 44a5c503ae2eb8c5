"""Synthetic 2-D sets: spirals reproduce tutorial 000, moons and circles match scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest

from nn_datasets.circles import Circles, make_circles
from nn_datasets.moons import Moons, make_moons
from nn_datasets.spirals import Spirals, make_spirals

sklearn_datasets = pytest.importorskip("sklearn.datasets")


def tutorial_spirals(N: int = 400, K: int = 2, noise: float = 0.2, seed: int = 42):
    """Tutorial 000's code, literally (global seed, class-major loop)."""
    np.random.seed(seed)
    D = 2
    X = np.zeros((N * K, D))
    Y = np.zeros(N * K, dtype="int")
    for j in range(K):
        ix = range(N * j, N * (j + 1))
        r = np.linspace(0, 1, N)  # radius
        t = np.linspace(j * 4.2, (j + 1) * 4.2, N) + np.random.randn(N) * noise  # theta
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        Y[ix] = 0 if j % 2 == 0 else 1
    return X, Y


def spirals_defaults() -> dict:
    return {"points_per_class": 400, "classes": 2, "noise": 0.2, "seed": 42}


def test_spirals_defaults_reproduce_tutorial_000_bit_for_bit():
    data = Spirals(**spirals_defaults()).load()
    X_ref, Y_ref = tutorial_spirals()
    assert data.X.shape == (800, 2) and data.X.dtype == np.float64
    assert data.y.dtype == np.int64
    assert np.array_equal(data.X, X_ref)
    assert np.array_equal(data.y, Y_ref)
    assert data.classes == ("0", "1")
    # first point of each arm has radius 0; the last has radius 1
    assert np.array_equal(data.X[0], [0.0, 0.0])
    assert np.hypot(*data.X[399]) == pytest.approx(1.0)
    assert np.bincount(data.y).tolist() == [400, 400]


def test_spirals_do_not_touch_the_global_numpy_seed():
    np.random.seed(7)
    expected = np.random.rand()
    np.random.seed(7)
    make_spirals()
    assert np.random.rand() == expected


@pytest.mark.parametrize("N,K,noise,seed", [(5, 3, 0.5, 0), (100, 4, 0.0, 3), (1, 2, 0.2, 42)])
def test_spirals_with_more_classes_follow_the_same_loop(N, K, noise, seed):
    X, y = make_spirals(N, K, noise, seed)
    np.random.seed(seed)
    X_ref = np.zeros((N * K, 2))
    for j in range(K):
        r = np.linspace(0, 1, N)
        t = np.linspace(j * 4.2, (j + 1) * 4.2, N) + np.random.randn(N) * noise
        X_ref[N * j : N * (j + 1)] = np.c_[r * np.sin(t), r * np.cos(t)]
    assert np.array_equal(X, X_ref)
    assert np.array_equal(y, np.repeat(np.arange(K), N))
    data = Spirals(points_per_class=N, classes=K, noise=noise, seed=seed).load()
    assert data.classes == tuple(str(k) for k in range(K))


MOONS_CASES = [(200, 0.2, 0), (300, 0.22, 1), (201, 0.1, 5), (1, 0.0, 0), (7, 0.0, 3), (1000, 0.5, 123)]


@pytest.mark.parametrize("n,noise,seed", MOONS_CASES)
def test_moons_are_bit_identical_to_sklearn(n, noise, seed):
    X_ref, y_ref = sklearn_datasets.make_moons(n, shuffle=True, noise=noise, random_state=seed)
    data = Moons(n_samples=n, noise=noise, seed=seed).load()
    assert np.array_equal(data.X, X_ref)
    assert np.array_equal(data.y, y_ref)
    assert data.y.dtype == np.int64 and data.X.dtype == np.float64
    assert data.classes == ("0", "1")


def test_moons_without_noise_equal_sklearn_noise_none_exactly():
    X_ref, y_ref = sklearn_datasets.make_moons(9, noise=None, random_state=2)
    X, y = make_moons(9, 0.0, 2)
    assert X.tobytes() == np.ascontiguousarray(X_ref).tobytes()
    assert np.array_equal(y, y_ref)
    # 5 points on the outer moon (label 0) and 4 on the inner one for an odd count
    assert np.bincount(y).tolist() == [4, 5]


def test_moons_tutorial_003_first_rows():
    X, y = make_moons(200, 0.2, 0)
    X_ref, _ = sklearn_datasets.make_moons(200, noise=0.2, random_state=0)
    assert X[:3].tolist() == X_ref[:3].tolist()
    assert X.shape == (200, 2) and np.bincount(y).tolist() == [100, 100]


CIRCLES_CASES = [
    (400, 0.18, 0.005, 1),  # tutorial 004's animation data
    (400, 0.0, 0.8, 0),
    (101, 0.05, 0.5, 9),
    (1, 0.1, 0.3, 0),
    (2, 0.0, 0.0, 4),
    (999, 0.3, 0.99, 77),
]


@pytest.mark.parametrize("n,noise,factor,seed", CIRCLES_CASES)
def test_circles_are_bit_identical_to_sklearn(n, noise, factor, seed):
    X_ref, y_ref = sklearn_datasets.make_circles(n, shuffle=True, noise=noise, random_state=seed, factor=factor)
    data = Circles(n_samples=n, noise=noise, factor=factor, seed=seed).load()
    assert np.array_equal(data.X, X_ref)
    assert np.array_equal(data.y, y_ref)
    assert data.classes == ("0", "1")


def test_circles_without_noise_lie_on_the_two_radii():
    X, y = make_circles(11, 0.0, 0.25, 0)
    radii = np.hypot(X[:, 0], X[:, 1])
    assert np.allclose(radii[y == 0], 1.0) and np.allclose(radii[y == 1], 0.25)
    assert np.bincount(y).tolist() == [5, 6]
    X_ref, _ = sklearn_datasets.make_circles(11, noise=None, random_state=0, factor=0.25)
    assert X.tobytes() == np.ascontiguousarray(X_ref).tobytes()
