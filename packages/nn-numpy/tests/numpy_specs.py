"""Spec documents as dicts and experiments built from them, for nn-numpy's tests."""

from __future__ import annotations

from typing import Any

import numpy as np

from nn_core.contracts import Data
from nn_core.experiment import Experiment, build
from nn_core.registry import Registry
from nn_core.spec import Spec, load_spec


def spec_dict(
    layers: list[Any],
    loss: Any,
    optimizer: Any = "sgd",
    *,
    X: np.ndarray | None = None,
    y: np.ndarray | None = None,
    model_regularizer: Any = None,
    **top: Any,
) -> dict[str, Any]:
    """A spec document whose data are written inline (``X``, ``y`` or a tiny default)."""
    model: dict[str, Any] = {"layers": layers}
    if model_regularizer is not None:
        model["regularizer"] = model_regularizer
    if X is None:
        X = np.array([[0.0, 1.0], [1.0, 0.0]])
        y = np.array([0, 1])
    assert y is not None
    return {
        "seed": 0,
        "data": {"dataset": {"type": "inline", "features": X.tolist(), "targets": y.tolist()}},
        "model": model,
        "loss": loss,
        "optimizer": optimizer,
        "metrics": [],
        **top,
    }


def make_spec(registry: Registry, *args: Any, **kwargs: Any) -> Spec:
    return load_spec(spec_dict(*args, **kwargs), registry=registry)


def make_experiment(registry: Registry, *args: Any, **kwargs: Any) -> Experiment:
    X, y = kwargs.get("X"), kwargs.get("y")
    spec = make_spec(registry, *args, **kwargs)
    data = Data(np.asarray(X, dtype=np.float64), np.asarray(y)) if X is not None else None
    return build(spec, registry, data=data)


def toy_classification(
    n: int = 12, features: int = 3, classes: int = 3, seed: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, features))
    y = np.arange(n) % classes
    return X, y
