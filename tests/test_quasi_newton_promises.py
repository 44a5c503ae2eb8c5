"""bfgs and lbfgs keep every promise step runs keep (issue 12, item 3).

Each iteration counts as an epoch and runs the per-epoch hooks through the
minimizer's callback: ``training.log`` rows, early stopping (restoring the
best weights, never the untrained ones), checkpoints every N iterations,
and Ctrl-C (a checkpoint, then exit 130). Tutorial 001's network (Welch
Labs' 2-3-1 sigmoid net on the sleep/study data) is the model.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nn_core import build, cli, load_spec, train
from nn_core.checkpoint import load_checkpoint, restore
from nn_core.modelfile import section
from nn_core.plugins import load_plugins
from nn_core.testing import CtrlCAt
from nn_core.training import Interrupted

ROOT = Path(__file__).resolve().parents[1]
WELCH = ROOT / "specs" / "welch-bfgs.yaml"


def welch(*overrides: str) -> Any:
    return load_spec(WELCH, list(overrides))


@pytest.fixture
def pm_with(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The installed plugins plus test callbacks; also what the CLI loads during the test."""
    import nn_core.plugins

    loaded = load_plugins()
    monkeypatch.setattr(nn_core.plugins, "load_plugins", lambda *a, **k: loaded)
    pm = loaded.pm
    added: list[Any] = []

    def register(plugin: Any) -> Any:
        pm.register(plugin)
        added.append(plugin)
        return pm

    yield register
    for plugin in added:
        if pm.is_registered(plugin):
            pm.unregister(plugin)


@pytest.mark.parametrize("optimizer", ["bfgs", "lbfgs"])
def test_training_log_has_a_row_per_logged_iteration(tmp_path: Path, optimizer: str) -> None:
    log = tmp_path / "log.csv"
    run = train(
        build(welch(f"optimizer.type={optimizer}", "training.epochs=12", "training.log_every=3", f"training.log={log}"))
    )
    with log.open() as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [0, 3, 6, 9, 12]
    assert [float(r["train.loss"]) for r in rows] == [row["train"]["loss"] for row in run.history]
    assert float(rows[-1]["train.loss"]) < float(rows[0]["train.loss"]) / 3


def test_early_stopping_restores_the_best_trained_weights_not_the_initial_ones() -> None:
    spec = welch(
        "training.epochs=60",
        "training.log_every=1",
        "training.early_stopping={monitor: train.loss, patience: 2, min_delta: 0.00001}",
    )
    run = train(build(spec))
    assert run.stopped_early_at is not None and run.stopped_early_at < 60, "early stopping never ran"
    assert run.best_epoch is not None and run.best_epoch > 0, "the untrained network was restored"
    losses = {row["epoch"]: row["train"]["loss"] for row in run.history}
    assert run.final_metrics["train"]["loss"] == pytest.approx(losses[run.best_epoch], rel=1e-12)
    assert run.final_metrics["train"]["loss"] < losses[0] / 5
    # an improvement by less than min_delta does not count: the stop comes 2 logs after the best
    assert run.stopped_early_at == run.best_epoch + 2


def test_early_stopping_without_a_stop_keeps_the_last_weights(tmp_path: Path) -> None:
    out = tmp_path / "m.nn"
    spec = tmp_path / "s.yaml"
    spec.write_text(WELCH.read_text())
    code = cli.main([
        "train", str(spec), "-q", "-o", str(out), "--set", "training.epochs=40",
        "--set", "training.early_stopping={monitor: train.loss, patience: 1000}",
    ])  # fmt: skip
    assert code == 0
    from nn_core.model import load_model

    model = load_model(out)
    X = np.array([[3, 5], [5, 1], [10, 2]]) / np.array([10, 5])
    untrained = build(welch()).network.predict_proba(X)
    assert not np.allclose(model.predict_proba(X), untrained), "the saved model is the untrained network"
    assert model.metadata["history"][-1]["train"]["loss"] < 0.002


