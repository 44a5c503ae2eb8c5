"""Issue 5's promises, end to end with nn-numpy: determinism, exact resume, Ctrl-C,
model files, early stopping."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from nn_core import build, load_spec, train
from nn_core.checkpoint import load_checkpoint, restore
from nn_core.model import load_model, model_from_run

ROOT = Path(__file__).resolve().parents[1]

SPEC = """\
name: moons-dropout
seed: 7
data:
  dataset: {type: moons, n_samples: 200, noise: 0.2, seed: 0}
  split: {dev: 0.2}
model:
  layers:
    - {type: dense, units: 16, activation: relu}
    - {type: dropout, rate: 0.2}
    - {type: dense, units: 2, activation: softmax}
loss: categorical_cross_entropy
optimizer: {type: sgd, lr: 0.1, momentum: 0.9}
schedule: {type: step, step_size: 5, gamma: 0.5}
training: {epochs: 20, batch_size: 16, log_every: 5}
metrics: [accuracy]
"""


@pytest.fixture
def spec_path(tmp_path: Path) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC)
    return path


def weights(run) -> dict[str, np.ndarray]:  # type: ignore[no-untyped-def]
    return run.experiment.network.state_arrays()


def assert_same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert a.keys() == b.keys()
    for name in a:
        assert np.array_equal(a[name], b[name]), name


def test_same_spec_same_weights(spec_path: Path) -> None:
    first = train(build(load_spec(spec_path)))
    second = train(build(load_spec(spec_path)))
    assert_same(weights(first), weights(second))
    other_seed = train(build(load_spec(spec_path, ["seed=8"])))
    assert not np.array_equal(weights(first)["layers.0.weight"], weights(other_seed)["layers.0.weight"])


def test_resume_from_mid_run_checkpoint_is_bit_identical(spec_path: Path, tmp_path: Path) -> None:
    ckpt_dir = tmp_path / "ckpt"
    overrides = [f"training.checkpoint.dir={ckpt_dir}", "training.checkpoint.every=5", "training.checkpoint.keep=10"]
    full = train(build(load_spec(spec_path, overrides)))
    saved = sorted(p.name for p in ckpt_dir.iterdir())
    assert saved == [f"epoch-{e:06d}.ckpt" for e in (5, 10, 15, 20)]

    spec = load_spec(spec_path, overrides)
    experiment = build(spec)
    arrays, meta = load_checkpoint(ckpt_dir / "epoch-000010.ckpt")
    resumed = train(experiment, resume=restore(experiment, arrays, meta, "epoch-10"))
    assert_same(weights(full), weights(resumed))
    assert resumed.history == full.history


def test_checkpoint_for_other_spec_is_refused(spec_path: Path, tmp_path: Path) -> None:
    from nn_core.errors import NNError

    ckpt_dir = tmp_path / "ckpt"
    train(build(load_spec(spec_path, [f"training.checkpoint.dir={ckpt_dir}", "training.epochs=5"])))
    experiment = build(load_spec(spec_path, ["optimizer.momentum=0.5"]))
    arrays, meta = load_checkpoint(ckpt_dir / "epoch-000005.ckpt")
    with pytest.raises(NNError, match=r"different spec \(optimizer\.momentum: 0\.9 there, 0\.5 now\)"):
        restore(experiment, arrays, meta, "x")


def nn(*args: str, **kwargs) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    return subprocess.run([sys.executable, "-m", "nn_core.cli", *args], capture_output=True, text=True, **kwargs)


@pytest.mark.skipif(os.name != "posix", reason="SIGINT delivery as on a terminal")
def test_sigint_writes_checkpoint_and_resume_finishes_identically(spec_path: Path, tmp_path: Path) -> None:
    ckpt_dir = tmp_path / "ckpt"
    sets = ["--set", f"training.checkpoint.dir={ckpt_dir}", "--set", "training.checkpoint.every=100000"]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "nn_core.cli",
            "train",
            str(spec_path),
            *sets,
            "--set",
            "training.epochs=100000",
            "-o",
            str(tmp_path / "m.nn"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    line = proc.stderr.readline()  # epoch 0 is logged before training starts
    assert line.startswith("epoch"), line
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "resume with: nn train" in err
    [checkpoint] = list(ckpt_dir.iterdir())
    resume_cmd = err.strip().splitlines()[-1].split("resume with: ", 1)[1].split()
    assert resume_cmd[-1] == str(checkpoint)
    assert not (tmp_path / "m.nn").exists()  # no model file from an interrupted run

    # Resume to a few epochs past the interruption; only training.epochs may differ.
    _, meta = load_checkpoint(checkpoint)
    epochs = ["--set", f"training.epochs={meta['next_epoch'] + 3}"]
    resumed = nn(
        "train", str(spec_path), *sets, *epochs, "-o", str(tmp_path / "m.nn"), "--resume", str(checkpoint), "-q"
    )
    assert resumed.returncode == 0, resumed.stderr
    uninterrupted = nn("train", str(spec_path), *sets, *epochs, "-o", str(tmp_path / "u.nn"), "-q")
    assert uninterrupted.returncode == 0
    a, b = load_model(tmp_path / "m.nn"), load_model(tmp_path / "u.nn")
    assert_same(a.network.state_arrays(), b.network.state_arrays())


def test_saved_model_evaluates_and_predicts_the_same(spec_path: Path, tmp_path: Path) -> None:
    run = train(build(load_spec(spec_path)))
    path = tmp_path / "model.nn"
    model_from_run(run).save(path)
    result = nn("evaluate", str(path), "--json")
    assert result.returncode == 0, result.stderr
    evaluated = json.loads(result.stdout)
    for split in ("train", "dev"):
        assert evaluated[split]["loss"] == pytest.approx(run.final_metrics[split]["loss"], rel=1e-12)
        assert evaluated[split]["accuracy"] == run.final_metrics[split]["accuracy"]
    matrix = np.array(evaluated["dev"]["confusion_matrix"])
    assert matrix.sum() == 40 and np.trace(matrix) == round(40 * evaluated["dev"]["accuracy"])
    X = run.experiment.splits["dev"].data.X
    assert np.array_equal(load_model(path).predict_proba(X), run.experiment.network.predict_proba(X))


OVERFIT = """\
seed: 1
data:
  dataset: {type: moons, n_samples: 60, noise: 0.45, seed: 3}
  split: {dev: 0.5}
