"""The training loop: backend-agnostic, plugin-free in its inner step.

Per step it only gathers a batch and calls ``network.train_step`` (and reads
one flag, for Ctrl-C); schedules, finiteness checks, lifecycle hooks and
checkpoints run once per epoch, metrics once per log interval. Epoch 0 is
logged before the first update, as the tutorials print "cost after
iteration 0".
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

import numpy as np

from nn_core.callbacks import run_callbacks
from nn_core.checkpoint import Checkpointer
from nn_core.contracts import ClosureMinimizer, StepOptimizer
from nn_core.errors import NNError, TrainingError
from nn_core.experiment import Experiment
from nn_core.plateau import ObservesMetrics
from nn_core.plugins import call_lifecycle, register_callback, resolve
from nn_core.run import Metrics, Run, evaluate
from nn_core.threads import pinned_blas_threads

if TYPE_CHECKING:
    from nn_core.plugins import Plugins

__all__ = ["Interrupted", "Metrics", "Run", "evaluate", "train"]


class Interrupted(NNError):
    """Ctrl-C: training stopped at the end of a step; ``checkpoint`` holds the state, if written."""

    exit_code = 130

    def __init__(self, run: Run, checkpoint: str | None, reason: str = "", why: str = "") -> None:
        self.run = run
        self.checkpoint = checkpoint
        where = f"epoch {run.epoch + 1}"
        if checkpoint:
            message = f"interrupted in {where}; checkpoint written to {checkpoint}{why}"
        else:
            message = f"interrupted in {where}; no checkpoint written{reason}"
        super().__init__(message)


DIVERGENCE_RATIO = 1e3
"""A train loss this many times its epoch-0 value (and above 1) is divergence, NaN or not: the run stops."""
WORSE_RATIO = 10.0
"""A run whose last train loss is this many times its epoch-0 value (and above 1) made the model worse."""


def _likely_cause(run: Run) -> str:
    """Why a loss blows up: an output activation the loss does not expect, else the learning rate."""
    experiment = run.experiment
    spec = experiment.spec
    with suppress(Exception):  # a hint must never hide the error it explains
        loss = experiment.registry.get("loss", spec.loss.type, spec.backend).cls
        expected = getattr(loss, "fused_activation", None)
        last = len(spec.model.layers) - 1
        activation = spec.model.layers[last].params.get("activation")
        name = getattr(activation, "type", activation)
        if expected is not None and name is not None and name != expected:
            return (
                f" (model.layers[{last}].activation is {name}, but {spec.loss.type} expects {expected} outputs: "
                f"use activation {expected} in the last layer)"
            )
    optimizer = experiment.optimizer
    lr = optimizer.lr if isinstance(optimizer, StepOptimizer) else None
    return f" (optimizer lr is {lr}; try a smaller learning rate)" if lr is not None else ""


def _check_finite(run: Run, metrics: Metrics | None) -> None:
    finite = run.experiment.network.is_finite()
    if finite and metrics is not None:
        finite = all(np.isfinite(v) for split in metrics.values() for v in split.values())
    if not finite:
        raise TrainingError(f"loss became NaN or infinite at epoch {run.epoch}{_likely_cause(run)}")
    if metrics is not None and run.history:
        first, now = run.history[0], metrics["train"]["loss"]
        start = first["train"]["loss"]
        if now > 1.0 and now > DIVERGENCE_RATIO * abs(start):
            raise TrainingError(
                f"loss diverged at epoch {run.epoch}: the train loss grew from {start:.4g} at epoch "
                f"{first['epoch']} to {now:.4g}{_likely_cause(run)}"
            )


def _check_outcome(run: Run) -> None:
    """Refuse to hand back, with exit 0, a model that training made worse by an order of magnitude."""
    if len(run.history) < 2:
        return
    first, last = run.history[0], run.history[-1]
    start, end = first["train"]["loss"], last["train"]["loss"]
    if end > 1.0 and end > WORSE_RATIO * abs(start):
        raise TrainingError(
            f"loss diverged: the train loss ended at {end:.4g} (epoch {last['epoch']}), "
            f"{end / start if start else float('inf'):.3g} times its epoch-{first['epoch']} value {start:.4g}"
            f"{_likely_cause(run)}"
        )


def _restore_callbacks(run: Run, resume: dict[str, Any]) -> None:
    """Give stateful callbacks (early stopping) the state the checkpoint holds for them."""
    from nn_core.errors import ModelFileError

    for name, (arrays, meta) in resume.get("callbacks", {}).items():
        callback = run.stateful.get(name)
        if callback is None:  # e.g. early stopping switched off for the rest of the run
            continue
        try:
            callback.load_checkpoint_state(arrays, meta)
        except (KeyError, TypeError, ValueError) as exc:
            where = resume.get("path", "the checkpoint")
            raise ModelFileError(f"checkpoint {where} is inconsistent: {type(exc).__name__}: {exc}") from None


class _StopRequested(Exception):
    """Raised inside an epoch when Ctrl-C was pressed."""


class InterruptFlag:
    """Set by SIGINT; the loop checks it after every step."""

    def __init__(self) -> None:
        self.requested = False

    @contextmanager
    def installed(self) -> Iterator[None]:
        """Turn the first Ctrl-C into a request; a second one interrupts at once."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def handler(signum: int, frame: Any) -> None:
            if self.requested:
                raise KeyboardInterrupt
            self.requested = True

        previous = signal.signal(signal.SIGINT, handler)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)


