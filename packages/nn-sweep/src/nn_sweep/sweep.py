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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nn_core.errors import NNError
from nn_sweep.executor import Executor
from nn_sweep.search import TpeSearch, assignments
from nn_sweep.sources import Planned, Proposed
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
    read_description,
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
    """Every (trial, fold) of a grid or random sweep, each validated; duplicates (same resolved spec) once.

    For tpe, which proposes trials from results, only the spec is checked here.
    """
    from nn_core.spec import load_spec

    if not sweep.spec_path.exists():
        where = sweep.locations.get("spec", sweep.source)
        raise NNError(f"{where}: spec: {sweep.spec_path} not found (the path is relative to the sweep file)")
    load_spec(sweep.spec_path, (), registry)  # the spec itself must be valid: its errors point into it
    if sweep.search == "tpe":
        TpeSearch(sweep)  # optuna installed?
        return []
    trials: list[Trial] = []
    seen: set[str] = set()
    for number, assignment in enumerate(assignments(sweep)):
        for trial in resolve(sweep, number, assignment, registry):
            if trial.key not in seen:
                seen.add(trial.key)
                trials.append(trial)
    valid = [t for t in trials if t.invalid is None]
    if not valid:
        raise NNError(f"every trial's spec is invalid; the first: {trials[0].invalid}")
    return trials


def planned_total(sweep: Sweep, trials: list[Trial]) -> int:
    """How many (trial, fold) records the sweep will have."""
    return len(trials) if sweep.search != "tpe" else (sweep.trials or 0) * (sweep.folds or 1)


