"""Checkpoints: everything needed to continue a run bit for bit.

A checkpoint is a model file plus the optimizer's state, the random
generators' states (shuffling, dropout), the epoch and the step within it.
``nn train SPEC --resume CKPT`` rebuilds the experiment from the spec,
checks that spec and data are the ones the checkpoint was trained on, and
continues where it stopped: the final weights equal those of the run that
was never interrupted.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import stat
import time
from pathlib import Path
from typing import Any

import numpy as np

from nn_core.errors import ModelFileError, NNError, TrainingError
from nn_core.model import model_from_run
from nn_core.modelfile import prefixed, read_archive, section, write_archive

# Settings that may differ between the interrupted run and its resumption.
RESUMABLE_DIFFERENCES = {"epochs", "checkpoint", "log", "early_stopping", "callbacks"}
NAME = re.compile(r"^epoch-(\d+)(?:-step-(\d+))?\.ckpt$")


def _comparable(document: Any) -> Any:
    doc = dict(document)
    training = doc.get("training", {})
    if isinstance(training, dict):
        doc["training"] = {k: v for k, v in training.items() if k not in RESUMABLE_DIFFERENCES}
    optimizer = doc.get("optimizer")
    if isinstance(optimizer, dict):  # a diverged run resumes from its last checkpoint with a smaller lr
        doc["optimizer"] = {k: v for k, v in optimizer.items() if k != "lr"}
    return doc


def save_checkpoint(path: str | os.PathLike[str], run: Any, loop_state: dict[str, Any]) -> None:
    """Write the run's full state to exactly ``path`` (atomically).

    Everything crosses as numpy arrays by name (contract v2): the network's
    ``state_arrays`` and ``rng_state``, the optimizer's ``state_dict`` arrays;
    its int and float scalars go to the metadata. Anything else in a
    ``state_dict`` (a backend's tensor) is a plugin bug, named here.
    """
    model = model_from_run(run)
    optimizer = run.experiment.optimizer
    optimizer_state = optimizer.state_dict()
    scalars: dict[str, int | float] = {}
    optimizer_arrays: dict[str, np.ndarray] = {}
    for key, value in optimizer_state.items():
        if isinstance(value, np.ndarray):
            optimizer_arrays[key] = value
        elif isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
            scalars[key] = value.item() if isinstance(value, np.generic) else value
        else:
            raise TrainingError(
                f"optimizer {optimizer.name}: state_dict()[{key!r}] is a {type(value).__name__}; "
                "contract v2 needs numpy arrays or int/float scalars (convert with the backend's to_numpy)"
            )
    rng = run.experiment.network.rng_state()
    for key, value in rng.items():
        if not isinstance(value, np.ndarray):
            raise TrainingError(f"network rng_state()[{key!r}] is a {type(value).__name__}, not a numpy array")
    arrays = {
        **prefixed("weights", model.network.state_arrays()),
        **prefixed("preprocess", model.scaler.arrays()),
        **prefixed("optimizer", optimizer_arrays),
        **prefixed("rng", rng),
    }
    callbacks: dict[str, Any] = {}
    for name, callback in getattr(run, "stateful", {}).items():  # early stopping's best value and weights
        callback_arrays, callbacks[name] = callback.checkpoint_state()
        arrays.update(prefixed(f"callbacks/{name}", callback_arrays))
    # A checkpoint is where a diverged run is resumed from: never write one that holds NaN or inf.
    bad = [name for name, a in arrays.items() if a.dtype.kind in "fc" and not np.isfinite(a).all()]
    if bad:
        raise TrainingError(f"not writing checkpoint {path}: {bad[0]} holds NaN or infinite values")
    metadata = {
        **model.metadata,
        "optimizer_scalars": scalars,
        "callbacks": callbacks,
        **loop_state,
    }
    write_archive(path, "checkpoint", arrays, metadata)


def load_checkpoint(path: str | os.PathLike[str]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    return read_archive(path, "checkpoint")


def restore(experiment: Any, arrays: dict[str, np.ndarray], meta: dict[str, Any], path: str) -> dict[str, Any]:
    """Put a checkpoint's state into a freshly built experiment; return the loop state."""
    if "rng" in meta:  # nn-core 0.1 kept generator states as JSON: contract v1
        raise ModelFileError(
            f"checkpoint {path} was written by nn-core 0.1 (plugin contract v1), whose random-generator "
            "state this nn cannot restore exactly; train again from the spec (docs/plugins.md#contract-v2)"
        )
    if _comparable(meta.get("spec", {})) != _comparable(experiment.spec.document):
        raise NNError(
            f"checkpoint {path} was written for a different spec; only optimizer.lr and training."
            f"{{{', '.join(sorted(RESUMABLE_DIFFERENCES))}}} may change when resuming"
        )
    if meta.get("data_hash") != experiment.data_hash:
        raise NNError(f"checkpoint {path} was trained on different data (the data's hash changed)")
    try:
        weights = section(arrays, "weights")
        bad = [name for name, a in weights.items() if a.dtype.kind in "fc" and not np.isfinite(a).all()]
        if bad:
            raise ValueError(f"weights {bad[0]} hold NaN or infinite values")
        experiment.network.load_state_arrays(weights)
        optimizer_state = _optimizer_state(experiment.optimizer, meta.get("optimizer_scalars", {}), arrays)
        experiment.optimizer.load_state_dict(optimizer_state)
        generators = section(arrays, "rng")
        expected = set(experiment.network.rng_state())
        if set(generators) != expected:
            raise ValueError(f"generator states {sorted(generators)} do not match the network's {sorted(expected)}")
        experiment.network.set_rng_state(generators)
        loop_state = {k: meta[k] for k in ("next_epoch", "next_step", "shuffle_state")}
        _check_loop_state(loop_state)
        history = meta["history"]
        if not isinstance(history, list) or not all(isinstance(row, dict) and "epoch" in row for row in history):
            raise ValueError("history is not a list of logged epochs")
        callbacks = _callback_states(experiment, arrays, meta.get("callbacks", {}))
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else ""
        raise ModelFileError(f"checkpoint {path} is inconsistent: {type(exc).__name__}: {reason}") from None
    done = loop_state["next_epoch"] - (0 if loop_state["next_step"] else 1)
    epochs = experiment.spec.training.epochs
    if done > epochs or (loop_state["next_step"] and loop_state["next_epoch"] > epochs):
        raise NNError(
            f"checkpoint {path} is at epoch {loop_state['next_epoch'] - 1:,} but training.epochs is {epochs:,}: "
            f"resuming would train nothing (raise it, e.g. --set training.epochs={max(done, 1) * 2})"
        )
    return {**loop_state, "history": history, "path": str(path), "callbacks": callbacks}


def _optimizer_state(optimizer: Any, scalars: Any, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """The stored optimizer state, checked against a fresh one's names, types and shapes (ValueError if not)."""
    fresh = optimizer.state_dict()
    stored = section(arrays, "optimizer")
    if not isinstance(scalars, dict):
        raise ValueError("optimizer_scalars is not a mapping")
    expected_arrays = {k: v for k, v in fresh.items() if isinstance(v, np.ndarray)}
    expected_scalars = {k: v for k, v in fresh.items() if not isinstance(v, np.ndarray)}
    if set(stored) != set(expected_arrays) or set(scalars) != set(expected_scalars):
        raise ValueError(f"the optimizer state names {sorted([*stored, *scalars])}, not {sorted(fresh)}")
    for name, array in stored.items():
        if array.shape != expected_arrays[name].shape or not np.isfinite(array).all():
            raise ValueError(f"optimizer state {name} does not fit this optimizer (shape {array.shape})")
    for name, value in scalars.items():
        like = expected_scalars[name]
        if isinstance(like, bool) or like is None:
            if type(value) is not type(like):
                raise ValueError(f"optimizer state {name} is {value!r}")
        elif isinstance(like, (int, np.integer)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"optimizer state {name} is {value!r}, expected a count (0 or more)")
        elif isinstance(like, float) and (
            isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value)
        ):
            raise ValueError(f"optimizer state {name} is {value!r}, expected a finite number")
    return {**scalars, **stored}


def _callback_states(experiment: Any, arrays: dict[str, np.ndarray], meta: Any) -> dict[str, Any]:
    """Each stateful callback's (arrays, metadata), its weights checked against the network's."""
    if not isinstance(meta, dict):
        raise ValueError("callbacks is not a mapping")
    states: dict[str, Any] = {}
    expected = {name: (a.shape, a.dtype) for name, a in experiment.network.state_arrays().items()}
    for name, callback_meta in meta.items():
        if not isinstance(callback_meta, dict):
            raise ValueError(f"callbacks.{name} is not a mapping")
        callback_arrays = section(arrays, f"callbacks/{name}")
        if callback_arrays and {k: (a.shape, a.dtype) for k, a in callback_arrays.items()} != expected:
            raise ValueError(f"callbacks.{name} holds weights that do not fit this network")
        states[name] = (callback_arrays, callback_meta)
    return states


def _check_loop_state(state: dict[str, Any]) -> None:
    """Raise ValueError/TypeError unless the loop can resume from ``state``."""
    for key, least in (("next_epoch", 1), ("next_step", 0)):
        value = state[key]
        if not isinstance(value, int) or isinstance(value, bool) or value < least:
            raise ValueError(f"{key} is {value!r}")
    np.random.default_rng().bit_generator.state = state["shuffle_state"]  # the loop's generator is a PCG64 too


LOCK_NAME = ".nn-checkpoints.lock"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True


class DirectoryLock:
    """One training run per checkpoint directory: a lock file holding the owner's pid and host.

    A second run is refused with one line naming the owner; a lock whose
    process is gone (on this host) is stale and taken over.
    """

    def __init__(self, directory: Path) -> None:
        self.path = directory / LOCK_NAME
        self.held = False
        self.owner = f"{os.getpid()} {socket.gethostname()}"

    def acquire(self) -> None:
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                self._remove_if_stale()
                continue
            with os.fdopen(fd, "w") as f:
                f.write(self.owner + "\n")
            self.held = True
            return
        raise NNError(f"cannot lock checkpoint directory {self.path.parent}: {self.path} keeps reappearing")

    def _remove_if_stale(self) -> None:
        """Remove a lock whose owner is gone; raise for a live (or unknowable) owner."""
        try:
            mode = os.lstat(self.path).st_mode
        except FileNotFoundError:
            return
        if not stat.S_ISREG(mode):  # a FIFO would block the read below; a directory or link is no lock of ours
            raise NNError(
                f"checkpoint directory {self.path.parent}: {self.path} is not a lock file nn wrote (not a regular "
                "file); remove it"
            )
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")[:200].strip()
        except FileNotFoundError:
            return
        pid_text, _, host = text.partition(" ")
        pid = int(pid_text) if pid_text.isdigit() else None
        # Empty for a minute: its writer died between creating and filling it.
        stale = (not text and self._age() > 60) or (
            pid is not None and host == socket.gethostname() and (pid == os.getpid() or not _pid_alive(pid))
        )
        if stale:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
            return
        owner = f"process {pid} on {host or 'an unknown host'}" if pid is not None else "another process"
        raise NNError(
            f"checkpoint directory {self.path.parent} is in use by another nn run ({owner}); give this run its own "
            f"training.checkpoint.dir (or delete {self.path} if that run is gone)"
        )

    def _age(self) -> float:
        try:
            return time.time() - self.path.stat().st_mtime
        except OSError:
            return 0.0

    def release(self) -> None:
        if not self.held:
            return
        self.held = False
        with contextlib.suppress(OSError):
            if self.path.read_text(encoding="utf-8", errors="replace").strip() == self.owner:
                self.path.unlink()


class Checkpointer:
    """Writes ``[PREFIX]epoch-NNNNNN.ckpt`` into a directory, keeping this run's newest ``keep``.

    Rotation only ever deletes checkpoints this run wrote (and the one it
    resumed from), oldest first by (epoch, step) as integers; never another
    run's file, never the one just written. With ``lock`` the directory is
    this run's alone while it trains (see :class:`DirectoryLock`).
    """

    def __init__(self, directory: str, every: int, keep: int, *, prefix: str = "", lock: bool = False) -> None:
        self.directory = Path(directory)
        self.every = every
        self.keep = keep
        self.prefix = prefix
        self.last_path: Path | None = None
        self.lock = DirectoryLock(self.directory) if lock else None
        self.owned: dict[Path, tuple[int, int]] = {}
        """This run's checkpoints on disk: path → (next epoch, next step)."""
        self.resumed = False
        """A resumed run rewrites its own lineage's later checkpoints (bit for bit the same); a fresh one never
        overwrites a file it did not write."""

    def start(self) -> None:
        """Take the directory's lock (a run already using it is an error); a directory we cannot create warns."""
        if self.lock is None:
            return
        if os.path.exists(self.directory) and not self.directory.is_dir():  # known now: no checkpoint would be written
            raise ModelFileError(
                f"training.checkpoint.dir {self.directory} is not a directory; name a directory (new or existing)"
            )
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError:
            return  # reported, as a warning, by each write
        with contextlib.suppress(OSError):  # a read-only directory: each write warns; no other run writes there
            self.lock.acquire()

    def stop(self) -> None:
        if self.lock is not None:
            self.lock.release()

    def adopt(self, path: str | os.PathLike[str], next_epoch: int, next_step: int) -> None:
        """Count the checkpoint a run resumed from as its own, when it lies in this directory."""
        self.resumed = True
        resumed = Path(path)
        with contextlib.suppress(OSError):
            if resumed.parent.resolve() == self.directory.resolve() and resumed.name.startswith(self.prefix):
                self.owned[resumed] = (next_epoch, next_step)

    def path_for(self, next_epoch: int, next_step: int) -> Path:
        if next_step:
            return self.directory / f"{self.prefix}epoch-{next_epoch:06d}-step-{next_step:06d}.ckpt"
        return self.directory / f"{self.prefix}epoch-{next_epoch - 1:06d}.ckpt"

    def write(self, run: Any, loop_state: dict[str, Any]) -> Path:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ModelFileError(f"cannot create checkpoint directory {self.directory}: {exc.strerror}") from None
        order = (int(loop_state["next_epoch"]), int(loop_state["next_step"]))
        path = self.path_for(*order)
        if not self.resumed and path not in self.owned and os.path.lexists(path):
            # An earlier run's checkpoint of the same epoch: replacing it (and later rotating it away as ours)
            # would lose that run's only way back.
            raise ModelFileError(
                f"checkpoint {path} was written by an earlier run and is kept; give this run its own "
                "training.checkpoint.dir to checkpoint it"
            )
        save_checkpoint(path, run, loop_state)
        self.last_path = path
        self.owned[path] = order
        self._prune(path)
        return path

    def _prune(self, newest: Path) -> None:
        """Delete this run's oldest checkpoints beyond ``keep``; never ``newest``."""
        ranked = sorted(self.owned, key=lambda p: self.owned[p])
        for old in ranked[: max(0, len(ranked) - self.keep)]:
            if old == newest:
                continue
            with contextlib.suppress(OSError):
                old.unlink()
            del self.owned[old]
