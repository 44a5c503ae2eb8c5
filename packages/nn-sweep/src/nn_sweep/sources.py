"""Where a sweep's trials come from: a list made in advance (grid, random), or Optuna's proposals (tpe)."""

from __future__ import annotations

from typing import Any

from nn_sweep.report import objective_value
from nn_sweep.search import TpeSearch
from nn_sweep.sweepfile import Sweep
from nn_sweep.trials import Trial, resolve


class Planned:
    """Trials known in advance (grid, random): everything submitted at once, Dask queues it."""

    capacity = None

    def __init__(self, trials: list[Trial]) -> None:
        self.trials = list(trials)

    def next(self) -> list[Trial] | None:
        return [self.trials.pop(0)] if self.trials else None

    def finished(self, trial: Trial, record: dict[str, Any]) -> None:
        pass


class Proposed:
    """Optuna TPE: a proposal (all its folds) is submitted when a worker is free, told its objective when done.

    Each proposal is resolved and validated before it is submitted; one that
    makes the spec invalid is recorded and told to Optuna as failed. With
    ``--resume``, a proposal whose every fold finished before is told its
    recorded result instead of running again.
    """

    def __init__(self, sweep: Sweep, registry: Any, earlier: dict[str, dict[str, Any]], capacity: int) -> None:
        self.sweep, self.registry, self.earlier = sweep, registry, earlier
        self.search = TpeSearch(sweep)
        self.capacity = capacity
        self.asked = 0
        self.waiting: dict[str, tuple[int, list[dict[str, Any]], int]] = {}  # spec hash -> (number, records, folds)
        self.replayed: list[dict[str, Any]] = []

    def _objective(self, records: list[dict[str, Any]]) -> float | None:
        values = [objective_value(r, self.sweep.objective_metric) for r in records if r.get("status") == "ok"]
        if len(values) != len(records) or any(v is None for v in values):
            return None
        return sum(v for v in values if v is not None) / len(values)

    def next(self) -> list[Trial] | None:
        while self.asked < (self.sweep.trials or 0):
            self.asked += 1
            number, assignment = self.search.ask()
            trials = resolve(self.sweep, number, assignment, self.registry)
            done = [self.earlier.get(t.key) for t in trials]
            if all(r is not None for r in done):  # finished in an earlier run of this sweep
                self.search.tell(number, self._objective([r for r in done if r is not None]))
                continue
            if trials[0].invalid is not None:
                self.search.tell(number, None)
                return trials
            self.waiting[trials[0].spec_hash] = (number, [], len(trials))
            return trials
        return None

    def finished(self, trial: Trial, record: dict[str, Any]) -> None:
        if trial.spec_hash not in self.waiting:
            return
        number, records, folds = self.waiting[trial.spec_hash]
        records.append(record)
        if len(records) == folds:
            del self.waiting[trial.spec_hash]
            self.search.tell(number, self._objective(records))
