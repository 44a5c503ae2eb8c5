"""float32 stays float32 through every layer, activation, loss, penalty and optimizer."""

from __future__ import annotations

import numpy as np
import pytest
from numpy_specs import make_experiment, toy_classification

from nn_core.registry import Registry
from nn_core.training import train

ACTIVATIONS = ["identity", "sigmoid", "tanh", "relu", "softmax", "leaky_relu", "elu", "softplus", "gelu"]


@pytest.mark.parametrize(
    "optimizer",
    ["sgd", {"type": "sgd", "momentum": 0.9, "nesterov": True}, "adagrad", "rmsprop", "adam", "adamw"],
)
@pytest.mark.parametrize(
    "loss, output, units",
    [
        ("categorical_cross_entropy", "softmax", 3),
        ("mse", "identity", 3),
        ("binary_cross_entropy", "sigmoid", 1),
        ("sum_squared_error", "sigmoid", 1),
    ],
)
def test_float32_end_to_end(registry: Registry, optimizer: object, loss: str, output: str, units: int) -> None:
    X, y = toy_classification(n=30)
    if units == 1:
        y = y % 2
    layers = [
        {"type": "dense", "units": 6, "activation": act, "init": init}
        for act, init in zip(
            ACTIVATIONS,
            [
                "glorot_uniform",
                "glorot_normal",
                "he_normal",
                "he_uniform",
                "lecun_normal",
                "normal",
                "uniform",
                "glorot_uniform",
                "he_normal",
            ],
            strict=True,
        )
    ]
    layers[3:3] = [{"type": "batch_norm"}, {"type": "dropout", "rate": 0.2}]
    layers.append(
        {
            "type": "dense",
            "units": units,
            "activation": output,
            "bias_init": {"type": "constant", "value": 0.1},
        }
    )
    target = np.eye(3)[y] * 0.8 if loss == "mse" else y
    experiment = make_experiment(
        registry,
        layers,
        loss,
        optimizer,
        X=X,
        y=target,
        dtype="float32",
        model_regularizer={"type": "l2", "lambda": 0.01},
        training={"epochs": 3, "batch_size": 8},
    )
    network = experiment.network
    assert network.flat_params.dtype == np.float32
    run = train(experiment)
    assert np.isfinite(run.history[-1]["train"]["loss"])
    assert network.flat_params.dtype == np.float32 and network.flat_grads.dtype == np.float32
    X32 = experiment.splits["train"].X
    assert X32.dtype == np.float32
    assert network.forward(X32, True).dtype == np.float32
    assert network.forward(X32, False).dtype == np.float32
    for layer in network.layers:
        for name in ("Z", "A", "mask", "xhat"):
            if hasattr(layer, name) and getattr(layer, name) is not None:
                assert getattr(layer, name).dtype == np.float32, (layer, name)
    for array in network.buffers.values():
        assert array.dtype == np.float32
    for value in experiment.optimizer.state_dict().values():
        if isinstance(value, np.ndarray):
            assert value.dtype == np.float32


def test_quasi_newton_in_float32(registry: Registry) -> None:
    X, y = toy_classification(n=20)
    experiment = make_experiment(
        registry,
        [
            {"type": "dense", "units": 4, "activation": "tanh"},
            {"type": "dense", "units": 3, "activation": "softmax"},
        ],
        "categorical_cross_entropy",
        "lbfgs",
        X=X,
        y=y,
        dtype="float32",
        training={"epochs": 20},
    )
    run = train(experiment)
    assert experiment.network.flat_params.dtype == np.float32
    assert run.history[-1]["train"]["loss"] < run.history[0]["train"]["loss"]
