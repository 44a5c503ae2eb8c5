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
