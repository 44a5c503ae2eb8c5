"""Dropout and batch norm: training differs from evaluation, as documented."""

from __future__ import annotations

import numpy as np
import pytest
from numpy_specs import make_experiment

from nn_core.registry import Registry
from nn_numpy.layers import BatchNorm, Dropout


def built_dropout(rate: float, width: int = 4, seed: int = 0) -> Dropout:
    layer = Dropout(rate=rate)
    assert layer.build(width, np.float64) == width and layer.param_shapes == {}
    layer.bind({}, {})
    layer.initialize(np.random.RandomState(seed))
    return layer


def test_dropout_is_identity_at_evaluation() -> None:
    layer = built_dropout(0.5)
    X = np.arange(12.0).reshape(3, 4)
    assert layer.forward(X, training=False) is X


def test_dropout_inverted_scaling_in_training() -> None:
    layer = built_dropout(0.25, width=1000)
    X = np.ones((50, 1000))
    Y = layer.forward(X, training=True)
    kept = Y != 0
    np.testing.assert_allclose(Y[kept], 1 / 0.75)  # survivors scaled by 1/(1 − rate)
    assert kept.mean() == pytest.approx(0.75, abs=0.01)
    assert Y.mean() == pytest.approx(1.0, abs=0.02)  # expectation preserved
    dX = layer.backward(np.ones_like(X))
    np.testing.assert_array_equal(dX, Y)  # same mask, same scale


def test_dropout_masks_change_unless_frozen() -> None:
    layer = built_dropout(0.5)
    X = np.ones((8, 4))
    first = layer.forward(X, True).copy()
    second = layer.forward(X, True).copy()
    assert not np.array_equal(first, second)
    layer.freeze(True)
    held = layer.forward(X, True).copy()
    layer.forward(X, False)  # an evaluation in between does not drop the held mask
    np.testing.assert_array_equal(layer.forward(X, True), held)
    layer.freeze(False)
    assert not np.array_equal(layer.forward(X, True), held)


def test_dropout_masks_follow_the_seed() -> None:
    X = np.ones((8, 4))
    a = built_dropout(0.5, seed=3).forward(X, True).copy()
    b = built_dropout(0.5, seed=3).forward(X, True).copy()
    c = built_dropout(0.5, seed=4).forward(X, True).copy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_dropout_rate_zero_is_identity() -> None:
    layer = built_dropout(0.0)
    X = np.ones((2, 4))
    assert layer.forward(X, True) is X


def built_batch_norm(width: int = 3, momentum: float = 0.9) -> tuple[BatchNorm, dict[str, np.ndarray]]:
    layer = BatchNorm(momentum=momentum, eps=1e-5)
    layer.build(width, np.float64)
    params = {name: np.empty(shape) for name, shape in layer.param_shapes.items()}
    grads = {name: np.empty(shape) for name, shape in layer.param_shapes.items()}
    layer.bind(params, grads)
    layer.initialize(np.random.RandomState(0))
    return layer, params


def test_batch_norm_training_uses_batch_statistics() -> None:
    layer, params = built_batch_norm()
    params["weight"][...] = [1.0, 2.0, 0.5]
    params["bias"][...] = [0.0, 1.0, -1.0]
    X = np.random.default_rng(0).normal(5.0, 3.0, size=(64, 3))
    Y = layer.forward(X, training=True)
    xhat = (X - X.mean(0)) / np.sqrt(X.var(0) + 1e-5)
    np.testing.assert_allclose(Y, xhat * params["weight"] + params["bias"], rtol=1e-12)
    np.testing.assert_allclose(Y.mean(0), params["bias"], atol=1e-12)


def test_batch_norm_running_statistics_and_evaluation() -> None:
    # Keras/cs231n convention: running = 0.9·running + 0.1·batch.
    layer, _ = built_batch_norm(momentum=0.9)
    X = np.random.default_rng(1).normal(5.0, 3.0, size=(32, 3))
    layer.forward(X, training=True)
    np.testing.assert_allclose(layer.running_mean, 0.1 * X.mean(0), rtol=1e-12)
    np.testing.assert_allclose(layer.running_var, 0.9 * 1.0 + 0.1 * X.var(0), rtol=1e-12)
    # Evaluation normalizes with the running estimates, not the batch's own.
    Y = layer.forward(X, training=False)
    expected = (X - layer.running_mean) / np.sqrt(layer.running_var + 1e-5)
    np.testing.assert_allclose(Y, expected, rtol=1e-12)
    assert not np.allclose(Y, layer.forward(X, training=True))
    # A single sample at evaluation is fine (no batch statistics needed).
    assert np.isfinite(layer.forward(X[:1], training=False)).all()


def test_batch_norm_momentum_one_freezes_running_statistics() -> None:
    layer, _ = built_batch_norm(momentum=1.0)
    layer.forward(np.random.default_rng(2).normal(size=(8, 3)), training=True)
    np.testing.assert_array_equal(layer.running_mean, 0)
    np.testing.assert_array_equal(layer.running_var, 1)


def test_network_exposes_batch_norm_state_as_buffers(registry: Registry) -> None:
    X = np.random.default_rng(0).normal(size=(10, 2))
    y = np.arange(10) % 2
    layers = [
        {"type": "dense", "units": 3},
        {"type": "batch_norm"},
        {"type": "dropout", "rate": 0.2},
        {"type": "dense", "units": 1, "activation": "sigmoid"},
    ]
    experiment = make_experiment(registry, layers, "binary_cross_entropy", X=X, y=y)
    network = experiment.network
    assert set(network.parameters) == {
        "layers.0.weight",
        "layers.0.bias",
        "layers.1.weight",
        "layers.1.bias",
        "layers.3.weight",
        "layers.3.bias",
    }
    assert set(network.buffers) == {"layers.1.running_mean", "layers.1.running_var"}
    np.testing.assert_array_equal(network.parameters["layers.1.weight"], 1)
    np.testing.assert_array_equal(network.parameters["layers.1.bias"], 0)
    # Training moves the running statistics; assigning into a buffer restores it.
    network.train_step(experiment.splits["train"].X, experiment.splits["train"].Y, experiment.optimizer)
    assert not np.all(network.buffers["layers.1.running_mean"] == 0)
    network.buffers["layers.1.running_mean"][...] = 0
    np.testing.assert_array_equal(network.layers[1].running_mean, 0)
