"""Running a sweep: resolve every trial, submit the valid ones, record each as it finishes.

Order of work, so that a mistake costs seconds rather than a cluster-hour:
the sweep file and its spec are checked, every trial's spec is resolved and
validated (an assignment that makes the spec invalid is recorded as
``invalid`` with its reason; when no trial is valid the sweep stops with that
reason), the output directory is checked, and only then is the engine
started and anything submitted.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nn_core.errors import NNError

from nn_sweep.executor import Executor
from nn_sweep.report import objective_value
from nn_sweep.search import assignments
from nn_sweep.sweepfile import Sweep
from nn_sweep.task import MODEL, run_trial
from nn_sweep.trials import (
    FINISHED,
    SWEEP_FILE,
    TRIALS_DIR,
    TRIALS_FILE,
    RecordWriter,
    Trial,
    describe,
    read_records,
    resolve,
)


@dataclass
class Outcome:
    """What a sweep did: every record in ``trials.jsonl`` (earlier runs' too, with ``--resume``)."""

    records: list[dict[str, Any]] = field(default_factory=list)
    ran: int = 0
    skipped: int = 0
    engine: str = ""
    startup_seconds: float = 0.0


def plan(sweep: Sweep, registry: Any) -> list[Trial]:
    """Every (trial, fold) of the sweep, each validated; duplicates (same resolved spec) once."""
    from nn_core.spec import load_spec

    load_spec(sweep.spec_path, (), registry)  # the spec itself must be valid: its errors point into it
    if sweep.search == "tpe":
        raise NNError("search type tpe is not supported yet by this nn-sweep; use grid or random")
    trials: list[Trial] = []
    seen: set[str] = set()
    for number, assignment in enumerate(assignments(sweep)):
        for trial in resolve(sweep, number, assignment, registry):
            if trial.key not in seen:
                seen.add(trial.key)
                trials.append(trial)
    valid = [t for t in trials if t.invalid is None]
    if not valid:
        raise NNError(f"{sweep.source}: every trial's spec is invalid, e.g. {trials[0].invalid}")
    return trials


def prepare_directory(directory: Path, sweep: Sweep, resume: bool) -> None:
    """Create ``directory``; refuse to mix two sweeps in it unless resuming."""
    if (directory / TRIALS_FILE).exists() and not resume:
        raise NNError(f"{directory} already holds a sweep ({TRIALS_FILE}); pass --resume to continue it")
    try:
        (directory / TRIALS_DIR).mkdir(parents=True, exist_ok=True)
        (directory / SWEEP_FILE).write_text(json.dumps(describe(sweep), indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise NNError(f"cannot write to {directory}: {exc.strerror or exc}") from None


def _record(trial: Trial, result: dict[str, Any], directory: Path) -> dict[str, Any]:
    record = {
        "key": trial.key,
        "spec_hash": trial.spec_hash,
        "overrides": trial.overrides,
        "fold": trial.fold,
        **result,
    }
    if record.get("status") == "ok":
        record["model"] = str(Path(TRIALS_DIR) / trial.key / MODEL)
    return record


def _task(trial: Trial, sweep: Sweep, directory: Path) -> dict[str, Any]:
    assert trial.document is not None
    epochs = int(trial.document["training"]["epochs"])
    return {
        "key": trial.key,
        "document": trial.document,
        "directory": str((directory / TRIALS_DIR / trial.key).resolve()),
        "fold": trial.fold,
        "folds": sweep.folds,
        "cv_seed": sweep.cv_seed,
        "checkpoint_every": sweep.checkpoint_every or max(1, epochs // 10),
    }


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


class ProgressBar:
    """Trials done out of the total, on stderr: redrawn on a terminal, one line per trial otherwise."""

    def __init__(self, total: int, metric: str, quiet: bool) -> None:
        self.total, self.metric, self.quiet = total, metric, quiet
        self.done = self.failed = 0
        self.tty = sys.stderr.isatty()
        self.started = time.perf_counter()

    def __call__(self, record: dict[str, Any]) -> None:
        self.done += 1
        self.failed += record.get("status") != "ok"
        if self.quiet:
            return
        elapsed = time.perf_counter() - self.started
        failed = f", {self.failed} failed" if self.failed else ""
        if self.tty:
            filled = int(30 * self.done / max(self.total, 1))
            bar = f"[{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total} trials{failed} {elapsed:6.1f}s"
            print(f"\r\033[K{bar}", end="" if self.done < self.total else "\n", file=sys.stderr, flush=True)
            return
        value = objective_value(record, self.metric)
        what = f"{self.metric} {value:.4f}" if value is not None else f"{record.get('status')}: {record.get('reason', '')}"
        print(f"trial {self.done}/{self.total} {record['key']}: {what} ({record.get('worker', '-')})", file=sys.stderr)


def run_sweep(
    sweep: Sweep,
    directory: Path,
    registry: Any,
    make_executor: Callable[[], Executor],
    *,
    resume: bool = False,
    on_record: Callable[[dict[str, Any]], None] | None = None,
) -> Outcome:
    """Run ``sweep`` into ``directory``; every finished (trial, fold) is appended to ``trials.jsonl``."""
    trials = plan(sweep, registry)
    prepare_directory(directory, sweep, resume)
    earlier = read_records(directory) if resume else []
    finished = {r["key"] for r in earlier if r.get("status") in FINISHED}
    outcome = Outcome(records=[r for r in earlier if r["key"] in finished])
    todo = [t for t in trials if t.key not in finished]
    outcome.skipped = len(trials) - len(todo)
    writer = RecordWriter(directory)
    try:
        for trial in [t for t in todo if t.invalid is not None]:
            record = _record(trial, {"status": "invalid", "reason": trial.invalid, "seconds": 0.0}, directory)
            writer.write(record)
            outcome.records.append(record)
            if on_record:
                on_record(record)
        runnable = [t for t in todo if t.invalid is None]
        if runnable:
            _execute(runnable, sweep, directory, make_executor, writer, outcome, on_record)
    finally:
        writer.close()
    return outcome


def _execute(
    trials: list[Trial],
    sweep: Sweep,
    directory: Path,
    make_executor: Callable[[], Executor],
    writer: RecordWriter,
    outcome: Outcome,
    on_record: Callable[[dict[str, Any]], None] | None,
) -> None:
    executor = make_executor()
    outcome.startup_seconds = executor.startup_seconds
    outcome.engine = getattr(executor, "description", type(executor).__name__)
    futures: dict[Any, Trial] = {}
    try:
        check = getattr(executor, "check_resources", None)
        if check is not None:
            check(sweep.resources)
        for trial in trials:
            future = executor.submit(
                run_trial,
                _task(trial, sweep, directory),
                key=f"nn-trial-{trial.key}",
                resources=sweep.resources,
                retries=sweep.retries,
            )
            futures[future] = trial
        for future in executor.as_completed(futures):
            trial = futures.pop(future)
            try:
                result = executor.result(future)
            except Exception as exc:  # crashed after its retries, or its workers kept dying (KilledWorker)
                result = {"status": "error", "reason": _one_line(exc)}
            record = _record(trial, result, directory)
            writer.write(record)
            outcome.records.append(record)
            outcome.ran += 1
            if on_record:
                on_record(record)
    finally:
        if futures:
            executor.cancel(futures)
        executor.close()
