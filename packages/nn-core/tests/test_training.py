"""The training loop, driven through the fake backend."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fakes import fake_registry

from nn_core import build, hookimpl, load_spec, train
from nn_core.errors import TrainingError


def run_spec(spec_file: Path, registry, *overrides: str, pm=None):  # type: ignore[no-untyped-def]
    spec = load_spec(spec_file, list(overrides), registry)
    return train(build(spec, registry), pm=pm or fake_registry()[0])


def test_full_batch_fits_a_line(spec_file: Path, registry) -> None:  # type: ignore[no-untyped-def]
    run = run_spec(spec_file, registry)
    epochs = [row["epoch"] for row in run.history]
    assert epochs == [0, 50, 100, 150, 200]  # epoch 0 is logged before the first update
    losses = [row["train"]["loss"] for row in run.history]
    assert losses[-1] < 0.01 * losses[0]
    assert run.epoch == 200


def test_one_hand_worked_step(tmp_path: Path, registry) -> None:  # type: ignore[no-untyped-def]
    # One linear unit, x = [-1, 1], y = 2x + 1 = [-1, 3], loss ½·mean((a − y)²), lr 0.5.
    # Initial w = 0.1·N(0,1) from RandomState(3): w0 = 0.1 · 1.78862847 = 0.178862847, b0 = 0.
    # a = [−w0, w0]; dL/da = (a − y)/2 = [(−w0 + 1)/2, (w0 − 3)/2]
    # dL/dw = Σ x·dL/da = −(1 − w0)/2 + (w0 − 3)/2 = w0 − 2 = −1.821137153
    # dL/db = Σ dL/da = (1 − w0 + w0 − 3)/2 = −1
    # w1 = w0 − 0.5·(−1.821137153) = 1.089431424, b1 = 0 − 0.5·(−1) = 0.5
    path = tmp_path / "one.yaml"
    path.write_text(
        "seed: 3\nbackend: fake\ndata: {dataset: {type: line, n: 2}}\n"
        "model: {layers: [{type: linear, units: 1}]}\nloss: half_squares\n"
        "optimizer: {type: descent, lr: 0.5}\ntraining: {epochs: 1}\nmetrics: []\n"
    )
    run = run_spec(path, registry)
    params = run.experiment.network.state_arrays()
    assert params["layers.0.weight"][0, 0] == pytest.approx(1.089431424, abs=1e-9)
    assert params["layers.0.bias"][0] == pytest.approx(0.5, abs=1e-12)


def test_minibatches_are_seeded(spec_file: Path, registry) -> None:  # type: ignore[no-untyped-def]
    a = run_spec(spec_file, registry, "training.batch_size=3", "training.epochs=20")
    b = run_spec(spec_file, registry, "training.batch_size=3", "training.epochs=20")
    c = run_spec(spec_file, registry, "training.batch_size=3", "training.epochs=20", "seed=4")
    wa, wb = a.experiment.network.get_flat(), b.experiment.network.get_flat()
    assert np.array_equal(wa, wb)
    assert not np.array_equal(wa, c.experiment.network.get_flat())
    full = run_spec(spec_file, registry, "training.epochs=20")
    # 7 steps per epoch (20 samples, batches of 3: the last holds 2) beat 1 step per epoch
    assert a.history[-1]["train"]["loss"] < full.history[-1]["train"]["loss"]


def test_dev_split_and_metrics(spec_file: Path, registry) -> None:  # type: ignore[no-untyped-def]
    run = run_spec(spec_file, registry, "data.dataset.classify=true", "metrics=[accuracy]", "data.split.dev=0.25")
    final = run.final_metrics
    assert set(final) == {"train", "dev"}
    assert set(final["dev"]) == {"loss", "accuracy"}
    assert len(run.experiment.splits["dev"].data.y) == 5
    assert final["train"]["accuracy"] == 1.0


def test_nan_guard_names_epoch_and_learning_rate(spec_file: Path, registry) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TrainingError) as err:
        run_spec(spec_file, registry, "optimizer.lr=1e6")
    message = str(err.value)
    assert "loss became NaN or infinite at epoch" in message
    assert "lr is 1000000.0; try a smaller learning rate" in message


class StopAfterTen:
    calls: list[str] = []

    @staticmethod
    @hookimpl
    def nn_train_start(run) -> None:  # type: ignore[no-untyped-def]
        StopAfterTen.calls.append("start")

    @staticmethod
    @hookimpl
    def nn_epoch_end(run, epoch, metrics):  # type: ignore[no-untyped-def]
        return epoch >= 10

    @staticmethod
    @hookimpl
    def nn_train_end(run) -> None:  # type: ignore[no-untyped-def]
        StopAfterTen.calls.append(f"end at {run.epoch}")


def test_lifecycle_hooks_can_stop_training(spec_file: Path) -> None:
    pm, registry = fake_registry((StopAfterTen, "nn-stopper"))
    StopAfterTen.calls.clear()
    run = run_spec(spec_file, registry, pm=pm)
    assert run.epoch == 10
    assert run.history[-1]["epoch"] == 10  # the stopping epoch is logged
    assert StopAfterTen.calls == ["start", "end at 10"]
