"""Loss values and the stability of the fused cross-entropies."""

from __future__ import annotations

import numpy as np
import pytest
from numpy_specs import make_experiment

from nn_core.registry import Registry
from nn_numpy.losses import BinaryCrossEntropy, CategoricalCrossEntropy, MeanSquaredError, SumSquaredError


def test_sum_squared_error_is_welchs_cost() -> None:
    A = np.array([[0.7], [0.9], [0.8]])
    Y = np.array([[0.75], [0.82], [0.93]])
    # ½·(0.05² + 0.08² + 0.13²) = ½·(0.0025 + 0.0064 + 0.0169) = 0.0129
    assert SumSquaredError().value(A, A, Y, False) == pytest.approx(0.0129)
    np.testing.assert_allclose(SumSquaredError().gradient(A, A, Y, False), A - Y)  # not divided by m


def test_mse_is_averaged() -> None:
    A, Y = np.array([[1.0, 2.0]]), np.array([[0.0, 0.0]])
    assert MeanSquaredError().value(A, A, Y, False) == pytest.approx(2.5)


def test_binary_cross_entropy_fused_matches_unfused_and_survives_large_logits() -> None:
    from scipy.special import expit

    Z = np.array([[-3.0], [0.5], [2.0]])
    Y = np.array([[0.0], [1.0], [1.0]])
    A = expit(Z)
    loss = BinaryCrossEntropy()
    assert loss.value(Z, A, Y, True) == pytest.approx(loss.value(Z, A, Y, False), rel=1e-12)
    big = np.array([[800.0], [-800.0]], dtype=np.float32)
    wrong = np.array([[0.0], [1.0]], dtype=np.float32)
    value = loss.value(big, expit(big), wrong, True)
    assert value == pytest.approx(800.0)  # exact from logits where log(σ) would be log(0)
    grad = loss.gradient(big, expit(big), wrong, True)
    assert grad.dtype == np.float32 and np.isfinite(grad).all()


def test_categorical_cross_entropy_stable_and_label_forms() -> None:
    loss = CategoricalCrossEntropy()
    Z = np.array([[1000.0, 0.0, -1000.0], [0.0, 0.0, 0.0]])
    Y = loss.prepare_targets(np.array([1, 2]), 3, np.float64)
    np.testing.assert_array_equal(Y, [[0, 1, 0], [0, 0, 1]])
    np.testing.assert_array_equal(loss.prepare_targets(Y, 3, np.float64), Y)  # one-hot kept
    A = np.exp(Z - Z.max(1, keepdims=True))
    A /= A.sum(1, keepdims=True)
    assert loss.value(Z, A, Y, True) == pytest.approx((1000 + np.log(3)) / 2)


def test_fusion_needs_the_matching_output(registry: Registry) -> None:
    sigmoid = [{"type": "dense", "units": 1, "activation": "sigmoid"}]
    assert make_experiment(registry, sigmoid, "binary_cross_entropy").network.fused
    assert not make_experiment(registry, sigmoid, "mse").network.fused
    tanh = [{"type": "dense", "units": 1, "activation": "tanh"}]
    assert not make_experiment(registry, tanh, "sum_squared_error").network.fused
