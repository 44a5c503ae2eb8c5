"""Registration: every component with the public name, a schema and a docstring."""

from __future__ import annotations

import subprocess
import sys

from nn_core.registry import Registry

EXPECTED = {
    "layer": {"dense", "dropout", "batch_norm"},
    "activation": {"identity", "sigmoid", "tanh", "relu", "softmax", "leaky_relu", "elu", "softplus", "gelu"},
    "loss": {"binary_cross_entropy", "categorical_cross_entropy", "mse", "sum_squared_error"},
    "initializer": {
        "zeros",
        "constant",
        "normal",
        "uniform",
        "glorot_uniform",
        "glorot_normal",
        "he_normal",
        "he_uniform",
        "lecun_normal",
    },
    "regularizer": {"l2", "l1"},
    "optimizer": {"sgd", "adagrad", "rmsprop", "adam", "adamw", "bfgs", "lbfgs"},
    "schedule": {"constant", "step", "exponential", "inverse_time", "cosine"},
    "backend": {"numpy"},
}


def test_catalogue(registry: Registry) -> None:
    for kind, names in EXPECTED.items():
        assert set(registry.names(kind, "numpy")) >= names, kind


def test_every_component_is_documented_with_defaults(registry: Registry) -> None:
    for info in registry.all():
        if info.distribution != "nn-numpy":
            continue
        assert info.summary, f"{info.kind} {info.name} has no docstring"
        schema = info.cls.params_schema
        required = set(schema.get("required", ()))
        for key, sub in schema.get("properties", {}).items():
            optional_component = "x-nn-component" in sub  # absent means none (dense's own regularizer)
            assert key in required or "default" in sub or optional_component, f"{info.kind} {info.name}.{key}"
        if info.kind == "optimizer" and info.name in ("bfgs", "lbfgs"):
            assert info.backend is None  # closure minimizers see numpy vectors only: every backend
        elif info.kind != "backend":
            assert info.backend == "numpy"


def test_plugin_import_is_cheap() -> None:
    code = "import sys, nn_numpy.plugin; print('scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
