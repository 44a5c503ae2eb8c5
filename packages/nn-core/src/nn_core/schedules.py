"""Learning-rate schedules, one set for every backend: ``lr(base_lr, epoch)``, epochs from 0.

The training loop sets ``optimizer.lr = schedule.lr(base_lr, epoch)`` before
each epoch (never per minibatch), so epoch 0 trains at ``base_lr`` for every
schedule here. Plain Python arithmetic: a schedule returns a Python float,
which never changes the dtype of the arrays it scales.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from nn_core.contracts import Schedule


class HostSchedule(Schedule):
    backend: ClassVar[str | None] = None
    params_schema: ClassVar[dict[str, Any]] = {"type": "object", "properties": {}}


_GAMMA = {"type": "number", "exclusiveMinimum": 0, "maximum": 1}


class Constant(HostSchedule):
    """The optimizer's ``lr`` at every epoch (the same as no schedule)."""

    name = "constant"

    def lr(self, base_lr: float, epoch: int) -> float:
        return float(base_lr)


class Step(HostSchedule):
    """lr · gamma^⌊epoch / step_size⌋: divide the rate every ``step_size`` epochs."""

    name = "step"
    params_schema = {
        "type": "object",
        "properties": {
            "step_size": {"type": "integer", "minimum": 1, "description": "epochs between decays"},
            "gamma": {**_GAMMA, "default": 0.1, "description": "factor applied at each decay"},
        },
        "required": ["step_size"],
    }

    def __init__(self, *, step_size: int, gamma: float = 0.1) -> None:
        self.step_size, self.gamma = step_size, gamma

    def lr(self, base_lr: float, epoch: int) -> float:
        return float(base_lr * self.gamma ** (epoch // self.step_size))


class Exponential(HostSchedule):
    """lr · gamma^epoch: a smooth geometric decay."""

    name = "exponential"
    params_schema = {
        "type": "object",
        "properties": {"gamma": {**_GAMMA, "default": 0.99, "description": "factor per epoch"}},
    }

    def __init__(self, *, gamma: float = 0.99) -> None:
        self.gamma = gamma

    def lr(self, base_lr: float, epoch: int) -> float:
        return float(base_lr * self.gamma**epoch)


class InverseTime(HostSchedule):
    """lr / (1 + decay · epoch): the 1/t annealing tutorial 003 suggests (cs231n)."""

    name = "inverse_time"
    params_schema = {
        "type": "object",
        "properties": {
            "decay": {
                "type": "number",
                "minimum": 0,
                "default": 0.01,
                "description": "k in lr / (1 + k·epoch)",
            },
        },
    }

    def __init__(self, *, decay: float = 0.01) -> None:
        self.decay = decay

    def lr(self, base_lr: float, epoch: int) -> float:
        return float(base_lr / (1 + self.decay * epoch))


class Cosine(HostSchedule):
    """Cosine annealing from lr down to ``min_lr`` over ``t_max`` epochs, then held at ``min_lr``.

    lr(t) = min_lr + (lr − min_lr) · (1 + cos(π · min(t, t_max) / t_max)) / 2
    (SGDR without restarts; Loshchilov & Hutter 2017).
    """

    name = "cosine"
    params_schema = {
        "type": "object",
        "properties": {
            "t_max": {"type": "integer", "minimum": 1, "description": "epochs to anneal over"},
            "min_lr": {"type": "number", "minimum": 0, "default": 0.0, "description": "final learning rate"},
        },
        "required": ["t_max"],
    }

    def __init__(self, *, t_max: int, min_lr: float = 0.0) -> None:
        self.t_max, self.min_lr = t_max, min_lr

    def lr(self, base_lr: float, epoch: int) -> float:
        progress = min(epoch, self.t_max) / self.t_max
        return float(self.min_lr + (base_lr - self.min_lr) * (1 + math.cos(math.pi * progress)) / 2)


SCHEDULES = [Constant, Step, Exponential, InverseTime, Cosine]