def scheduled_lr(schedule: Any, base_lr: float, epoch: int, run: Run) -> float:
    """The schedule's rate for ``epoch``, refused when it is negative or not finite: a
    negative rate climbs the loss (gradient ascent) without any error of its own."""
    lr = schedule.lr(base_lr, epoch)
    if not isinstance(lr, (int, float, np.floating, np.integer)) or not np.isfinite(lr) or lr < 0:
        name = run.experiment.spec.schedule.type if run.experiment.spec.schedule else type(schedule).__name__
        raise TrainingError(
            f"schedule {name!r} gave the learning rate {lr!r} for epoch {epoch} (base lr {base_lr}); "
            "a learning rate must be a finite number >= 0"
        )
    return float(lr)


class _Loop:
    """One training run's state between epochs; the per-step path is ``_epoch``."""

    def __init__(
        self,
        run: Run,
        pm: Any,
        on_log: Callable[[Run, Metrics], None] | None,
        on_progress: Callable[[int, int, int], None] | None = None,
    ) -> None:
        self.run = run
        self.pm = pm
        self.on_log = on_log
        self.on_progress = on_progress
        experiment = run.experiment
        self.network, self.optimizer = experiment.network, experiment.optimizer
        self.schedule = experiment.schedule
        self.training = experiment.spec.training
        train_split = experiment.splits["train"]
        self.X, self.Y = train_split.X, train_split.Y
        self.n = len(train_split.data.y)
        self.batch_size = min(self.training.batch_size or self.n, self.n)
        self.steps_per_epoch = -(-self.n // self.batch_size)
        from nn_core.progress import progress_every

        self.progress_every = progress_every(self.steps_per_epoch)
        self.shuffle_rng = np.random.default_rng([experiment.spec.seed, 2])
        self.stepper = self.optimizer if isinstance(self.optimizer, StepOptimizer) else None
        self.base_lr = self.stepper.lr if self.stepper is not None else None
        self.buffers: dict[int, tuple[Any, Any]] = {}
        self.interrupt = InterruptFlag()
        self.checkpointer: Any = None
        self.start_step = 0
        self.epoch_shuffle_state: Any = self.shuffle_rng.bit_generator.state
        # Dispatch to plugins per epoch only if some plugin listens: zero cost otherwise.
        self.listens = pm is not None and bool(pm.hook.nn_epoch_end.get_hookimpls())

    # -- state ----------------------------------------------------------------

    def loop_state(self, next_epoch: int, next_step: int) -> dict[str, Any]:
        """Where to continue: mid-epoch states replay that epoch's shuffle."""
        shuffle = self.epoch_shuffle_state if next_step else self.shuffle_rng.bit_generator.state
        return {"next_epoch": next_epoch, "next_step": next_step, "shuffle_state": shuffle}

    def resume_from(self, state: dict[str, Any]) -> None:
        self.run.history = state["history"]
        if isinstance(self.schedule, ObservesMetrics):  # its state is a function of the history: replay it
            for row in self.run.history:
                self.schedule.observe(int(row["epoch"]), row, self.run.experiment)
        self.run.epoch = int(state["next_epoch"]) - 1
        self.start_step = int(state["next_step"])
        self.shuffle_rng.bit_generator.state = state["shuffle_state"]

    # -- the loop -------------------------------------------------------------

    def log(self) -> Metrics:
        metrics = evaluate(self.run.experiment)
        _check_finite(self.run, metrics)
        self.run.history.append({"epoch": self.run.epoch, **metrics})
        if isinstance(self.schedule, ObservesMetrics):
            self.schedule.observe(self.run.epoch, metrics, self.run.experiment)
        if self.on_log is not None:
            self.on_log(self.run, metrics)
        return metrics

    def _epoch(self, skip: int) -> None:
        network, optimizer, interrupt = self.network, self.stepper, self.interrupt
        assert optimizer is not None, "closure minimizers run through minimize()"
        self.epoch_shuffle_state = self.shuffle_rng.bit_generator.state
        if self.batch_size == self.n:
            # Shuffling a full batch changes only summation order: no gather, no copy.
            if not skip:
                network.train_step(self.X, self.Y, optimizer)
            if interrupt.requested:
                raise _StopRequested(1)
            return
        order = self.shuffle_rng.permutation(self.n) if self.training.shuffle else np.arange(self.n)
        progress, every, epoch = self.on_progress, self.progress_every, self.run.epoch + 1
        for step in range(skip, self.steps_per_epoch):
            index = order[step * self.batch_size : (step + 1) * self.batch_size]
            # The last batch may be smaller: it keeps buffers of its own.
            xb, yb = self.buffers.get(len(index), (None, None))
            xb, yb = network.batch(self.X, index, xb), network.batch(self.Y, index, yb)
            self.buffers[len(index)] = (xb, yb)
            network.train_step(xb, yb, optimizer)
            if interrupt.requested:
                raise _StopRequested(step + 1)
            if progress is not None and (step + 1) % every == 0:
                progress(epoch, step + 1, self.steps_per_epoch)

    def epochs(self) -> None:
        run, training = self.run, self.training
        for epoch in range(run.epoch + 1, training.epochs + 1):
            if self.schedule is not None and self.stepper is not None and self.base_lr is not None:
                self.stepper.lr = scheduled_lr(self.schedule, self.base_lr, epoch - 1, self.run)
            try:
                self._epoch(self.start_step)
            except _StopRequested as stop:
                self._interrupted(epoch, stop.args[0])
            self.start_step = 0
            run.epoch = epoch
            if self.end_of_epoch(epoch):
                return

    def end_of_epoch(self, epoch: int) -> bool:
        """Everything that runs once per epoch, for step optimizers and closure
        minimizers alike: finiteness, logging, lifecycle hooks (early stopping),
        checkpoints. True when training should stop now."""
        run, training = self.run, self.training
        checkpoint = training.checkpoint
        if not self.network.is_finite():
            _check_finite(run, None)
        logged = epoch % training.log_every == 0 or epoch == training.epochs
        metrics = self.log() if logged else None
        if self.listens and any(call_lifecycle(self.pm, "nn_epoch_end", run=run, epoch=epoch, metrics=metrics)):
            run.stop_requested = True
        if checkpoint is not None and self.checkpointer is not None and epoch % checkpoint.every == 0:
            self._checkpoint(epoch + 1, 0)
        if run.stop_requested:
            if not logged:
                self.log()
            return True
        return False

    def _checkpoint(self, next_epoch: int, next_step: int) -> str | None:
        try:
            return str(self.checkpointer.write(self.run, self.loop_state(next_epoch, next_step)))
        except NNError as exc:
            # Training state lives in memory and is intact: warn and go on.
            import sys

            print(f"nn: warning: {exc}; training continues", file=sys.stderr)
            return None

    def _interrupted(self, epoch: int, next_step: int) -> None:
        path = self._checkpoint(epoch, next_step) if self.checkpointer is not None else None
        self._raise_interrupted(path)

    def _raise_interrupted(self, path: str | None) -> None:
        if self.checkpointer is None:
            raise Interrupted(
                self.run, None, " (training.checkpoint is not set and there is no -o to write one beside: set either)"
            )
        if path is None:
            raise Interrupted(self.run, None, " (writing it failed: see the warning above)")
        why = "" if self.training.checkpoint is not None else " (beside -o, as training.checkpoint is not set)"
        raise Interrupted(self.run, path, why=why)

    def minimize(self, minimizer: ClosureMinimizer) -> None:
        """Closure minimizers (bfgs, lbfgs): one iteration counts as one epoch.

        The minimizer sees float64 numpy vectors only (``get_flat`` and the
        network's ``loss_and_gradient``); after each iteration the callback
        puts the iterate into the network and runs every per-epoch duty (logs,
        hooks and ``training.log``, early stopping, checkpoints every
        ``training.checkpoint.every`` iterations, Ctrl-C: a checkpoint, then
        :class:`Interrupted`), then asks the minimizer to stop at
        ``training.epochs`` or when something requested a stop.
        """
        run, network = self.run, self.network
        stopped_by: list[str] = []

        def callback(flat: np.ndarray) -> bool:
            network.set_flat(flat)
            run.epoch += 1
            epoch = run.epoch
            stop = self.end_of_epoch(epoch)
            if self.interrupt.requested:
                # The iteration is complete: its end is the (epoch + 1, step 0) state.
                path = None
                if self.checkpointer is not None:
                    done = self.checkpointer.last_path == self.checkpointer.path_for(epoch + 1, 0)
                    path = str(self.checkpointer.last_path) if done else self._checkpoint(epoch + 1, 0)
                self._raise_interrupted(path)
            if stop:
                stopped_by.append("early stopping" if run.stopped_early_at else "a callback asked to stop")
                return True
            if epoch >= self.training.epochs:
                stopped_by.append(f"training.epochs ({self.training.epochs}) reached")
                return True
            return False

        def fun(flat: np.ndarray) -> tuple[float, np.ndarray]:
            return network.loss_and_gradient(flat, self.X, self.Y)

        if run.epoch >= self.training.epochs:  # resumed from the last iteration's checkpoint
            return
        result = minimizer.minimize(fun, network.get_flat(), callback)
        network.set_flat(result.x)
        if stopped_by:
            run.stop_reason = f"{minimizer.name}: stopped after {run.epoch} iterations: {stopped_by[0]}"
        else:
            run.stop_reason = f"{minimizer.name}: {result.message}"
        if run.history[-1]["epoch"] != run.epoch:
            self.log()


@contextmanager
def _pointing_to_last_checkpoint(loop: _Loop) -> Iterator[None]:
    """A diverged run names the newest (finite) checkpoint it can be resumed from."""
    try:
        yield
    except TrainingError as exc:
        last = getattr(loop.checkpointer, "last_path", None)
        if last is None:
            raise
        import shlex

        raise TrainingError(
            f"{exc}; the last checkpoint, {last}, holds finite weights: resume it with a smaller "
            f"learning rate (--resume {shlex.quote(str(last))} --set optimizer.lr=...)"
        ) from None


def train(
    experiment: Experiment,
    *,
    plugins: Plugins | None = None,
    pm: Any = None,
    on_log: Callable[[Run, Metrics], None] | None = None,
    on_progress: Callable[[int, int, int], None] | None = None,
    resume: dict[str, Any] | None = None,
    checkpoint_dir: str | None = None,
    checkpoint_prefix: str = "",
) -> Run:
    """Train ``experiment`` as its spec says; return the finished :class:`Run`.

    Lifecycle hooks are those of ``plugins`` (a :class:`nn_core.plugins.Plugins`;
    ``pm``, a bare plugin manager, is also accepted; with neither, the
    installed plugins are loaded afresh); the spec's callbacks are registered
    on it for the run and unregistered after. ``on_log`` receives the metrics
    at each log interval; ``on_progress`` (``nn train``'s live bar) gets
    ``(epoch, steps done, steps per epoch)`` about 50 times an epoch, a plain
    call with no plugin dispatch. ``resume`` is the state
    :func:`nn_core.checkpoint.restore` returned. Ctrl-C stops at
    the end of a step and raises :class:`Interrupted` after writing a
    checkpoint (into ``training.checkpoint.dir``, else ``checkpoint_dir``, its
    name starting with ``checkpoint_prefix``).
    """
    if pm is None:
        pm = resolve(plugins).pm
    run = Run(experiment)
    callbacks = run_callbacks(experiment)
    run.stateful = {cb.state_name: cb for cb, _ in callbacks if hasattr(cb, "checkpoint_state")}
    if resume is not None:
        _restore_callbacks(run, resume)
    for callback, distribution in callbacks:
        register_callback(pm, callback, distribution)
    loop: _Loop | None = None
    try:
        loop = _Loop(run, pm, on_log, on_progress)
        spec_checkpoint = experiment.spec.training.checkpoint
        if spec_checkpoint is not None:
            loop.checkpointer = Checkpointer(
                spec_checkpoint.dir, spec_checkpoint.every, spec_checkpoint.keep, lock=True
            )
        elif checkpoint_dir is not None:
            # Only a Ctrl-C writes here; the prefix keeps it apart from other runs' files in that folder.
            loop.checkpointer = Checkpointer(
                checkpoint_dir, experiment.spec.training.epochs + 1, 1, prefix=checkpoint_prefix
            )
        if loop.checkpointer is not None:
            loop.checkpointer.start()
            if resume is not None and resume.get("path"):
                loop.checkpointer.adopt(resume["path"], int(resume["next_epoch"]), int(resume["next_step"]))
        # Overflow inside a diverging step is reported by the finiteness guard, with
        # the epoch and a hint, instead of as a numpy warning per operation.
        with (
            np.errstate(over="ignore", invalid="ignore", divide="ignore"),
            loop.interrupt.installed(),
            _pointing_to_last_checkpoint(loop),
            pinned_blas_threads() as run.blas,
        ):
            if resume is not None:
                loop.resume_from(resume)
                if isinstance(experiment.optimizer, ClosureMinimizer):
                    import sys

                    print(
                        f"nn: warning: {experiment.spec.optimizer.type} keeps its curvature estimate inside the "
                        "minimizer, which a checkpoint cannot hold: the resumed run starts a fresh estimate from "
                        "the checkpoint's weights, so it will not match an uninterrupted run bit for bit",
                        file=sys.stderr,
                    )
            else:
                loop.log()
            call_lifecycle(pm, "nn_train_start", run=run)
            started = time.perf_counter()
            if run.stop_requested:  # a start hook said so (resumed at the epoch early stopping ended)
                pass
            elif isinstance(experiment.optimizer, ClosureMinimizer):
                loop.minimize(experiment.optimizer)
            else:
                loop.epochs()
            run.train_seconds = time.perf_counter() - started
            _check_outcome(run)
            call_lifecycle(pm, "nn_train_end", run=run)
    finally:
        if loop is not None and loop.checkpointer is not None:
            loop.checkpointer.stop()
        for callback, _ in callbacks:
            if hasattr(callback, "close"):
                callback.close()
            pm.unregister(callback)
    return run