model:
  layers:
    - {type: dense, units: 128, activation: tanh}
    - {type: dense, units: 128, activation: tanh}
    - {type: dense, units: 2, activation: softmax}
loss: categorical_cross_entropy
optimizer: {type: adam, lr: 0.01}
training:
  epochs: 2000
  log_every: 5
  early_stopping: {monitor: dev.loss, patience: 20}
metrics: [accuracy]
"""


def test_early_stopping_restores_best_weights(tmp_path: Path) -> None:
    path = tmp_path / "overfit.yaml"
    path.write_text(OVERFIT)
    log = tmp_path / "log.csv"
    run = train(build(load_spec(path, [f"training.log={log}"])))
    assert run.stopped_early_at is not None and run.stopped_early_at < 2000
    dev_losses = {row["epoch"]: row["dev"]["loss"] for row in run.history}
    best_epoch = min(dev_losses, key=dev_losses.get)
    assert run.best_epoch == best_epoch
    assert run.stopped_early_at == best_epoch + 20  # patience counts epochs: 4 logs of 5
    assert run.final_metrics["dev"]["loss"] == pytest.approx(dev_losses[best_epoch], rel=1e-12)
    rows = log.read_text().splitlines()
    assert rows[0] == "epoch,train.loss,train.accuracy,dev.loss,dev.accuracy"
    assert len(rows) == 1 + len(run.history)


def test_resume_may_lower_the_learning_rate(spec_path: Path, tmp_path: Path) -> None:
    # What a diverged run needs: its last finite checkpoint, continued with a smaller lr.
    ckpt_dir = tmp_path / "ckpt"
    train(build(load_spec(spec_path, [f"training.checkpoint.dir={ckpt_dir}", "training.epochs=5"])))
    experiment = build(load_spec(spec_path, ["optimizer.lr=0.01", "training.epochs=8"]))
    arrays, meta = load_checkpoint(ckpt_dir / "epoch-000005.ckpt")
    run = train(experiment, resume=restore(experiment, arrays, meta, "epoch-5"))
    assert run.epoch == 8 and experiment.optimizer.lr == pytest.approx(0.01 * 0.5**1)  # step schedule: 5 epochs
