"""A training run's state, and evaluation of an experiment on its splits.

Its own module so that the training loop, the built-in callbacks, the
checkpointer and model files all depend on it and not on each other (nn-core
0.1 had an import cycle training ↔ callbacks ↔ checkpoint ↔ model).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nn_core.contracts import ScoresInOnePass
from nn_core.errors import DataError, PluginError
from nn_core.experiment import Experiment

Metrics = dict[str, dict[str, float]]


@dataclass(repr=False)
class Run:
    """A training run in progress: what lifecycle hooks receive.

    A callback may read ``spec``, ``experiment`` (network, optimizer,
    schedule, metrics, splits, classes), ``epoch`` (epochs completed),
    ``history`` (one dict per logged epoch, ``{"epoch": e, "train": {"loss":
    ...}, "dev": {...}}``) and set ``stop_requested``.
    """

    experiment: Experiment
    history: list[dict[str, Any]] = field(default_factory=list)
    epoch: int = 0
    """Epochs completed."""
    stop_requested: bool = False
    train_seconds: float = 0.0
    final: Metrics | None = None
    """Metrics after training when they differ from the last log (best weights restored)."""
    best_epoch: int | None = None
    stopped_early_at: int | None = None
    stop_reason: str | None = None
    """Why training ended before ``training.epochs``, or how a closure minimizer
    (bfgs, lbfgs) stopped: ``converged: gradient norm 3e-09 below tolerance after 37 iterations``."""
    blas: dict[str, Any] = field(default_factory=dict)
    """The BLAS library and thread count training ran with (weights depend on them)."""
    stateful: dict[str, Any] = field(default_factory=dict)
    """Callbacks whose state goes into checkpoints (``checkpoint_state``/``load_checkpoint_state``), by name."""

    def __repr__(self) -> str:
        """Short, for NN_TRACE_HOOKS lines: the experiment holds whole datasets."""
        return f"Run(spec={self.experiment.spec.name!r}, epoch={self.epoch}, logged={len(self.history)})"

    @property
    def spec(self) -> Any:
        return self.experiment.spec

    @property
    def final_metrics(self) -> Metrics:
        if self.final is not None:
            return self.final
        last = self.history[-1] if self.history else {}
        return {k: v for k, v in last.items() if k != "epoch"}


def compute_metric(name: str, metric: Any, y_true: Any, proba: Any) -> float:
    """``metric.compute`` as a Python float, with a metric's refusal (``DataError``) naming
    the metric in the spec. A numpy scalar (``np.float32``) is converted here: left as
    it is, it failed later in whatever wrote JSON (``training.log``, the model file),
    which was then blamed."""
    try:
        result = metric.compute(y_true, proba)
    except DataError as exc:
        raise DataError(f"metrics: {name}: {exc}") from exc
    if isinstance(result, np.ndarray) and result.ndim == 0:
        result = result[()]
    if isinstance(result, (bool, np.bool_)) or not isinstance(result, numbers.Real):
        raise PluginError(f"metric {name!r} returned {type(result).__name__} {result!r:.40}, not a number")
    return float(result)


def loss_and_proba(network: Any, X: Any, Y: Any) -> tuple[float, np.ndarray]:
    """The loss and the outputs, from one forward pass when the network offers it (ScoresInOnePass)."""
    if isinstance(network, ScoresInOnePass):
        return network.loss_and_proba(X, Y)
    return network.loss(X, Y), network.predict_proba(X)


def evaluate(experiment: Experiment, splits: tuple[str, ...] | None = None) -> Metrics:
    """Loss and every metric on each split, in evaluation mode."""
    network = experiment.network
    results: Metrics = {}
    for name, split in experiment.splits.items():
        if splits is not None and name not in splits:
            continue
        if not experiment.metrics:
            results[name] = {"loss": network.loss(split.X, split.Y)}
            continue
        loss, proba = loss_and_proba(network, split.X, split.Y)
        scores = {"loss": loss}
        for metric_name, metric in experiment.metrics.items():
            scores[metric_name] = compute_metric(metric_name, metric, split.data.y, proba)
        results[name] = scores
    return results
