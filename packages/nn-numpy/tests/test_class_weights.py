"""class_weight on the cross-entropies: Keras's weighting, checked against scikit-learn's weighted log loss."""

from __future__ import annotations

import numpy as np
import pytest

from nn_core.errors import DataError
from nn_numpy.losses import BinaryCrossEntropy, CategoricalCrossEntropy


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_categorical_matches_sklearn_weighted_log_loss() -> None:
    sk = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, size=50)
    Z = rng.normal(size=(50, 3))
    A = _softmax(Z)
    weights = np.array([1.0, 4.0, 0.5])
    loss = CategoricalCrossEntropy(class_weight=list(weights))
    Y = loss.prepare_targets(y, 3, np.float64)
    expected = sk.log_loss(y, A, sample_weight=weights[y]) * weights[y].sum() / len(y)  # Keras divides by n
    for fused in (True, False):
        assert loss.value(Z, A, Y, fused) == pytest.approx(expected, rel=1e-10)


def test_binary_matches_sklearn_weighted_log_loss() -> None:
    sk = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, size=40)
    Z = rng.normal(size=(40, 1))
    A = 1 / (1 + np.exp(-Z))
    weights = np.array([0.3, 7.0])
    loss = BinaryCrossEntropy(class_weight=list(weights))
    Y = loss.prepare_targets(y, 1, np.float64)
    expected = sk.log_loss(y, A[:, 0], sample_weight=weights[y]) * weights[y].sum() / len(y)
    for fused in (True, False):
        assert loss.value(Z, A, Y, fused) == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("cls", [BinaryCrossEntropy, CategoricalCrossEntropy])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_gradient_is_the_derivative_of_the_weighted_value(cls: type, reduction: str) -> None:
    rng = np.random.default_rng(2)
    outputs = 1 if cls is BinaryCrossEntropy else 4
    classes = 2 if outputs == 1 else outputs
    y = rng.integers(0, classes, size=12)
    Z = rng.normal(size=(12, outputs))
    loss = cls(reduction=reduction, class_weight=list(rng.uniform(0.2, 5, size=classes)))
    Y = loss.prepare_targets(y, outputs, np.float64)

    def act(z: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp(-z)) if outputs == 1 else _softmax(z)

    analytic = loss.gradient(Z, act(Z), Y, True)
    numeric = np.zeros_like(Z)
    eps = 1e-6
    for index in np.ndindex(*Z.shape):
        up, down = Z.copy(), Z.copy()
        up[index] += eps
        down[index] -= eps
        numeric[index] = (loss.value(up, act(up), Y, True) - loss.value(down, act(down), Y, True)) / (2 * eps)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9)


def test_unit_weights_are_the_plain_loss() -> None:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 3, size=20)
    Z = rng.normal(size=(20, 3))
    plain, ones = CategoricalCrossEntropy(), CategoricalCrossEntropy(class_weight=[1, 1, 1])
    Y = plain.prepare_targets(y, 3, np.float64)
    assert ones.value(Z, _softmax(Z), Y, True) == plain.value(Z, _softmax(Z), Y, True)
    np.testing.assert_array_equal(ones.gradient(Z, _softmax(Z), Y, True), plain.gradient(Z, _softmax(Z), Y, True))


def test_one_weight_per_class() -> None:
    with pytest.raises(DataError, match="class_weight has 3 weights but the model has 2 classes"):
        BinaryCrossEntropy(class_weight=[1, 2, 3]).prepare_targets(np.array([0, 1]), 1, np.float64)
