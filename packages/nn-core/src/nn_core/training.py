"""The training loop: backend-agnostic, plugin-free in its inner step.

Per step it only gathers a batch and calls ``network.train_step``; schedules,
finiteness checks and lifecycle hooks run once per epoch, metrics once per
log interval. Epoch 0 is logged before the first update, as the tutorials
print "cost after iteration 0".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nn_core.build import Experiment
from nn_core.errors import TrainingError

Metrics = dict[str, dict[str, float]]


@dataclass
class Run:
    """A training run in progress: what lifecycle hooks receive."""

    experiment: Experiment
    history: list[dict[str, Any]] = field(default_factory=list)
    epoch: int = 0
    stop_requested: bool = False
    train_seconds: float = 0.0

    @property
    def spec(self) -> Any:
        return self.experiment.spec

    @property
    def final_metrics(self) -> Metrics:
        last = self.history[-1] if self.history else {}
        return {k: v for k, v in last.items() if k != "epoch"}


def evaluate(experiment: Experiment, splits: tuple[str, ...] | None = None) -> Metrics:
    """Loss and every metric on each split, in evaluation mode."""
    network = experiment.network
    results: Metrics = {}
    for name, split in experiment.splits.items():
        if splits is not None and name not in splits:
            continue
        scores = {"loss": network.loss(split.X, split.Y)}
        if experiment.metrics:
            proba = network.predict_proba(split.X)
            for metric_name, metric in experiment.metrics.items():
                scores[metric_name] = metric.compute(split.data.y, proba)
        results[name] = scores
    return results


def _check_finite(run: Run, metrics: Metrics | None) -> None:
    finite = run.experiment.network.is_finite()
    if finite and metrics is not None:
        finite = all(np.isfinite(v) for split in metrics.values() for v in split.values())
    if not finite:
        lr = getattr(run.experiment.optimizer, "lr", None)
        hint = f" (optimizer lr is {lr}; try a smaller learning rate)" if lr is not None else ""
        raise TrainingError(f"loss became NaN or infinite at epoch {run.epoch}{hint}")


def train(
    experiment: Experiment,
    *,
    hooks: Any = None,
    on_log: Callable[[Run, Metrics], None] | None = None,
) -> Run:
    """Train ``experiment`` as its spec says; return the finished :class:`Run`.

    ``hooks`` is a pluggy hook relay (``pm.hook``) whose lifecycle hooks are
    called; ``on_log`` receives the metrics at each log interval (progress).
    """
    spec = experiment.spec
    network, optimizer, schedule = experiment.network, experiment.optimizer, experiment.schedule
    training = spec.training
    train_split = experiment.splits["train"]
    X, Y = train_split.X, train_split.Y
    n = len(train_split.data.y)
    batch_size = min(training.batch_size or n, n)
    full_batch = batch_size == n
    shuffle_rng = np.random.default_rng([spec.seed, 2])
    base_lr = getattr(optimizer, "lr", None)
    epoch_end = hooks.nn_epoch_end if hooks is not None and hooks.nn_epoch_end.get_hookimpls() else None

    run = Run(experiment)
    if hooks is not None:
        hooks.nn_train_start(run=run)

    def log() -> Metrics:
        metrics = evaluate(experiment)
        _check_finite(run, metrics)
        run.history.append({"epoch": run.epoch, **metrics})
        if on_log is not None:
            on_log(run, metrics)
        return metrics

    log()
    started = time.perf_counter()
    buffers: dict[int, tuple[Any, Any]] = {}
    order = np.arange(n)
    for epoch in range(1, training.epochs + 1):
        run.epoch = epoch
        if schedule is not None and base_lr is not None:
            optimizer.lr = schedule.lr(base_lr, epoch - 1)
        if full_batch:
            # Shuffling a full batch changes only summation order: no gather, no copy.
            network.train_step(X, Y, optimizer)
        else:
            if training.shuffle:
                order = shuffle_rng.permutation(n)
            for start in range(0, n, batch_size):
                index = order[start : start + batch_size]
                size = len(index)  # the last batch may be smaller: it keeps buffers of its own
                buffers[size] = (
                    network.batch(X, index, buffers.get(size, (None, None))[0]),
                    network.batch(Y, index, buffers.get(size, (None, None))[1]),
                )
                network.train_step(*buffers[size], optimizer)
        if not network.is_finite():
            _check_finite(run, None)
        metrics = log() if epoch % training.log_every == 0 or epoch == training.epochs else None
        if epoch_end is not None and any(epoch_end(run=run, epoch=epoch, metrics=metrics)):
            run.stop_requested = True
        if run.stop_requested:
            if metrics is None:
                log()
            break
    run.train_seconds = time.perf_counter() - started
    if hooks is not None:
        hooks.nn_train_end(run=run)
    return run
