"""nn's built-in training callbacks, plugged into the same lifecycle hooks as any plugin's.

``training.log`` writes each logged epoch's metrics to a CSV or JSON-lines
file; ``training.early_stopping`` stops when a monitored metric stops
improving and restores the best weights.
"""

from __future__ import annotations

import csv
import json
import sys
from typing import IO, Any

from nn_core.errors import NNError
from nn_core.hookspecs import hookimpl
from nn_core.spec.model import EarlyStoppingSpec


def flatten(row: dict[str, Any]) -> dict[str, Any]:
    """``{"epoch": 3, "train": {"loss": .2}}`` → ``{"epoch": 3, "train.loss": .2}``."""
    flat: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, dict):
            flat.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            flat[key] = value
    return flat


class MetricsLogger:
    """Writes the history, one row per logged epoch, to ``path`` (.csv or .jsonl).

    A log that cannot be written any more (a full disk) is a warning, not the
    end of the run: the model being trained matters more than its log.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.file: IO[str] | None = None
        self.writer: Any = None
        self.failed = False

    def _write(self, row: dict[str, Any]) -> None:
        if self.file is None or self.failed:
            return
        flat = flatten(row)
        try:
            if self.path.endswith(".jsonl"):
                self.file.write(json.dumps(flat) + "\n")
            else:
                if self.writer is None:
                    self.writer = csv.DictWriter(self.file, fieldnames=list(flat))
                    self.writer.writeheader()
                self.writer.writerow(flat)
            self.file.flush()
        except OSError as exc:
            self.failed = True
            print(
                f"nn: warning: training.log: cannot write {self.path} ({exc.strerror or exc}) at epoch "
                f"{row.get('epoch')}; training continues, the log stops here",
                file=sys.stderr,
            )

    @hookimpl
    def nn_train_start(self, run: Any) -> None:
        from nn_core.outputs import OutputError, open_log

        try:
            self.file = open_log(self.path, "training.log")
        except OutputError:
            raise
        except OSError as exc:
            raise NNError(f"training.log: cannot write {self.path}: {exc.strerror}") from None
        for row in run.history:
            self._write(row)

    @hookimpl
    def nn_epoch_end(self, run: Any, epoch: int, metrics: Any) -> None:
        if metrics is not None:
            self._write(run.history[-1])

    @hookimpl
    def nn_train_end(self, run: Any) -> None:
        self.close()

    def close(self) -> None:
        if self.file is not None:
            file, self.file = self.file, None
            try:
                file.close()
            except OSError as exc:  # the last rows' flush failed: the run is still good
                if not self.failed:
                    reason = exc.strerror or exc
                    print(f"nn: warning: training.log: cannot write {self.path} ({reason})", file=sys.stderr)


class EarlyStopping:
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs.

    Patience counts epochs, not log points: the metric is read at each logged
    epoch, and the run stops at the first log at least ``patience`` epochs
    after the best one (with ``log_every: 5`` and ``patience: 12``, 15 epochs
    after the best). Its state (best value, epoch and weights) goes into every
    checkpoint, so a resumed run stops where the uninterrupted one would.
    """

    state_name = "early_stopping"

    def __init__(self, spec: EarlyStoppingSpec, experiment: Any) -> None:
        self.spec = spec
        self.split, _, self.metric = spec.monitor.partition(".")
        if self.split not in experiment.splits:
            raise NNError(
                f"training.early_stopping.monitor is {spec.monitor!r} but there is no {self.split} split "
                f"(set data.split.{self.split})"
                if self.split != "train"
                else f"no train split for {spec.monitor!r}"
            )
        if self.metric != "loss" and self.metric not in experiment.metrics:
            raise NNError(
                f"training.early_stopping.monitor is {spec.monitor!r} but {self.metric!r} is not in metrics "
                f"(logged: loss, {', '.join(experiment.metrics) or 'nothing else'})"
            )
        metric = experiment.metrics.get(self.metric)
        self.higher_is_better = bool(metric is not None and metric.higher_is_better)
        self.best: float | None = None
        self.best_epoch = 0
        self.best_state: dict[str, Any] | None = None
        self.restored = False

    def _improved(self, value: float) -> bool:
        if self.best is None:
            return True
        if self.higher_is_better:
            return value > self.best + self.spec.min_delta
        return value < self.best - self.spec.min_delta

    @hookimpl
    def nn_train_start(self, run: Any) -> None:
        if run.history and not self.restored:
            self._consider(run, run.history[-1]["epoch"], run.history[-1])
        elif self._stopped_at_resume(run):
            run.stopped_early_at = run.epoch
            run.stop_requested = True

    def _stopped_at_resume(self, run: Any) -> bool:
        """Resumed from the checkpoint of the very epoch the run stopped at: it stays stopped."""
        logged_now = bool(run.history) and run.history[-1]["epoch"] == run.epoch
        return self.restored and logged_now and run.epoch - self.best_epoch >= self.spec.patience

    def _consider(self, run: Any, epoch: int, metrics: dict[str, Any]) -> bool:
        value = float(metrics[self.split][self.metric])
        if self._improved(value):
            self.best, self.best_epoch = value, epoch
            if self.spec.restore_best:
                self.best_state = run.experiment.network.state_arrays()
            return False
        return epoch - self.best_epoch >= self.spec.patience

    @hookimpl
    def nn_epoch_end(self, run: Any, epoch: int, metrics: Any) -> bool | None:
        if metrics is None:
            return None
        if self._consider(run, epoch, metrics):
            run.stopped_early_at = epoch
            return True
        return None

    @hookimpl
    def nn_train_end(self, run: Any) -> None:
        if self.best_state is not None and self.best_epoch != run.epoch:
            run.experiment.network.load_state_arrays(self.best_state)
            run.best_epoch = self.best_epoch
            from nn_core.run import evaluate

            run.final = evaluate(run.experiment)

    # -- checkpoint state ------------------------------------------------------------------------

    def checkpoint_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """(arrays, JSON metadata) that :meth:`load_checkpoint_state` turns back into this state."""
        meta = {"best": self.best, "best_epoch": self.best_epoch, "monitor": self.spec.monitor}
        return dict(self.best_state or {}), meta

    def load_checkpoint_state(self, arrays: dict[str, Any], meta: dict[str, Any]) -> None:
        """Raises ValueError/TypeError for a state that cannot be this callback's."""
        best, best_epoch = meta["best"], meta["best_epoch"]
        if best is not None and (isinstance(best, bool) or not isinstance(best, (int, float)) or best != best):
            raise ValueError(f"early_stopping.best is {best!r}")
        if isinstance(best_epoch, bool) or not isinstance(best_epoch, int) or best_epoch < 0:
            raise ValueError(f"early_stopping.best_epoch is {best_epoch!r}")
        if meta.get("monitor") != self.spec.monitor:  # a changed monitor starts afresh
            return
        self.best = None if best is None else float(best)
        self.best_epoch = best_epoch
        self.best_state = dict(arrays) if arrays and self.spec.restore_best else None
        self.restored = best is not None


def run_callbacks(experiment: Any) -> list[tuple[Any, str]]:
    """The callbacks a spec asks for, each with the distribution that provides it:
    built-ins first, then ``training.callbacks``."""
    from nn_core.experiment import instantiate

    training = experiment.spec.training
    callbacks: list[tuple[Any, str]] = []
    if training.log is not None:
        from nn_core.tensorboard import TensorBoardLogger, is_tensorboard_dir

        if is_tensorboard_dir(training.log):
            callbacks.append((TensorBoardLogger(training.log), "nn-core"))
        else:
            from nn_core.outputs import check_output_path, spec_inputs

            check_output_path(training.log, inputs=spec_inputs(experiment.spec), what="training.log")
            callbacks.append((MetricsLogger(training.log), "nn-core"))
    if training.early_stopping:
        callbacks.append((EarlyStopping(training.early_stopping, experiment), "nn-core"))
    for ref in training.callbacks:
        info = experiment.registry.get(ref.kind, ref.type, experiment.spec.backend)
        callbacks.append((instantiate(ref, experiment.registry, experiment.spec.backend), info.distribution))
    return callbacks
