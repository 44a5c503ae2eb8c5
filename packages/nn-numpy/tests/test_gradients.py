"""Backprop against central differences (nn_core.gradcheck), in float64.

Every layer, activation, loss and regularizer is checked inside a small
network, not only alone: dense → batch_norm → dropout (masks frozen by the
check) → dense, so each derivative is also exercised with its neighbours'.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from numpy_specs import make_experiment, toy_classification

from nn_core.gradcheck import check_gradients
from nn_core.registry import Registry

THRESHOLD = 1e-7
ACTIVATIONS = ["identity", "sigmoid", "tanh", "relu", "softmax", "leaky_relu", "elu", "softplus", "gelu"]
NORMAL = {"type": "normal", "std": 1.0}


def dense(units: int, activation: Any = "identity", **extra: Any) -> dict[str, Any]:
    # Unit-variance weights and biases: gradients well above rounding noise.
    return {
        "type": "dense",
        "units": units,
        "activation": activation,
        "init": NORMAL,
        "bias_init": NORMAL,
        **extra,
    }


def hidden(activation: Any) -> list[dict[str, Any]]:
    return [dense(5, activation), {"type": "batch_norm"}, {"type": "dropout", "rate": 0.3}]


def assert_passes(experiment: Any, samples: int = 8) -> None:
    result = check_gradients(experiment, samples=samples)
    assert result.passed, result.parameters
    assert result.max_relative_error < THRESHOLD
    assert set(result.parameters) == set(experiment.network.parameters)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_activation_in_network(registry: Registry, activation: str) -> None:
    X, y = toy_classification()
    layers = [*hidden(activation), dense(4, activation), dense(3, "softmax")]
    experiment = make_experiment(
        registry,
        layers,
        "categorical_cross_entropy",
        X=X,
        y=y,
        model_regularizer={"type": "l2", "lambda": 0.1},
    )
    assert_passes(experiment)


@pytest.mark.parametrize("alpha", [0.2, 1.0])
@pytest.mark.parametrize("activation", ["leaky_relu", "elu"])
def test_activation_parameters(registry: Registry, activation: str, alpha: float) -> None:
    X, y = toy_classification()
    act = {"type": activation, "alpha": alpha}
    experiment = make_experiment(registry, [dense(6, act), dense(1, act)], "mse", X=X, y=y.astype(float))
    assert_passes(experiment)


LOSS_CASES = {
    "bce_fused_sigmoid": ("binary_cross_entropy", "sigmoid", 2, "labels"),
    "cce_fused_softmax": ("categorical_cross_entropy", "softmax", 3, "labels"),
    "cce_one_hot": ("categorical_cross_entropy", "softmax", 3, "one_hot"),
    "mse_identity": ("mse", "identity", 2, "values"),
    "mse_tanh": ("mse", "tanh", 2, "values"),
    "sse_sigmoid": ("sum_squared_error", "sigmoid", 1, "values"),
    "sse_identity": ("sum_squared_error", "identity", 3, "values"),
}


def targets(kind: str, y: np.ndarray, outputs: int) -> np.ndarray:
    if kind == "labels":
        return y % max(outputs, 2)
    if kind == "one_hot":
        return np.eye(outputs)[y % outputs]
    rng = np.random.default_rng(7)
    values = rng.uniform(0.1, 0.9, size=(len(y), outputs))
    return values[:, 0] if outputs == 1 else values


@pytest.mark.parametrize("case", sorted(LOSS_CASES))
def test_loss_in_network(registry: Registry, case: str) -> None:
    loss, output, outputs, kind = LOSS_CASES[case]
    X, y = toy_classification()
    units = 1 if loss == "binary_cross_entropy" else outputs
    layers = [*hidden("tanh"), dense(units, output)]
    experiment = make_experiment(registry, layers, loss, X=X, y=targets(kind, y, outputs))
    assert experiment.network.fused == (loss.endswith("cross_entropy"))
    assert_passes(experiment)


@pytest.mark.parametrize(
    "loss, output, outputs",
    [("binary_cross_entropy", "sigmoid", 1), ("categorical_cross_entropy", "softmax", 3)],
)
def test_cross_entropy_unfused(registry: Registry, loss: str, output: str, outputs: int) -> None:
    """The general path (dL/dA through the activation's Jacobian) is exact too."""
    X, y = toy_classification()
    experiment = make_experiment(registry, [*hidden("tanh"), dense(outputs, output)], loss, X=X, y=y % max(outputs, 2))
    network = experiment.network
    network.fused = False
    network.layers[-1].fused_output = False
    assert_passes(experiment)


@pytest.mark.parametrize("regularizer", [{"type": "l2", "lambda": 0.3}, {"type": "l1", "lambda": 0.3}])
def test_regularizer_in_network(registry: Registry, regularizer: dict[str, Any]) -> None:
    X, y = toy_classification()
    layers = [*hidden("relu"), dense(3, "softmax")]
    experiment = make_experiment(registry, layers, "categorical_cross_entropy", X=X, y=y, model_regularizer=regularizer)
    assert_passes(experiment)


def test_layer_regularizer_overrides_model(registry: Registry) -> None:
    X, y = toy_classification()
    layers = [
        dense(5, "tanh", regularizer={"type": "l1", "lambda": 0.5}),
        {"type": "batch_norm"},
        dense(3, "softmax"),
    ]
    experiment = make_experiment(
        registry,
        layers,
        "categorical_cross_entropy",
        X=X,
        y=y,
        model_regularizer={"type": "l2", "lambda": 0.2},
    )
    network = experiment.network
    kinds = [type(reg).__name__ for reg, _, _ in network.penalties]
    assert kinds == ["L1", "L2"]  # layer 0 its own l1; the last dense the model's l2; never batch_norm
    assert_passes(experiment)


@pytest.mark.parametrize(
    "layers",
    [
        pytest.param([dense(4, "tanh", use_bias=False), dense(3, "softmax", use_bias=False)], id="dense-no-bias"),
        pytest.param([{"type": "batch_norm"}, dense(3, "softmax")], id="batch_norm-first"),
        pytest.param([{"type": "dropout", "rate": 0.5}, dense(3, "softmax")], id="dropout-first"),
        pytest.param(
            [
                dense(6, "relu"),
                {"type": "dropout", "rate": 0.5},
                {"type": "batch_norm", "momentum": 0.5},
                dense(3, "softmax"),
            ],
            id="dropout-then-batch_norm",
        ),
        pytest.param([dense(4, "identity"), {"type": "batch_norm"}, dense(3, "softmax")], id="bias-before-batch_norm"),
    ],
)
def test_layers(registry: Registry, layers: list[dict[str, Any]]) -> None:
    X, y = toy_classification()
    experiment = make_experiment(registry, layers, "categorical_cross_entropy", X=X, y=y)
    assert_passes(experiment)


def test_check_leaves_network_unchanged(registry: Registry) -> None:
    X, y = toy_classification()
    experiment = make_experiment(
        registry, [*hidden("tanh"), dense(3, "softmax")], "categorical_cross_entropy", X=X, y=y
    )
    network = experiment.network
    before = network.state_arrays()
    generators = network.rng_state()
    check_gradients(experiment)
    now = network.rng_state()  # later training draws the same masks
    assert now.keys() == generators.keys() and generators
    for name in generators:
        np.testing.assert_array_equal(now[name], generators[name])
    after = network.state_arrays()
    assert before.keys() == after.keys() and "layers.1.running_mean" in after
    for name in before:
        np.testing.assert_array_equal(before[name], after[name])
    assert not network.layers[2].frozen


def test_check_catches_a_wrong_derivative(registry: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    from nn_numpy.activations import Tanh

    def wrong(self: Tanh, Z: np.ndarray, A: np.ndarray, dA: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.multiply(dA, 1 - A, out=out)  # forgot to square A
        return out

    monkeypatch.setattr(Tanh, "backward", wrong)
    X, y = toy_classification()
    experiment = make_experiment(
        registry, [dense(4, "tanh"), dense(3, "softmax")], "categorical_cross_entropy", X=X, y=y
    )
    result = check_gradients(experiment)
    assert not result.passed
    assert result.parameters["layers.0.weight"] > 1e-3
    assert result.parameters["layers.1.weight"] < THRESHOLD  # the layer after it is still right
