"""The two kernel sets on networks no other test names: random specs (layers, activations,
optimizers, losses, dtypes, batch sizes) trained under NN_KERNELS=numpy and =numba end with
the same bits in every weight and every optimizer state array."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

from nn_core import build, load_spec, train
from nn_core.errors import NNError
from nn_numpy.kernels import choice as kernel_choice

pytestmark = pytest.mark.skipif(not kernel_choice.numba_installed(), reason="numba not installed (nn-numpy[numba])")

ACTIVATIONS = ["relu", "tanh", "sigmoid", "softmax", "identity", "leaky_relu", "elu", "gelu", "softplus"]
OPTIMIZERS = [
    {"type": "adam", "lr": 0.01},
    {"type": "adamw", "lr": 0.01, "weight_decay": 0.05},
    {"type": "rmsprop", "lr": 0.005},
    {"type": "adagrad", "lr": 0.05},
    {"type": "sgd", "lr": 0.05, "momentum": 0.9, "nesterov": True},
    {"type": "sgd", "lr": 0.1},
]


def random_spec(seed: int) -> dict[str, Any]:
    r = random.Random(seed)
    rng = np.random.default_rng(seed)
    n, width, classes = r.choice([37, 64]), r.choice([3, 8, 13]), r.choice([2, 3, 5])
    layers: list[dict[str, Any]] = []
    for _ in range(r.randint(1, 4)):
        roll = r.random()
        if roll < 0.15:
            layers.append({"type": "batch_norm"})
        elif roll < 0.25:
            layers.append({"type": "dropout", "rate": 0.3})
        else:
            dense = {"type": "dense", "units": r.choice([1, 4, 9, 16]), "activation": r.choice(ACTIVATIONS)}
            layers.append({**dense, "use_bias": r.random() > 0.2})
    loss = r.choice(["categorical_cross_entropy", "mse", "binary_cross_entropy"])
    targets: Any = rng.integers(0, classes, n).tolist()
    if loss == "binary_cross_entropy":
        layers.append({"type": "dense", "units": 1, "activation": "sigmoid"})
        targets = rng.integers(0, 2, n).tolist()
    elif loss == "categorical_cross_entropy":
        layers.append({"type": "dense", "units": classes, "activation": "softmax"})
    else:
        layers.append({"type": "dense", "units": classes, "activation": r.choice(["softmax", "identity", "tanh"])})
        targets = rng.standard_normal((n, classes)).round(3).tolist()
    X = (rng.standard_normal((n, width)) * 10.0 ** rng.integers(-2, 2, width)).round(4)
    model: dict[str, Any] = {"layers": layers}
    if r.random() < 0.3:
        model["regularizer"] = {"type": "l2", "lambda": 0.01}
    return {
        "seed": seed,
        "dtype": r.choice(["float32", "float64"]),
        "data": {"dataset": {"type": "inline", "features": X.tolist(), "targets": targets}},
        "model": model,
        "loss": loss,
        "optimizer": r.choice(OPTIMIZERS),
        "training": {"epochs": r.choice([3, 40, 110]), "batch_size": r.choice([8, 16, "full"]), "log_every": 1000},
        "metrics": [],
    }


def trained(spec: dict[str, Any], kernels: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes] | str:
    monkeypatch.setenv("NN_KERNELS", kernels)
    experiment = build(load_spec(spec))
    assert experiment.network.kernels.name == kernels
    try:
        train(experiment)
    except NNError as exc:  # a diverging spec must diverge alike
        return str(exc)
    state = {name: a.tobytes() for name, a in experiment.network.state_arrays().items()}
    state.update({f"optimizer {k}": np.asarray(v).tobytes() for k, v in experiment.optimizer.state_dict().items()})
    return state


@pytest.mark.parametrize("seed", range(1000, 1024))
def test_random_networks_end_bit_identical(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = random_spec(seed)
    assert trained(spec, "numpy", monkeypatch) == trained(spec, "numba", monkeypatch)
