"""Every spec nn-torch can run trains the same on both backends.

For each spec in ``specs/`` (and in ``$NN_EQUIVALENCE_SPECS``, a ``os.pathsep``-separated
list of files or globs, so unseen specs can be checked the same way) plus a few inline
specs that cover what the tutorials do not (minibatches, adam, rmsprop, batch norm,
l1, every activation): float64 training for up to 100 epochs with ``backend=torch``
starts from bit-identical weights and logs a loss within 1e-9 relative of the numpy
backend at every epoch. Specs with dropout draw different masks on the two backends
(numpy's PCG64 against torch's generator), so they are compared statistically. A spec
whose data is not available offline (Kaggle's CSVs), or that names a component only
another backend has, is skipped with the reason.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("torch")

from nn_core import build, load_spec, train  # noqa: E402
from nn_core.errors import DataError  # noqa: E402
from nn_core.plugins import Plugins, load_plugins  # noqa: E402
from nn_core.spec import SpecError  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]
EPOCHS = 100


def spec_files() -> list[Path]:
    files = sorted((ROOT / "specs").glob("*.yaml"))
    for pattern in filter(None, os.environ.get("NN_EQUIVALENCE_SPECS", "").split(os.pathsep)):
        files += sorted(Path(p) for p in glob.glob(pattern))
    return files


def _dense(units: int, activation: str, **extra: Any) -> dict[str, Any]:
    return {"type": "dense", "units": units, "activation": activation, "init": "he_normal", **extra}


INLINE: dict[str, dict[str, Any]] = {
    "minibatch-adam-batchnorm": {
        "seed": 3,
        "data": {"dataset": {"type": "moons", "n_samples": 240, "noise": 0.2, "seed": 1}, "scale": "standard"},
        "model": {
            "layers": [
                _dense(16, "relu"),
                {"type": "batch_norm", "momentum": 0.8},
                _dense(8, "gelu"),
                _dense(2, "softmax"),
            ]
        },
        "loss": "categorical_cross_entropy",
        "optimizer": {"type": "adam", "lr": 0.01},
        "training": {"epochs": 40, "batch_size": 32},
    },
    "rmsprop-l1-mse": {
        "seed": 5,
        "data": {"dataset": {"type": "circles", "n_samples": 200, "noise": 0.1, "seed": 2}},
        "model": {
            "regularizer": {"type": "l1", "lambda": 1e-4},
            "layers": [_dense(12, "elu"), _dense(6, "softplus"), _dense(1, "sigmoid")],
        },
        "loss": "mse",
        "optimizer": {"type": "rmsprop", "lr": 0.005},
        "training": {"epochs": 40, "batch_size": 50},
    },
    "nesterov-adagrad-leaky": {
        "seed": 7,
        "data": {"dataset": {"type": "spirals", "points_per_class": 100, "classes": 3, "noise": 0.2}},
        "model": {"layers": [_dense(20, "leaky_relu"), _dense(10, "tanh"), _dense(3, "softmax")]},
        "loss": {"type": "categorical_cross_entropy", "reduction": "sum"},
        "optimizer": {"type": "sgd", "lr": 0.001, "momentum": 0.9, "nesterov": True},
        "training": {"epochs": 60, "batch_size": 64},
    },
    "dropout-adamw": {
        "seed": 11,
        "data": {"dataset": {"type": "moons", "n_samples": 400, "noise": 0.2, "seed": 3}},
        "model": {"layers": [_dense(64, "relu"), {"type": "dropout", "rate": 0.3}, _dense(2, "softmax")]},
        "loss": "categorical_cross_entropy",
        "optimizer": {"type": "adamw", "lr": 0.01},
        "training": {"epochs": 60, "batch_size": 40},
    },
    # From the hidden-spec audit: per-layer l1 beside a model l2, leaky_relu's alpha, batch
    # norm, nesterov under a cosine schedule, a summed loss and a ragged last batch (203 / 25).
    "nesterov-cosine-ragged-l1l2": {
        "seed": 9,
        "data": {"dataset": {"type": "blobs", "n_samples": 203, "centers": 4, "n_features": 3, "seed": 5}},
        "model": {
            "regularizer": {"type": "l2", "lambda": 1e-3},
            "layers": [
                _dense(16, {"type": "leaky_relu", "alpha": 0.2}, regularizer={"type": "l1", "lambda": 5e-4}),
                {"type": "batch_norm"},
                _dense(4, "softmax"),
            ],
        },
        "loss": {"type": "categorical_cross_entropy", "reduction": "sum"},
        "optimizer": {"type": "sgd", "lr": 0.002, "momentum": 0.9, "nesterov": True},
        "schedule": {"type": "cosine", "t_max": 80, "min_lr": 1e-4},
        "training": {"epochs": 100, "batch_size": 25},
    },
    # Class weights, rmsprop's rho, an exponential schedule, clip_norm, dev/test splits.
    "iris-rmsprop-classweight-clipnorm": {
        "seed": 12,
        "data": {"dataset": "iris", "scale": "standard", "split": {"dev": 0.2, "test": 0.1}},
        "model": {"layers": [_dense(8, "tanh"), _dense(3, "softmax")]},
        "loss": {"type": "categorical_cross_entropy", "class_weight": [1.0, 2.0, 0.5]},
        "optimizer": {"type": "rmsprop", "lr": 0.003, "rho": 0.95},
        "schedule": {"type": "exponential", "gamma": 0.98},
        "training": {"epochs": 100, "batch_size": 16, "clip_norm": 0.5},
    },
    # Adagrad with clip_value, an inverse_time schedule and a per-layer l2 before batch norm.
    "adagrad-clipvalue-inverse-time": {
        "seed": 21,
        "data": {"dataset": {"type": "blobs", "n_samples": 300, "centers": 5, "n_features": 6, "seed": 8}},
        "model": {
            "layers": [
                _dense(24, "relu", regularizer={"type": "l2", "lambda": 1e-4}),
                {"type": "batch_norm", "momentum": 0.95},
                _dense(5, "softmax"),
            ]
        },
        "loss": "categorical_cross_entropy",
        "optimizer": {"type": "adagrad", "lr": 0.05},
        "schedule": {"type": "inverse_time", "decay": 0.05},
        "training": {"epochs": 60, "batch_size": 64, "clip_value": 0.1},
    },
    # Weighted binary cross-entropy on one sigmoid unit, adamw's weight_decay, early stopping.
    "adamw-bce-weighted-early-stopping": {
        "seed": 31,
        "data": {"dataset": {"type": "moons", "n_samples": 160, "noise": 0.3, "seed": 6}, "split": {"dev": 0.25}},
        "model": {"layers": [_dense(12, "gelu"), _dense(1, "sigmoid")]},
        "loss": {"type": "binary_cross_entropy", "class_weight": [2.0, 1.0]},
        "optimizer": {"type": "adamw", "lr": 0.02, "weight_decay": 0.01},
        "training": {"epochs": 100, "batch_size": 17, "early_stopping": {"patience": 5, "min_delta": 1e-4}},
    },
    # A plateau schedule reading dev.loss, mse on softmax outputs, a constant bias, minmax scaling.
    "plateau-mse-minmax": {
        "seed": 17,
        "data": {
            "dataset": {"type": "blobs", "n_samples": 150, "centers": 3, "seed": 9},
            "scale": "minmax",
            "split": {"dev": 0.2},
        },
        "model": {
            "layers": [
                _dense(8, "sigmoid", bias_init={"type": "constant", "value": 0.1}),
                {"type": "batch_norm", "momentum": 0.5},
                _dense(3, "softmax"),
            ]
        },
        "loss": "mse",
        "optimizer": {"type": "sgd", "lr": 0.01},
        "schedule": {"type": "plateau", "monitor": "dev.loss", "patience": 3, "factor": 0.5},
        "training": {"epochs": 100, "batch_size": "full"},
    },
    # L-BFGS through the minimizer boundary, softplus, two sigmoid units under a summed BCE.
    "lbfgs-softplus-bce-sum": {
        "seed": 5,
        "data": {"dataset": {"type": "circles", "n_samples": 120, "noise": 0.1, "seed": 3}, "scale": "standard"},
        "model": {"layers": [_dense(6, "softplus"), _dense(2, "sigmoid")]},
        "loss": {"type": "binary_cross_entropy", "reduction": "sum"},
        "optimizer": {"type": "lbfgs", "max_iter": 30, "memory": 5},
        "training": {"epochs": 1},
    },
}


def _has_dropout(document: dict[str, Any]) -> bool:
    return any(isinstance(layer, dict) and layer.get("type") == "dropout" for layer in document["model"]["layers"])


def trajectory(
    source: Path | dict[str, Any], backend: str, plugins: Plugins
) -> tuple[dict[str, np.ndarray], list[float]]:
    """Initial weights and the logged train loss of every epoch (up to ``EPOCHS``)."""
    if isinstance(source, dict):
        source = {**source, "training": {**source["training"], "log_every": 1}}
        overrides = [f"backend={backend}", "dtype=float64"]
    else:
        overrides = [f"backend={backend}", "dtype=float64", "training.log_every=1"]
    try:
        spec = load_spec(source, plugins=plugins, overrides=overrides)
    except SpecError as exc:
        if backend == "numpy":
            raise
        pytest.skip(f"nn-torch cannot run this spec: {exc.issues[0]}")
    if spec.training.epochs > EPOCHS:
        spec = load_spec(source, plugins=plugins, overrides=[*overrides, f"training.epochs={EPOCHS}"])
    try:
        experiment = build(spec, plugins=plugins)
    except DataError as exc:
        pytest.skip(f"data not available offline: {exc}")
    initial = experiment.network.state_arrays()
    run = train(experiment, plugins=plugins)
    return initial, [entry["train"]["loss"] for entry in run.history]


CASES = [pytest.param(p, id=p.stem) for p in spec_files()] + [pytest.param(d, id=n) for n, d in INLINE.items()]


@pytest.mark.parametrize("source", CASES)
def test_torch_trains_like_numpy(
    source: Path | dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a spec's training.log or checkpoints land here
    plugins = load_plugins()
    document = source if isinstance(source, dict) else load_spec(source, plugins=plugins).document
    init_np, losses_np = trajectory(source, "numpy", plugins)
    init_t, losses_t = trajectory(source, "torch", plugins)

    assert init_t.keys() == init_np.keys()
    for name, array in init_np.items():
        np.testing.assert_array_equal(init_t[name], array, err_msg=f"initial {name}")
    if _has_dropout(document):
        # Different masks: the same starting loss, then two samples of the same process.
        assert losses_t[0] == pytest.approx(losses_np[0], rel=0.2)
        tail_np, tail_t = np.mean(losses_np[-10:]), np.mean(losses_t[-10:])
        assert tail_t == pytest.approx(tail_np, rel=0.15)
        assert tail_t < losses_t[0] and tail_np < losses_np[0]
        return
    assert len(losses_t) == len(losses_np) > 1
    np.testing.assert_allclose(losses_t, losses_np, rtol=1e-9, atol=0)
