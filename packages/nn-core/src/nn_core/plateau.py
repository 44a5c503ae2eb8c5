"""``schedule: {type: plateau, monitor: dev.loss}``: lower the lr when a monitored metric stalls.

Keras's ``ReduceLROnPlateau`` (which counts patience as this does; PyTorch's
reduces one epoch later, when the stall *exceeds* patience): when
``monitor`` has not improved by ``min_delta`` for ``patience`` epochs, the
learning rate is multiplied by ``factor`` (never below ``min_lr``), then
``cooldown`` epochs pass before the next reduction can be considered.

Metrics exist only at log points (``training.log_every``), so the schedule
looks at the metric there; patience counts epochs, like early stopping's.
The training loop hands each logged epoch's metrics to
:meth:`Plateau.observe`. The schedule's state is a function of the run's
history, so a resumed run replays the history it resumes from and continues
exactly as the uninterrupted run would.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar, Protocol, runtime_checkable

from nn_core.errors import NNError
from nn_core.schedules import HostSchedule


@runtime_checkable
class ObservesMetrics(Protocol):
    """A schedule that adapts to the metrics logged during training."""

    def observe(self, epoch: int, metrics: dict[str, dict[str, float]], experiment: Any) -> None: ...


class Plateau(HostSchedule):
    """lr · factor^k, where k counts the times ``monitor`` stalled for ``patience`` epochs (min_lr floor)."""

    name: ClassVar[str] = "plateau"
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "monitor": {
                "type": "string",
                "pattern": "^(train|dev|test)\\.[A-Za-z_][A-Za-z0-9_]*$",
                "default": "dev.loss",
                "description": "split.metric to watch, e.g. dev.loss or dev.accuracy",
            },
            "factor": {
                "type": "number",
                "exclusiveMinimum": 0,
                "exclusiveMaximum": 1,
                "default": 0.1,
                "description": "multiply the lr by this at each reduction",
            },
            "patience": {
                "type": "integer",
                "minimum": 1,
                "default": 10,
                "description": "epochs without improvement before a reduction",
            },
            "min_delta": {"type": "number", "minimum": 0, "default": 0.0, "description": "smallest improvement"},
            "cooldown": {"type": "integer", "minimum": 0, "default": 0, "description": "epochs to wait after one"},
            "min_lr": {"type": "number", "minimum": 0, "default": 0.0, "description": "the lr never goes below"},
        },
    }

    def __init__(
        self,
        *,
        monitor: str = "dev.loss",
        factor: float = 0.1,
        patience: int = 10,
        min_delta: float = 0.0,
        cooldown: int = 0,
        min_lr: float = 0.0,
    ) -> None:
        self.monitor, self.factor, self.patience = monitor, factor, patience
        self.min_delta, self.cooldown, self.min_lr = min_delta, cooldown, min_lr
        self.split, _, self.metric = monitor.partition(".")
        self.reductions = 0
        self.best: float | None = None
        self.since = 0  # epoch of the best value, or of the last reduction
        self.cooling_until = -1
        self.higher_is_better: bool | None = None

    def lr(self, base_lr: float, epoch: int) -> float:
        return float(max(base_lr * self.factor**self.reductions, min(self.min_lr, base_lr)))

    def _direction(self, experiment: Any) -> bool:
        if self.split not in experiment.splits:
            hint = f" (set data.split.{self.split})" if self.split != "train" else ""
            raise NNError(f"schedule.monitor is {self.monitor!r} but there is no {self.split} split{hint}")
        if self.metric == "loss":
            return False
        metric = experiment.metrics.get(self.metric)
        if metric is None:
            logged = ", ".join(["loss", *experiment.metrics])
            raise NNError(
                f"schedule.monitor is {self.monitor!r} but {self.metric!r} is not in metrics (logged: {logged})"
            )
        return bool(metric.higher_is_better)

    def observe(self, epoch: int, metrics: dict[str, dict[str, float]], experiment: Any) -> None:
        """Take the metrics logged at ``epoch``; reduce the lr when the monitored one has stalled."""
        if self.higher_is_better is None:
            self.higher_is_better = self._direction(experiment)
        value = float(metrics[self.split][self.metric])
        if math.isnan(value):
            return
        sign = 1.0 if self.higher_is_better else -1.0
        if self.best is None or sign * (value - self.best) > self.min_delta:
            self.best, self.since = value, epoch
            return
        if epoch <= self.cooling_until:
            self.since = epoch
            return
        if epoch - self.since >= self.patience:
            self.reductions += 1
            self.since = epoch
            self.cooling_until = epoch + self.cooldown
