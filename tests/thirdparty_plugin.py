"""An outsider's plugin written against docs/plugins.md alone (issue 13's audit): one component of each plain kind."""

from __future__ import annotations

import json
import math
from typing import Any, ClassVar

import numpy as np

from nn_core.contracts import (
    Activation,
    Callback,
    Data,
    Dataset,
    Initializer,
    Loss,
    Metric,
    Schedule,
    StepOptimizer,
)
from nn_core.errors import DataError
from nn_core.hookspecs import hookimpl


class ISRU(Activation):
    """Inverse square root unit, z / sqrt(1 + alpha·z²): a smooth tanh-like squashing.

    Its derivative is (1 + alpha·z²)^(-3/2).
    """

    name: ClassVar[str] = "isru"
    backend: ClassVar[str] = "numpy"
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "alpha": {
                "type": "number",
                "exclusiveMinimum": 0,
                "default": 1.0,
                "description": "the output saturates at ±1/sqrt(alpha)",
            },
        },
    }

    def __init__(self, *, alpha: float = 1.0) -> None:
        self.alpha = float(alpha)

    def forward(self, Z, out):
        np.square(Z, out=out)
        out *= self.alpha
        out += 1
        np.sqrt(out, out=out)
        return np.divide(Z, out, out=out)

    def backward(self, Z, A, dA, out):
        np.square(Z, out=out)
        out *= self.alpha
        out += 1
        np.power(out, -1.5, out=out)
        return np.multiply(dA, out, out=out)


class Huber(Loss):
    """Huber loss: squared error below `delta`, absolute error above, averaged over samples."""

    name: ClassVar[str] = "huber"
    backend: ClassVar[str] = "numpy"
    fused_activation: ClassVar[str | None] = None
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "delta": {
                "type": "number",
                "exclusiveMinimum": 0,
                "default": 1.0,
                "description": "where the loss turns from quadratic to linear",
            },
        },
    }

    def __init__(self, *, delta: float = 1.0) -> None:
        self.delta = float(delta)

    def prepare_targets(self, y, outputs, dtype):
        y = np.asarray(y)
        if y.ndim == 1:
            y = y.reshape(-1, 1)
        if y.ndim != 2 or y.shape[1] != outputs:
            raise DataError(f"huber: targets of shape {y.shape} do not fit an output layer of {outputs} units")
        return y.astype(dtype)

    def value(self, Z, A, Y, fused):
        r = np.abs(A - Y)
        q = np.minimum(r, self.delta)
        return float(np.sum(0.5 * q * q + self.delta * (r - q)) / A.shape[0])

    def gradient(self, Z, A, Y, fused):
        d = A - Y
        return np.clip(d, -self.delta, self.delta) / A.shape[0]


class AdaBelief(StepOptimizer):
    """AdaBelief (Zhuang et al. 2020): Adam whose second moment tracks (g - m)², the 'belief' in the gradient."""

    name: ClassVar[str] = "adabelief"
    backend: ClassVar[str] = "numpy"
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "lr": {"type": "number", "exclusiveMinimum": 0, "default": 0.001, "description": "learning rate"},
            "beta1": {
                "type": "number",
                "minimum": 0,
                "exclusiveMaximum": 1,
                "default": 0.9,
                "description": "decay of the first moment",
            },
            "beta2": {
                "type": "number",
                "minimum": 0,
                "exclusiveMaximum": 1,
                "default": 0.999,
                "description": "decay of the belief (centred second moment)",
            },
            "eps": {"type": "number", "exclusiveMinimum": 0, "default": 1e-8, "description": "numerical floor"},
        },
    }

    def __init__(self, *, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        self.lr = float(lr)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)
        self.t = 0

    @staticmethod
    def _arrays(params):
        if isinstance(params, np.ndarray):
            return [params]
        if isinstance(params, dict):
            return list(params.values())
        return list(params)

    def setup(self, params):
        arrays = self._arrays(params)
        self.m = [np.zeros_like(p) for p in arrays]
        self.s = [np.zeros_like(p) for p in arrays]
        self.t = 0

    def step(self, params, grads):
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        c1 = 1.0 - b1**self.t
        c2 = 1.0 - b2**self.t
        for p, g, m, s in zip(self._arrays(params), self._arrays(grads), self.m, self.s, strict=True):
            m *= b1
            m += (1.0 - b1) * g
            d = g - m
            s *= b2
            s += (1.0 - b2) * d * d
            s += self.eps
            p -= self.lr * (m / c1) / (np.sqrt(s / c2) + self.eps)

    def state_dict(self):
        state: dict[str, Any] = {"t": int(self.t)}
        for i, (m, s) in enumerate(zip(self.m, self.s, strict=True)):
            state[f"m.{i}"] = m.copy()
            state[f"s.{i}"] = s.copy()
        return state

    def load_state_dict(self, state):
        self.t = int(state["t"])
        for i in range(len(self.m)):
            self.m[i][...] = state[f"m.{i}"]
            self.s[i][...] = state[f"s.{i}"]


