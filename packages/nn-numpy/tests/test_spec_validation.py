"""Bad parameters are spec errors with their path, never numpy errors."""

from __future__ import annotations

from typing import Any

import pytest
from numpy_specs import spec_dict

from nn_core.registry import Registry
from nn_core.spec import SpecError, load_spec

DENSE = {"type": "dense", "units": 2}


def check(registry: Registry, document: dict[str, Any], *fragments: str) -> None:
    with pytest.raises(SpecError) as info:
        load_spec(document, registry=registry)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message


@pytest.mark.parametrize(
    "layer, path",
    [
        ({"type": "dropout", "rate": 1.5}, "model.layers[1].rate"),
        ({"type": "dropout", "rate": 1}, "model.layers[1].rate"),
        ({"type": "dropout", "rate": -0.1}, "model.layers[1].rate"),
        ({"type": "batch_norm", "momentum": 2}, "model.layers[1].momentum"),
        ({"type": "batch_norm", "eps": 0}, "model.layers[1].eps"),
        (
            {"type": "dense", "units": 2, "activation": {"type": "leaky_relu", "alpha": "x"}},
            "model.layers[1].activation.alpha",
        ),
        (
            {"type": "dense", "units": 2, "activation": {"type": "elu", "alpha": -1}},
            "model.layers[1].activation.alpha",
        ),
        (
            {"type": "dense", "units": 2, "init": {"type": "constant", "value": "one"}},
            "model.layers[1].init.value",
        ),
        (
            {"type": "dense", "units": 2, "regularizer": {"type": "l2", "lambda": -1}},
            "model.layers[1].regularizer.lambda",
        ),
        ({"type": "dropout", "activation": "relu"}, "model.layers[1].activation"),
    ],
)
def test_layer_parameters(registry: Registry, layer: dict[str, Any], path: str) -> None:
    check(registry, spec_dict([DENSE, layer, DENSE], "mse"), path)


@pytest.mark.parametrize(
    "optimizer, path",
    [
        ({"type": "adam", "beta3": 1}, "optimizer.beta3"),
        ({"type": "adam", "beta1": 1.0}, "optimizer.beta1"),
        ({"type": "rmsprop", "rho": 1.2}, "optimizer.rho"),
        ({"type": "adagrad", "lr": 0}, "optimizer.lr"),
        ({"type": "adamw", "weight_decay": -0.1}, "optimizer.weight_decay"),
        ({"type": "sgd", "momentum": 1}, "optimizer.momentum"),
        ({"type": "bfgs", "lr": 0.1}, "optimizer.lr"),
        ({"type": "lbfgs", "max_iter": 0}, "optimizer.max_iter"),
        ({"type": "bfgs", "tol": 0}, "optimizer.tol"),
    ],
)
def test_optimizer_parameters(registry: Registry, optimizer: dict[str, Any], path: str) -> None:
    check(registry, spec_dict([DENSE], "mse", optimizer), path)


@pytest.mark.parametrize(
    "schedule, path",
    [
        ({"type": "step"}, "schedule"),  # step_size is required
        ({"type": "step", "step_size": 0}, "schedule.step_size"),
        ({"type": "exponential", "gamma": 1.5}, "schedule.gamma"),
        ({"type": "inverse_time", "decay": -1}, "schedule.decay"),
        ({"type": "cosine", "t_max": 10, "min_lr": -1}, "schedule.min_lr"),
    ],
)
def test_schedule_parameters(registry: Registry, schedule: Any, path: str) -> None:
    check(registry, spec_dict([DENSE], "mse", schedule=schedule), path)


def test_unknown_name_suggests_the_closest(registry: Registry) -> None:
    check(
        registry,
        spec_dict([{"type": "dense", "units": 2, "activation": "lrelu"}], "mse"),
        "model.layers[0].activation",
        "leaky_relu",
    )
    check(registry, spec_dict([DENSE], "mse", "adamm"), "did you mean 'adam'")


def test_defaults_are_filled(registry: Registry) -> None:
    spec = load_spec(
        spec_dict([{"type": "dropout"}, {"type": "batch_norm"}, DENSE], "mse", "adamw", schedule="inverse_time"),
        registry=registry,
    )
    assert dict(spec.model.layers[0].params) == {"rate": 0.5}
    assert dict(spec.model.layers[1].params) == {"momentum": 0.9, "eps": 1e-5}
    assert dict(spec.optimizer.params) == {
        "lr": 0.001,
        "beta1": 0.9,
        "beta2": 0.999,
        "eps": 1e-8,
        "weight_decay": 0.01,
    }
    assert dict(spec.schedule.params) == {"decay": 0.01}


def test_an_uninstalled_backend_is_one_error_not_one_per_component(registry: Registry) -> None:
    # Issue 17: `--set backend=torch` without nn-torch used to add "no layer is installed" per component.
    with pytest.raises(SpecError) as info:
        load_spec(spec_dict([DENSE, {"type": "dense", "units": 1}], "mse", backend="torch"), registry=registry)
    [issue] = info.value.issues
    assert issue.path == ("backend",)
    assert "unknown backend 'torch'" in str(issue) and "numpy" in str(issue)


def test_numpy_backend_dtypes_and_devices(registry: Registry) -> None:
    spec = load_spec(spec_dict([DENSE], "mse"), registry=registry)
    assert (spec.backend, spec.dtype, spec.device) == ("numpy", "float64", "cpu")
    check(registry, spec_dict([DENSE], "mse", device="cuda"), "device: 'cuda' is not one of cpu")
    check(registry, spec_dict([DENSE], "mse", dtype="float16"), "dtype: 'float16' is not one of float64")
