"""The handlers of ``nn sweep``, ``nn ensemble`` and ``nn plot sweep``."""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nn_core.errors import NNError

DEFAULT_WORKERS = 2


def registry_of(plugins: Any) -> Any:
    """The component registry of the :class:`nn_core.plugins.Plugins` ``nn`` hands a plugin command."""
    return plugins.registry


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (``kill``, a batch system's time limit) stops a sweep as Ctrl-C does.

    So the embedded cluster is closed cleanly and the user is told how to
    resume, rather than the process dying mid-write with the interpreter's
    leaked-semaphore warnings on stderr.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def ran_words(runs: int, folds: int | None) -> str:
    """How many runs the sweep made: with cv each trial runs once per fold, so runs are not trials."""
    if folds:
        return f"{runs} run{'s' if runs != 1 else ''} (each trial once per fold, {folds} folds)"
    return f"{runs} trial{'s' if runs != 1 else ''}"


def cmd_sweep(args: argparse.Namespace, plugins: Any) -> int:
    from nn_sweep.executor import DaskExecutor, Executor
    from nn_sweep.progress import ProgressBar
    from nn_sweep.report import summarize, table
    from nn_sweep.serial import SerialExecutor
    from nn_sweep.sweep import run_sweep
    from nn_sweep.sweepfile import read_sweep

    if args.workers is not None and args.workers < 0:
        raise NNError("--workers must be 0 (this process) or more")
    registry = registry_of(plugins)
    sweep = read_sweep(args.sweep)
    directory = Path(args.output)
    progress = ProgressBar(sweep.objective_metric, args.quiet or args.json)

    def executor() -> Executor:
        if args.workers == 0:
            return SerialExecutor()
        local = None if (args.address or args.scheduler_file) else (args.workers or DEFAULT_WORKERS)
        resources = {"cpus": 1.0} if local else None  # each local worker runs one trial at a time
        return DaskExecutor(
            workers=local,
            address=args.address,
            scheduler_file=args.scheduler_file,
            allowed_failures=sweep.retries,
            resources=resources,
        )

    try:
        with _sigterm_as_interrupt():
            outcome = run_sweep(
                sweep, directory, registry, executor, resume=args.resume, on_record=progress, on_plan=progress.start
            )
    except KeyboardInterrupt:
        where = (
            f" --address {args.address}"
            if args.address
            else f" --scheduler-file {args.scheduler_file}"
            if args.scheduler_file
            else f" --workers {args.workers}"
            if args.workers is not None
            else ""
        )
        again = f"nn sweep {args.sweep} -o {args.output}{where} --resume"
        print(f"nn: sweep interrupted; finished trials are in trials.jsonl; continue with: {again}", file=sys.stderr)
        return 130
    rows = summarize(outcome.records, sweep.objective_metric, sweep.objective_mode)
    if args.json:
        document = {
            "sweep": sweep.source,
            "output": str(directory),
            "objective": {"metric": sweep.objective_metric, "mode": sweep.objective_mode},
            "folds": sweep.folds,
            "engine": outcome.engine,
            "engine_startup_seconds": round(outcome.startup_seconds, 3),
            "ran": outcome.ran,
            "skipped": outcome.skipped,
            "trials": rows,
        }
        print(json.dumps(document, allow_nan=True))
    else:
        if outcome.engine:
            ran = ran_words(outcome.ran, sweep.folds)
            print(f"ran {ran} on {outcome.engine} (started in {outcome.startup_seconds:.1f}s)", end="")
            print(f"; skipped {outcome.skipped} finished" if outcome.skipped else "")
        elif outcome.skipped:
            print(f"every trial had finished already ({outcome.skipped} skipped)")
        print(table(rows, sweep.objective_metric, sweep.folds))
        print(f"records in {directory / 'trials.jsonl'}")
    ok = any(r["status"] == "ok" for r in rows)
    return 0 if ok else 1


def top_models(directory: Path, top: int) -> list[tuple[Path, str]]:
    """The model files of a sweep's best ``top`` trials (every fold's, with cross-validation)."""
    from nn_sweep.report import summarize
    from nn_sweep.trials import read_description, read_records

    description = read_description(directory)
    objective = description["objective"]
    rows = [
        r for r in summarize(read_records(directory), objective["metric"], objective["mode"]) if r["status"] == "ok"
    ]
    if not rows:
        raise NNError(f"{directory} has no finished trial to take models from")
    chosen = []
    for row in rows[:top]:
        for model in row["models"]:
            chosen.append((directory / model, f"trial {row['spec_hash'][:10]} ({directory / model})"))
    return chosen


def cmd_ensemble(args: argparse.Namespace, plugins: Any) -> int:
    from nn_core.ensemble import Ensemble, check_members
    from nn_core.model import load_model

    if args.top < 1:
        raise NNError("--top must be at least 1")
    registry = registry_of(plugins)
    sources: list[tuple[Path, str]] = []
    for source in args.sources:
        path = Path(source)
        sources.extend(top_models(path, args.top) if path.is_dir() else [(path, str(path))])
    from nn_core.outputs import check_output_path

    out = Path(check_output_path(args.output, inputs=[p for p, _ in sources]))
    members = [load_model(path, registry) for path, _ in sources]
    names = [name for _, name in sources]
    check_members(members, names)
    Ensemble(members).save(out)
    print(f"wrote {out}: an ensemble of {len(members)} models")
    for name in names:
        print(f"  {name}")
    return 0


def cmd_plot_sweep(args: argparse.Namespace, plugins: Any) -> int:
    from nn_sweep.plotting import plot_sweep

    plot_sweep(Path(args.target), args.output)
    print(f"wrote {args.output}")
    return 0