class WarmupCosine(Schedule):
    """Linear warm-up to the base rate over `warmup` epochs, then cosine decay to `floor`·base over `period` epochs."""

    name: ClassVar[str] = "warmup_cosine"
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "warmup": {"type": "integer", "minimum": 0, "default": 5, "description": "epochs of linear warm-up"},
            "period": {
                "type": "integer",
                "minimum": 1,
                "default": 100,
                "description": "epochs of cosine decay after warm-up",
            },
            "floor": {
                "type": "number",
                "minimum": 0,
                "maximum": 1,
                "default": 0.0,
                "description": "final rate as a fraction of the base",
            },
        },
    }

    def __init__(self, *, warmup: int = 5, period: int = 100, floor: float = 0.0) -> None:
        self.warmup, self.period, self.floor = int(warmup), int(period), float(floor)

    def lr(self, base_lr: float, epoch: int) -> float:
        if epoch < self.warmup:
            return base_lr * (epoch + 1) / (self.warmup + 1)
        t = min(epoch - self.warmup, self.period) / self.period
        return base_lr * (self.floor + (1.0 - self.floor) * 0.5 * (1.0 + math.cos(math.pi * t)))


class LecunUniform(Initializer):
    """LeCun uniform: U(-gain·sqrt(3/fan_in), +gain·sqrt(3/fan_in)); a 1-D shape has fan_in 1."""

    name: ClassVar[str] = "lecun_uniform_gain"
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "gain": {"type": "number", "exclusiveMinimum": 0, "default": 1.0, "description": "scale of the limit"}
        },
    }

    def __init__(self, *, gain: float = 1.0) -> None:
        self.gain = float(gain)

    def __call__(self, shape, rng):
        fan_in = shape[1] if len(shape) == 2 else 1
        limit = self.gain * math.sqrt(3.0 / fan_in)
        return rng.uniform(-limit, limit, size=shape)


class BalancedAccuracy(Metric):
    """Balanced accuracy: the mean of per-class recalls (classes absent from y_true are skipped)."""

    name: ClassVar[str] = "balanced_accuracy"
    higher_is_better: ClassVar[bool] = True
    params_schema: ClassVar[dict[str, Any]] = {"type": "object", "properties": {}}

    def compute(self, y_true, proba) -> float:
        y_true = np.asarray(y_true)
        if y_true.ndim != 1 or not np.issubdtype(y_true.dtype, np.integer):
            raise DataError("balanced_accuracy needs integer class labels (a classification dataset)")
        pred = (proba[:, 0] > 0.5).astype(int) if proba.shape[1] == 1 else np.argmax(proba, axis=1)
        recalls = [float(np.mean(pred[y_true == c] == c)) for c in np.unique(y_true)]
        return float(np.mean(recalls))


