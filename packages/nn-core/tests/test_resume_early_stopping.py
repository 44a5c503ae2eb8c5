"""Resume is bit-identical with early stopping too (issue 12, item 4; issue 17: patience counts epochs).

The best value, epoch and weights go into every checkpoint: a run resumed
from any of its checkpoints, before or after the best epoch, stops at the
same epoch and restores the same weights, bit for bit, as the run that was
never interrupted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fakes import SPEC, fake_registry

from nn_core import build, load_spec, train
from nn_core.checkpoint import load_checkpoint, restore
from nn_core.errors import ModelFileError, NNError
from nn_core.modelfile import read_archive, write_archive

PM, REGISTRY = fake_registry()
STOPS = [
    "training.epochs=400",
    "training.log_every=3",
    "training.batch_size=8",
    "training.early_stopping={monitor: dev.loss, patience: 10, min_delta: 0.001}",
]


def spec_with(tmp_path: Path, *overrides: str) -> Any:
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC.replace("dataset: {type: line, n: 20}", "dataset: {type: line, n: 40}\n  split: {dev: 0.25}"))
    return load_spec(path, [*STOPS, *overrides], REGISTRY)


def test_early_stopping_resumes_bit_for_bit_from_every_checkpoint(tmp_path: Path) -> None:
    ckpt = tmp_path / "ckpt"
    reference = train(build(spec_with(tmp_path), REGISTRY), pm=PM)
    assert (reference.best_epoch, reference.stopped_early_at) == (33, 45), "the scenario changed: pick new epochs"
    expected = reference.experiment.network.state_arrays()
    spec = spec_with(tmp_path, f"training.checkpoint={{dir: {ckpt}, every: 1, keep: 100}}")
    checkpointed = train(build(spec, REGISTRY), pm=PM)
    assert checkpointed.stopped_early_at == 45
    for epoch in (3, 20, 33, 34, 36, 40, 44, 45):  # before, at and after the best epoch; 45: where it stopped
        path = ckpt / f"epoch-{epoch:06d}.ckpt"
        experiment = build(spec_with(tmp_path), REGISTRY)
        arrays, meta = load_checkpoint(path)
        run = train(experiment, pm=PM, resume=restore(experiment, arrays, meta, str(path)))
        assert (run.best_epoch, run.stopped_early_at) == (33, 45), f"resumed from epoch {epoch}"
        weights = run.experiment.network.state_arrays()
        assert all(np.array_equal(weights[k], expected[k]) for k in expected), f"resumed from epoch {epoch}"
        assert run.final_metrics == reference.final_metrics


def test_patience_counts_epochs_not_logs(tmp_path: Path) -> None:
    for log_every in (1, 3, 7):
        run = train(build(spec_with(tmp_path, f"training.log_every={log_every}"), REGISTRY), pm=PM)
        assert run.best_epoch is not None and run.stopped_early_at is not None
        waited = run.stopped_early_at - run.best_epoch
        assert 10 <= waited < 10 + log_every, (log_every, run.best_epoch, run.stopped_early_at)


def test_resuming_with_fewer_epochs_than_the_checkpoint_is_an_error(tmp_path: Path) -> None:
    ckpt = tmp_path / "ckpt"
    train(
        build(spec_with(tmp_path, "training.epochs=20", f"training.checkpoint={{dir: {ckpt}, every: 10}}"), REGISTRY),
        pm=PM,
    )
    experiment = build(spec_with(tmp_path, "training.epochs=12"), REGISTRY)
    arrays, meta = load_checkpoint(ckpt / "epoch-000020.ckpt")
    with pytest.raises(NNError) as err:
        restore(experiment, arrays, meta, "ck/epoch-000020.ckpt")
    assert str(err.value) == (
        "checkpoint ck/epoch-000020.ckpt is at epoch 20 but training.epochs is 12: resuming would train nothing "
        "(raise it, e.g. --set training.epochs=40)"
    )
    # as many epochs as the checkpoint has: allowed, and nothing more is trained
    experiment = build(spec_with(tmp_path, "training.epochs=20"), REGISTRY)
    run = train(experiment, pm=PM, resume=restore(experiment, arrays, meta, "ck"))
    assert run.epoch == 20


def test_crafted_early_stopping_state_is_a_one_line_error(tmp_path: Path) -> None:
    ckpt = tmp_path / "ckpt"
    train(
        build(spec_with(tmp_path, "training.epochs=20", f"training.checkpoint={{dir: {ckpt}, every: 10}}"), REGISTRY),
        pm=PM,
    )
    arrays, meta = read_archive(ckpt / "epoch-000010.ckpt", "checkpoint")
    for change, reason in (
        ({"best_epoch": -1}, "ValueError: early_stopping.best_epoch is -1"),
        ({"best": "low"}, "ValueError: early_stopping.best is 'low'"),
    ):
        bad = tmp_path / "bad.ckpt"
        state = {**meta, "callbacks": {"early_stopping": {**meta["callbacks"]["early_stopping"], **change}}}
        write_archive(
            bad, "checkpoint", arrays, {k: v for k, v in state.items() if k not in ("format", "format_version", "kind")}
        )
        experiment = build(spec_with(tmp_path), REGISTRY)
        with pytest.raises(ModelFileError) as err:
            train(experiment, pm=PM, resume=restore(experiment, *load_checkpoint(bad), str(bad)))
        assert str(err.value) == f"checkpoint {bad} is inconsistent: {reason}"
    wrong = {k: v for k, v in arrays.items() if not k.startswith("callbacks/")}
    wrong["callbacks/early_stopping/layers.0.weight"] = np.zeros((7, 7))
    write_archive(
        tmp_path / "bad.ckpt",
        "checkpoint",
        wrong,
        {k: v for k, v in meta.items() if k not in ("format", "format_version", "kind")},
    )
    with pytest.raises(ModelFileError, match="callbacks.early_stopping holds weights that do not fit this network"):
        restore(build(spec_with(tmp_path), REGISTRY), *load_checkpoint(tmp_path / "bad.ckpt"), "bad.ckpt")