def prepare_directory(directory: Path, sweep: Sweep, resume: bool) -> None:
    """Create ``directory``; refuse to mix two sweeps in it (``--resume`` continues the same one only).

    A directory whose sweep never recorded a trial (its scheduler was
    unreachable, say) holds nothing to lose and is reused.
    """
    held = read_records(directory)
    if held and not resume:
        raise NNError(f"{directory} already holds a sweep ({TRIALS_FILE}); pass --resume to continue it")
    if held:
        _refuse_another_sweep(directory, sweep)
    try:
        (directory / TRIALS_DIR).mkdir(parents=True, exist_ok=True)
        (directory / SWEEP_FILE).write_text(json.dumps(describe(sweep), indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise NNError(f"cannot write to {directory}: {exc.strerror or exc}") from None


def _refuse_another_sweep(directory: Path, sweep: Sweep) -> None:
    """On --resume, the directory's sweep must rank by the same objective over the same spec and folds.

    Its parameters may differ (a grid extended by a value); a table mixing
    another spec's trials, or dev.loss with dev.accuracy, would be wrong.
    """
    try:
        earlier = read_description(directory)
    except NNError:
        return  # no readable sweep.json: nothing to compare (it is written again below)
    now = describe(sweep)
    same_spec = "spec_file" not in earlier or earlier["spec_file"] == now["spec_file"]
    if same_spec and earlier.get("objective") == now["objective"] and earlier.get("folds") == now["folds"]:
        return
    objective = earlier.get("objective", {})
    folds = f"cv with {earlier['folds']} folds" if earlier.get("folds") else "no cv"
    raise NNError(
        f"{directory} holds another sweep ({earlier.get('sweep')}: spec {earlier.get('spec')}, objective "
        f"{objective.get('metric')} {objective.get('mode')}, {folds}); --resume continues "
        "the same sweep: give this one another -o"
    )


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
    # the sweep file's checkpoint_every, else the spec's own training.checkpoint.every (its dir is
    # replaced by the trial's own), else a tenth of the epochs
    own = (trial.document["training"].get("checkpoint") or {}).get("every")
    return {
        "key": trial.key,
        "document": trial.document,
        "directory": str((directory / TRIALS_DIR / trial.key).resolve()),
        "fold": trial.fold,
        "folds": sweep.folds,
        "cv_seed": sweep.cv_seed,
        "checkpoint_every": sweep.checkpoint_every or own or max(1, epochs // 10),
    }


def trial_resources(sweep: Sweep, trial: Trial) -> dict[str, float]:
    """The Dask worker resources one trial holds: the sweep file's, plus a GPU for a spec on ``device: cuda``.

    So a sweep over ``device: [cpu, cuda]`` (or over backends) sends its CUDA
    trials to workers started with ``--resources "gpus=1"`` and the rest anywhere.
    """
    resources = dict(sweep.resources)
    device = (trial.document or {}).get("device")
    if isinstance(device, str) and device.startswith("cuda") and "gpus" not in resources:
        resources["gpus"] = 1.0
    return resources


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def run_sweep(
    sweep: Sweep,
    directory: Path,
    registry: Any,
    make_executor: Callable[[], Executor],
    *,
    resume: bool = False,
    on_record: Callable[[dict[str, Any]], None] | None = None,
    on_plan: Callable[[int], None] | None = None,
) -> Outcome:
    """Run ``sweep`` into ``directory``; every finished (trial, fold) is appended to ``trials.jsonl``."""
    trials = plan(sweep, registry)
    prepare_directory(directory, sweep, resume)
    earlier = read_records(directory) if resume else []
    finished = {r["key"]: r for r in earlier if r.get("status") in FINISHED}
    outcome = Outcome(records=list(finished.values()))
    todo = [t for t in trials if t.key not in finished]
    outcome.skipped = len(trials) - len(todo)
    if on_plan:
        on_plan(planned_total(sweep, trials) - (len(finished) if sweep.search == "tpe" else outcome.skipped))
    writer = RecordWriter(directory)

    def record(trial: Trial, result: dict[str, Any]) -> dict[str, Any]:
        done = _record(trial, result, directory)
        writer.write(done)
        outcome.records.append(done)
        if on_record:
            on_record(done)
        return done

    try:
        for trial in [t for t in todo if t.invalid is not None]:
            record(trial, {"status": "invalid", "reason": trial.invalid, "seconds": 0.0})
        runnable = [t for t in todo if t.invalid is None]
        if runnable or sweep.search == "tpe":
            _execute(runnable, sweep, directory, registry, finished, make_executor, record, outcome)
    finally:
        writer.close()
    if sweep.search == "tpe":
        outcome.skipped = len(finished)
    return outcome


def _execute(
    trials: list[Trial],
    sweep: Sweep,
    directory: Path,
    registry: Any,
    finished: dict[str, dict[str, Any]],
    make_executor: Callable[[], Executor],
    record: Callable[[Trial, dict[str, Any]], dict[str, Any]],
    outcome: Outcome,
) -> None:
    executor = make_executor()
    outcome.startup_seconds = executor.startup_seconds
    outcome.engine = executor.description
    futures: dict[Any, Trial] = {}
    try:
        for wanted in {tuple(sorted(trial_resources(sweep, t).items())) for t in trials}:
            executor.check_resources(dict(wanted))
        source: Planned | Proposed
        if sweep.search == "tpe":
            source = Proposed(sweep, registry, finished, executor.capacity())
        else:
            source = Planned(trials)
        running: set[str] = set()

        def submit_more() -> list[Any]:
            submitted = []
            while source.capacity is None or len(running) < source.capacity:
                group = source.next()
                if group is None:
                    break
                if group[0].invalid is not None:
                    for trial in group:
                        record(trial, {"status": "invalid", "reason": trial.invalid, "seconds": 0.0})
                    continue
                running.add(group[0].spec_hash)
                for trial in group:
                    future = executor.submit(
                        run_trial,
                        _task(trial, sweep, directory),
                        key=f"nn-trial-{trial.key}",
                        resources=trial_resources(sweep, trial),
                        retries=sweep.retries,
                    )
                    futures[future] = trial
                    submitted.append(future)
            return submitted

        completion = executor.as_completed(submit_more())
        for future in completion:
            trial = futures.pop(future)
            try:
                result = executor.result(future)
            except Exception as exc:  # crashed after its retries, or its workers kept dying (KilledWorker)
                result = {"status": "error", "reason": _one_line(exc)}
            source.finished(trial, record(trial, result))
            outcome.ran += 1
            if not any(t.spec_hash == trial.spec_hash for t in futures.values()):
                running.discard(trial.spec_hash)
            for added in submit_more():
                completion.add(added)
    finally:
        if futures:
            executor.cancel(futures)
        executor.close()