@pytest.mark.parametrize("optimizer", ["bfgs", "lbfgs"])
def test_checkpoints_every_n_iterations_hold_that_iterations_weights(tmp_path: Path, optimizer: str) -> None:
    ckpt = tmp_path / "ckpt"
    spec = welch(
        f"optimizer.type={optimizer}",
        "training.epochs=20",
        "training.log_every=5",
        f"training.checkpoint={{dir: {ckpt}, every: 5, keep: 10}}",
    )
    run = train(build(spec))
    assert sorted(p.name for p in ckpt.iterdir()) == [f"epoch-{e:06d}.ckpt" for e in (5, 10, 15, 20)]
    arrays, meta = load_checkpoint(ckpt / "epoch-000010.ckpt")
    assert meta["next_epoch"] == 11
    experiment = build(spec)
    experiment.network.load_state_arrays(section(arrays, "weights"))
    loss = experiment.network.loss(experiment.splits["train"].X, experiment.splits["train"].Y)
    assert loss == run.history[2]["train"]["loss"] and run.history[2]["epoch"] == 10


def test_ctrl_c_writes_a_checkpoint_and_exits_130(tmp_path: Path, pm_with: Any, capsys: Any) -> None:
    pm_with(CtrlCAt(4))
    spec = tmp_path / "s.yaml"
    spec.write_text(WELCH.read_text())
    out = tmp_path / "m.nn"
    code = cli.main(["train", str(spec), "-q", "-o", str(out), "--set", "training.epochs=30"])
    err = capsys.readouterr().err
    checkpoint = tmp_path / "m.nn.epoch-000004.ckpt"
    assert code == 130, err
    assert (
        f"nn: interrupted in epoch 5; checkpoint written to {checkpoint} (beside -o, as training.checkpoint is not set)"
        in err
    )
    assert not out.exists(), "an interrupted run wrote the model"
    arrays, meta = load_checkpoint(checkpoint)
    assert (meta["next_epoch"], meta["next_step"]) == (5, 0)


def test_ctrl_c_checkpoint_resumes_with_a_warning(tmp_path: Path, pm_with: Any, capsys: Any) -> None:
    ckpt = tmp_path / "ckpt"
    spec = welch("training.epochs=30", "training.log_every=1", f"training.checkpoint={{dir: {ckpt}, every: 100}}")
    pm = pm_with(CtrlCAt(6))
    with pytest.raises(Interrupted) as stop:
        train(build(spec), pm=pm)
    assert stop.value.checkpoint == str(ckpt / "epoch-000006.ckpt")
    experiment = build(spec)
    arrays, meta = load_checkpoint(ckpt / "epoch-000006.ckpt")
    state = restore(experiment, arrays, meta, str(ckpt / "epoch-000006.ckpt"))
    capsys.readouterr()
    pm.unregister(next(p for p in pm.get_plugins() if isinstance(p, CtrlCAt)))
    run = train(experiment, resume=state)
    assert "the resumed run starts a fresh estimate" in capsys.readouterr().err
    assert run.epoch == 30 or run.history[-1]["train"]["loss"] < 0.002
    assert [row["epoch"] for row in run.history[:7]] == list(range(7))


@pytest.mark.parametrize("optimizer", ["bfgs", "lbfgs"])
def test_nn_train_says_why_the_minimizer_stopped(tmp_path: Path, optimizer: str, capsys: Any) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text(WELCH.read_text())
    assert cli.main(["train", str(spec), "-q", "--set", f"optimizer.type={optimizer}"]) == 0
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if line.startswith(f"{optimizer}: "))
    assert re.fullmatch(
        rf"{optimizer}: converged: gradient norm \d\.\de-\d\d below tolerance 1e-05 after (\d+) iterations "
        r"\(200 allowed\)",
        line,
    ), line
    assert int(re.search(r"after (\d+)", line).group(1)) < 200  # type: ignore[union-attr]
    assert cli.main(["train", str(spec), "-q", "--set", "training.epochs=5"]) == 0
    assert "bfgs: stopped after 5 iterations: training.epochs (5) reached" in capsys.readouterr().out
