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
        self.trials = trials
        self.position = 0

    def next(self) -> list[Trial] | None:
        if self.position == len(self.trials):
            return None
        self.position += 1
        return [self.trials[self.position - 1]]

    def finished(self, trial: Trial, record: dict[str, Any]) -> None:
        pass


class Proposed:
    """Optuna TPE: a proposal (all its folds) is submitted when a worker is free, told its objective when done.

    Each proposal is resolved and validated before it is submitted; one that
    makes the spec invalid is recorded and told to Optuna as failed. A
    proposal whose resolved spec has run already (in this sweep, or in an
    earlier run of it with ``--resume``) is told that result instead of
    running again; one whose spec is running now is told its result when it
    finishes. Every proposal counts towards ``search.trials``.
    """

    def __init__(self, sweep: Sweep, registry: Any, earlier: dict[str, dict[str, Any]], capacity: int) -> None:
        self.sweep, self.registry = sweep, registry
        self.search = TpeSearch(sweep)
        self.capacity = capacity
        self.asked = 0
        self.earlier: dict[str, list[dict[str, Any]]] = {}  # spec hash -> records of its finished folds
        for record in earlier.values():
            self.earlier.setdefault(record["spec_hash"], []).append(record)
        self.running: dict[str, tuple[list[int], list[dict[str, Any]], int]] = {}
        """spec hash -> (Optuna trial numbers waiting for it, records so far, folds)."""

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
            digest = trials[0].spec_hash
            if trials[0].invalid is not None:
                self.search.tell(number, None)
                return trials
            if len(self.earlier.get(digest, [])) == len(trials):  # this spec has run, every fold of it
                self.search.tell(number, self._objective(self.earlier[digest]))
                continue
            if digest in self.running:  # proposed again while it runs: told when it finishes
                self.running[digest][0].append(number)
                continue
            done = self.earlier.get(digest, [])  # some folds finished in an earlier run: only the rest run
            finished_keys = {r["key"] for r in done}
            self.running[digest] = ([number], list(done), len(trials))
            return [t for t in trials if t.key not in finished_keys]
        return None

    def finished(self, trial: Trial, record: dict[str, Any]) -> None:
        if trial.spec_hash not in self.running:
            return
        numbers, records, folds = self.running[trial.spec_hash]
        records.append(record)
        if len(records) == folds:
            del self.running[trial.spec_hash]
            self.earlier[trial.spec_hash] = records
            value = self._objective(records)
            for number in numbers:
                self.search.tell(number, value)
