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

from nn_core.experiment import Experiment
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


class _EnoughIterations(Exception):
    """Raised from the quasi-Newton callback once ``training.epochs`` is reached."""


class _Loop:
    """One training run's state between epochs; the per-step path is ``_epoch``."""

    def __init__(self, run: Run, hooks: Any, on_log: Callable[[Run, Metrics], None] | None) -> None:
        self.run = run
        self.hooks = hooks
        self.on_log = on_log
        experiment = run.experiment
        self.network, self.optimizer = experiment.network, experiment.optimizer
        self.schedule = experiment.schedule
        self.training = experiment.spec.training
        train_split = experiment.splits["train"]
        self.X, self.Y = train_split.X, train_split.Y
        self.n = len(train_split.data.y)
        self.batch_size = min(self.training.batch_size or self.n, self.n)
        self.shuffle_rng = np.random.default_rng([experiment.spec.seed, 2])
        self.base_lr = getattr(self.optimizer, "lr", None)
        # Dispatch to plugins only if some plugin listens: zero cost otherwise.
        has_epoch_hooks = hooks is not None and hooks.nn_epoch_end.get_hookimpls()
        self.epoch_end = hooks.nn_epoch_end if has_epoch_hooks else None
        self.buffers: dict[int, tuple[Any, Any]] = {}

    def log(self) -> Metrics:
        metrics = evaluate(self.run.experiment)
        _check_finite(self.run, metrics)
        self.run.history.append({"epoch": self.run.epoch, **metrics})
        if self.on_log is not None:
            self.on_log(self.run, metrics)
        return metrics

    def _epoch(self) -> None:
        network, optimizer = self.network, self.optimizer
        if self.batch_size == self.n:
            # Shuffling a full batch changes only summation order: no gather, no copy.
            network.train_step(self.X, self.Y, optimizer)
            return
        order = self.shuffle_rng.permutation(self.n) if self.training.shuffle else np.arange(self.n)
        for start in range(0, self.n, self.batch_size):
            index = order[start : start + self.batch_size]
            # The last batch may be smaller: it keeps buffers of its own.
            xb, yb = self.buffers.get(len(index), (None, None))
            xb, yb = network.batch(self.X, index, xb), network.batch(self.Y, index, yb)
            self.buffers[len(index)] = (xb, yb)
            network.train_step(xb, yb, optimizer)

    def epochs(self) -> None:
        run, training = self.run, self.training
        for epoch in range(1, training.epochs + 1):
            run.epoch = epoch
            if self.schedule is not None and self.base_lr is not None:
                self.optimizer.lr = self.schedule.lr(self.base_lr, epoch - 1)
            self._epoch()
            if not self.network.is_finite():
                _check_finite(run, None)
            logged = epoch % training.log_every == 0 or epoch == training.epochs
            metrics = self.log() if logged else None
            if self.epoch_end is not None and any(self.epoch_end(run=run, epoch=epoch, metrics=metrics)):
                run.stop_requested = True
            if run.stop_requested:
                if not logged:
                    self.log()
                return

    def minimize(self) -> None:
        """Full-batch quasi-Newton training: one iteration counts as one epoch."""
        run, network = self.run, self.network

        def callback(flat: Any) -> None:
            network.flat_params[...] = flat
            run.epoch += 1
            if not network.is_finite():
                _check_finite(run, None)
            if run.epoch % self.training.log_every == 0:
                self.log()
            if run.epoch >= self.training.epochs:
                raise _EnoughIterations

        def fun(flat: Any) -> tuple[float, Any]:
            return network.loss_and_gradient(flat, self.X, self.Y)

        try:
            network.flat_params[...] = self.optimizer.minimize(fun, network.flat_params.copy(), callback)
        except _EnoughIterations:
            pass
        if run.history[-1]["epoch"] != run.epoch:
            self.log()


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
    run = Run(experiment)
    loop = _Loop(run, hooks, on_log)
    if hooks is not None:
        hooks.nn_train_start(run=run)
    # Overflow inside a diverging step is reported by the finiteness guard, with
    # the epoch and a hint, instead of as a numpy warning per operation.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        loop.log()
        started = time.perf_counter()
        if getattr(experiment.optimizer, "full_batch", False):
            loop.minimize()
        else:
            loop.epochs()
        run.train_seconds = time.perf_counter() - started
    if hooks is not None:
        hooks.nn_train_end(run=run)
    return run
