"""Resume is bit-identical with early stopping on the numpy backend too (issue 12, item 4).

Mini-batches, Adam and a dev split that starts to overfit: resuming from any
checkpoint, before or after the best epoch, gives the uninterrupted run's
best epoch, stopping epoch and restored weights, bit for bit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nn_core import build, load_spec, train
from nn_core.checkpoint import load_checkpoint, restore

OVERFIT = """\
name: overfit
seed: 1
data:
  dataset: {type: moons, n_samples: 60, noise: 0.45, seed: 3}
  split: {dev: 0.5}
model:
  layers:
    - {type: dense, units: 32, activation: tanh}
    - {type: dense, units: 2, activation: softmax}
loss: categorical_cross_entropy
optimizer: {type: adam, lr: 0.02}
training:
  epochs: 400
  batch_size: 8
  log_every: 2
  early_stopping: {monitor: dev.loss, patience: 12}
metrics: [accuracy]
"""


def test_resumes_with_early_stopping_are_bit_identical(tmp_path: Path) -> None:
    spec_path = tmp_path / "overfit.yaml"
    spec_path.write_text(OVERFIT)
    reference = train(build(load_spec(spec_path)))
    assert reference.stopped_early_at is not None and reference.best_epoch is not None
    expected = reference.experiment.network.state_arrays()
    ckpt = tmp_path / "ck"
    train(build(load_spec(spec_path, [f"training.checkpoint={{dir: {ckpt}, every: 2, keep: 1000}}"])))
    epochs = sorted(int(p.stem.split("-")[1]) for p in ckpt.glob("epoch-*.ckpt"))
    best = reference.best_epoch
    picks = {epochs[0], best - 2, best, best + 2, best + 6, epochs[-1]} & set(epochs)
    assert len(picks) >= 4, (best, epochs)
    for epoch in sorted(picks):
        path = ckpt / f"epoch-{epoch:06d}.ckpt"
        experiment = build(load_spec(spec_path))
        arrays, meta = load_checkpoint(path)
        run = train(experiment, resume=restore(experiment, arrays, meta, str(path)))
        assert (run.best_epoch, run.stopped_early_at) == (best, reference.stopped_early_at), epoch
        weights = run.experiment.network.state_arrays()
        assert all(np.array_equal(weights[k], expected[k]) for k in expected), f"resumed from epoch {epoch}"