class Quadrants(Dataset):
    """Points in the plane labelled by quadrant (4 named classes) or, with binary, by XOR of the signs."""

    name: ClassVar[str] = "quadrants"
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "samples": {"type": "integer", "minimum": 4, "default": 400, "description": "number of points"},
            "binary": {"type": "boolean", "default": False, "description": "two classes: same sign / opposite signs"},
            "seed": {"type": "integer", "default": 0, "description": "seed of the draw"},
        },
    }

    def __init__(self, *, samples: int = 400, binary: bool = False, seed: int = 0) -> None:
        self.samples, self.binary, self.seed = samples, binary, seed

    def load(self) -> Data:
        rng = np.random.default_rng(self.seed)
        X = rng.uniform(-1, 1, size=(self.samples, 2))
        right, up = X[:, 0] > 0, X[:, 1] > 0
        if self.binary:
            y = (right != up).astype(np.int64)
            return Data(X, y, classes=["same", "opposite"])
        y = np.select([right & up, ~right & up, ~right & ~up], [0, 1, 2], default=3).astype(np.int64)
        return Data(X, y, classes=["NE", "NW", "SW", "SE"])


class SineWave(Dataset):
    """Regression toy: y = sin(x) (and cos(x) with outputs 2) plus Gaussian noise, x in [-pi, pi]."""

    name: ClassVar[str] = "sine_wave"
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "samples": {"type": "integer", "minimum": 2, "default": 200, "description": "number of points"},
            "noise": {
                "type": "number",
                "minimum": 0,
                "default": 0.05,
                "description": "standard deviation of the noise",
            },
            "outputs": {"type": "integer", "enum": [1, 2], "default": 1, "description": "1: sin; 2: sin and cos"},
            "seed": {"type": "integer", "default": 0, "description": "seed of the draw"},
        },
    }

    def __init__(self, *, samples: int = 200, noise: float = 0.05, outputs: int = 1, seed: int = 0) -> None:
        self.samples, self.noise, self.outputs, self.seed = samples, noise, outputs, seed

    def load(self) -> Data:
        rng = np.random.default_rng(self.seed)
        x = rng.uniform(-math.pi, math.pi, size=(self.samples, 1))
        y = np.sin(x[:, 0]) if self.outputs == 1 else np.column_stack([np.sin(x[:, 0]), np.cos(x[:, 0])])
        y = y + rng.normal(0, self.noise, size=y.shape)
        return Data(X=x, y=y.astype(np.float64))


class RunReport(Callback):
    """Write a JSON report of the run (seed, epochs, logged losses, final weight norms) when training ends."""

    name: ClassVar[str] = "run_report"
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {"path": {"type": "string", "minLength": 1, "description": "where to write the JSON report"}},
        "required": ["path"],
    }

    def __init__(self, *, path: str) -> None:
        self.path = path
        self.starts = 0
        self.epoch_ends = 0

    @hookimpl
    def nn_train_start(self, run):
        self.starts += 1
        self.start_epoch = run.epoch

    @hookimpl
    def nn_epoch_end(self, run, epoch, metrics):
        self.epoch_ends += 1
        return False

    @hookimpl
    def nn_train_end(self, run):
        weights = run.experiment.network.state_arrays()
        report = {
            "seed": run.spec.seed,
            "backend": run.spec.backend,
            "epochs_planned": run.spec.training.epochs,
            "epoch": run.epoch,
            "epoch_end_calls": self.epoch_ends,
            "start_epoch": self.start_epoch,
            "logged": [{"epoch": h["epoch"], "train_loss": h["train"]["loss"]} for h in run.history],
            "weight_norms": {k: float(np.linalg.norm(v)) for k, v in weights.items()},
            "splits": {k: int(len(s.data.X)) for k, s in run.experiment.splits.items() if s is not None},
            "classes": None if run.experiment.classes is None else list(run.experiment.classes),
        }
        with open(self.path, "w") as f:
            json.dump(report, f, indent=1)


@hookimpl
def nn_contract_version() -> int:
    return 2


@hookimpl
def nn_components() -> list[type]:
    return [ISRU, Huber, AdaBelief, WarmupCosine, LecunUniform, BalancedAccuracy, Quadrants, SineWave, RunReport]
