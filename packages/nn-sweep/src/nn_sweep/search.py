"""Which parameter values each trial gets: every combination (grid) or seeded random draws.

A draw is a mapping ``{"optimizer.lr": 0.013, "model.layers[0].units": 8}``:
paths as ``nn train --set`` takes them. Random search draws every parameter
from ``numpy.random.default_rng(seed)`` in the sweep file's order, so the same
file gives the same trials on every machine. ``tpe`` (Optuna's Tree-structured
Parzen Estimator) proposes trials from the results so far: see
:class:`TpeSearch`.
"""

from __future__ import annotations

import itertools
import math
from typing import Any, Literal

import numpy as np

from nn_core.errors import NNError
from nn_sweep.sweepfile import Domain, Sweep

Assignment = dict[str, Any]


def _plain(value: Any) -> Any:
    """numpy scalars to Python ones (specs and trials.jsonl hold JSON values)."""
    return value.item() if isinstance(value, np.generic) else value


def grid(params: tuple[Domain, ...]) -> list[Assignment]:
    """Every combination, the last parameter varying fastest."""
    names = [d.path for d in params]
    values = [d.choices or () for d in params]
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*values)]


def draw(domain: Domain, rng: np.random.Generator) -> Any:
    if domain.choices is not None:
        return _plain(domain.choices[int(rng.integers(len(domain.choices)))])
    if domain.log:
        return float(math.exp(rng.uniform(math.log(domain.low), math.log(domain.high))))
    return float(rng.uniform(domain.low, domain.high))


def random(params: tuple[Domain, ...], trials: int, seed: int) -> list[Assignment]:
    rng = np.random.default_rng([seed, 7])
    return [{d.path: draw(d, rng) for d in params} for _ in range(trials)]


def assignments(sweep: Sweep) -> list[Assignment]:
    """The trials of a grid or random sweep, in order (tpe proposes them as results come in)."""
    if sweep.search == "grid":
        return grid(sweep.params)
    if sweep.search == "random":
        assert sweep.trials is not None
        return random(sweep.params, sweep.trials, sweep.seed)
    raise NNError(f"search type {sweep.search} proposes trials one at a time; use TpeSearch")


def as_override(path: str, value: Any) -> str:
    """``--set`` text for one value (JSON is YAML, so lists and strings survive)."""
    import json

    return f"{path}={json.dumps(value)}"


class TpeSearch:
    """Optuna's TPE sampler through its ask/tell interface; needs ``pip install optuna``."""

    def __init__(self, sweep: Sweep) -> None:
        try:
            import optuna
        except ImportError:
            raise NNError(
                "search type tpe needs Optuna, which is not installed: pip install 'nn-sweep[tpe]' "
                "(or use search type random)"
            ) from None
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.optuna = optuna
        direction: Literal["maximize", "minimize"] = "maximize" if sweep.objective_mode == "max" else "minimize"
        sampler = optuna.samplers.TPESampler(seed=sweep.seed)
        self.study = optuna.create_study(direction=direction, sampler=sampler)
        self.params = sweep.params
        self.pending: dict[int, Any] = {}

    def ask(self) -> tuple[int, Assignment]:
        trial = self.study.ask()
        values: Assignment = {}
        for d in self.params:
            if d.choices is not None:
                index = trial.suggest_categorical(d.path, list(range(len(d.choices))))
                values[d.path] = _plain(d.choices[index])
            else:
                values[d.path] = trial.suggest_float(d.path, d.low, d.high, log=d.log)
        self.pending[trial.number] = trial
        return trial.number, values

    def tell(self, number: int, value: float | None) -> None:
        trial = self.pending.pop(number)
        if value is None or not math.isfinite(value):
            self.study.tell(trial, state=self.optuna.trial.TrialState.FAIL)
        else:
            self.study.tell(trial, value)
