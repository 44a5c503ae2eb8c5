"""What a worker runs: one trial (one resolved spec, one fold), as a plain importable function.

Dask sends workers a reference to :func:`run_trial`, not its code, so
nn-core, nn-sweep and every plugin the spec names must be installed on each
worker. The function writes into the trial's own directory, which every
worker must be able to reach at the same path (one machine, or a shared
filesystem):

- ``checkpoints/``: the run's state every ``checkpoint_every`` epochs, removed
  once the trial has finished. When the worker running a trial dies, Dask
  runs the trial again elsewhere and it continues from its newest checkpoint;
  nn's checkpoints resume bit for bit, so the retried trial ends with exactly
  the weights an undisturbed one has.
- ``running.json`` while a worker runs it: the worker's address and process id;
- ``model.nn`` and ``metrics.jsonl`` (one line per logged epoch) at the end.

Failures that are the trial's own (a diverged run, a spec or data error: any
:class:`~nn_core.errors.NNError`) are returned as a record with status
``failed`` and a one-line reason, so the sweep goes on and never retries a
run that would fail the same way again. Anything else (a bug, a full disk)
propagates, so Dask retries it ``retries`` times.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import time
from pathlib import Path
from typing import Any

from nn_core.errors import NNError

CHECKPOINTS = "checkpoints"
MODEL = "model.nn"
METRICS = "metrics.jsonl"
RUNNING = "running.json"
"""Written when a worker starts the trial (its address and process id), removed when it ends."""


def _load_plugins() -> Any:
    """The installed plugins, loaded afresh in this worker process for this trial."""
    from nn_core.plugins import load_plugins

    return load_plugins()


def worker_ready() -> dict[str, str]:
    """Load the plugins on a worker before the first trial; return the nn distributions' versions there.

    The sweep calls it on every worker when the engine starts: the imports
    then count as start-up, not as the first trial's time, and a worker
    without nn (or with other versions than the client's) is found before
    anything is submitted.
    """
    from importlib.metadata import version

    plugins = _load_plugins()
    found = {"nn-core": version("nn-core"), "nn-sweep": version("nn-sweep")}
    found.update({info.distribution: info.version for info in plugins.registry.all()})
    return found


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):  # not on a Dask worker (the sequential benchmark, a debugger)
        return f"{socket.gethostname()}:{os.getpid()}"


def _latest_checkpoint(directory: Path) -> Path | None:
    from nn_core.checkpoint import NAME

    try:
        found = sorted(p for p in directory.iterdir() if NAME.match(p.name))
    except OSError:
        return None
    return found[-1] if found else None


def _release_dead_attempts_lock(checkpoints: Path) -> None:
    """Remove the checkpoint-directory lock an earlier attempt of this trial left behind.

    nn's lock keeps two runs out of one directory, and it is taken over only
    when its owner is a dead process on the same host. Here the owner can only
    be an earlier attempt of this very trial (the directory is named by the
    trial's hash), and Dask starts a new attempt only after declaring the
    worker that ran the previous one gone: often on another machine, where
    nn cannot see that the owner died.
    """
    from nn_core.checkpoint import LOCK_NAME

    (checkpoints / LOCK_NAME).unlink(missing_ok=True)


def trial_document(document: dict[str, Any], directory: Path, every: int, fold: bool) -> dict[str, Any]:
    """The resolved spec as this trial trains it: its own checkpoints, no shared log, whole data for folds."""
    doc = json.loads(json.dumps(document))
    training = dict(doc.get("training") or {})
    training.pop("log", None)  # trials would overwrite one another's; metrics.jsonl is per trial
    training["checkpoint"] = {"dir": str(directory / CHECKPOINTS), "every": every, "keep": 1}
    doc["training"] = training
    if fold:  # the fold decides train and dev: no split of nn's own
        data = dict(doc["data"])
        data["split"] = {"dev": 0, "test": 0}
        doc["data"] = data
    return doc


def _experiment(spec: Any, registry: Any, fold: int | None, folds: int | None, cv_seed: int) -> Any:
    from nn_core.contracts import Data
    from nn_core.experiment import Split, build, load_data

    data = load_data(spec, registry)
    if fold is None:
        return build(spec, registry, data=data)
    from nn_sweep.folds import train_dev

    assert folds is not None
    train_rows, dev_rows = train_dev(data.y, fold, folds, cv_seed)
    # subsets keep compact features compact (nn_core.compact): only the dev rows are made floats
    experiment = build(spec, registry, data=data.subset(train_rows))
    held_out = data.subset(dev_rows)
    dev = Data(experiment.scaler.transform(held_out.X), held_out.y, held_out.classes)
    network = experiment.network
    experiment.splits["dev"] = Split(dev, network.to_backend(dev.X), network.prepare_targets(dev.y))
    return experiment


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def run_trial(task: dict[str, Any]) -> dict[str, Any]:
    """Train one trial; return its record (``status`` ``ok`` or ``failed``).

    ``task`` holds ``key``, ``document`` (the resolved, validated spec),
    ``directory``, ``fold``, ``folds``, ``cv_seed`` and ``checkpoint_every``.
    """
    from nn_core.callbacks import flatten
    from nn_core.checkpoint import load_checkpoint, restore
    from nn_core.model import model_from_run
    from nn_core.spec import load_spec
    from nn_core.training import train

    started = time.perf_counter()
    directory = Path(task["directory"])
    record: dict[str, Any] = {"key": task["key"], "worker": _worker_name(), "resumed_from_epoch": 0}
    try:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / RUNNING).write_text(json.dumps({"worker": record["worker"], "pid": os.getpid()}), encoding="utf-8")
        plugins = _load_plugins()
        registry = plugins.registry
        fold = task.get("fold")
        document = trial_document(task["document"], directory, task["checkpoint_every"], fold is not None)
        spec = load_spec(document, registry=registry)
        experiment = _experiment(spec, registry, fold, task.get("folds"), task.get("cv_seed", 0))
        _release_dead_attempts_lock(directory / CHECKPOINTS)
        resume = None
        checkpoint = _latest_checkpoint(directory / CHECKPOINTS)
        if checkpoint is not None:
            arrays, meta = load_checkpoint(checkpoint)
            resume = restore(experiment, arrays, meta, str(checkpoint))
            record["resumed_from_epoch"] = int(resume["next_epoch"]) - 1
        run = train(experiment, plugins=plugins, resume=resume)
        model_from_run(run).save(directory / MODEL)
        lines = "".join(json.dumps(flatten(row)) + "\n" for row in run.history)
        (directory / METRICS).write_text(lines, encoding="utf-8")
        # Finished: --resume skips this trial, and a retry after a crash from here on retrains to the same
        # weights, so the checkpoints (a sweep may hold thousands) are only disk space now.
        shutil.rmtree(directory / CHECKPOINTS, ignore_errors=True)
        record.update(status="ok", metrics=run.final_metrics, epochs=run.epoch)
    except NNError as exc:
        record.update(status="failed", reason=_one_line(exc))
    finally:
        (directory / RUNNING).unlink(missing_ok=True)
    record["seconds"] = round(time.perf_counter() - started, 3)
    return record
