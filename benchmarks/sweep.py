"""nn sweep on 2 local Dask workers against the same trials one after another, side by side in one run.

    python benchmarks/sweep.py                  # 16 spirals trials of 2,000 epochs, best of 1 run
    python benchmarks/sweep.py --repeat 3       # best of 3 of each

The trials are the tutorial-000 spirals spec (specs/spirals.yaml) with a 4 x 4
grid over the learning rate and the hidden width, 2,000 full-batch epochs
each. "one after another" is ``nn sweep --workers 0``: the very function the
workers run (``nn_sweep.task.run_trial``), called in this process trial after
trial, so both arms do the same work: data, training, checkpoints, model file. The Dask arm is
timed from before the LocalCluster starts to the last record, and the engine
start-up (cluster up and client connected) is reported on its own. The two
arms' final metrics are compared trial by trial: they must be equal.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SWEEP = f"""\
spec: {ROOT / "specs" / "spirals.yaml"}
search: {{type: grid}}
params:
  optimizer.lr: [0.3, 0.6, 1.2, 2.4]
  model.layers[0].units: [2, 4, 8, 16]
objective: {{metric: train.accuracy, mode: max}}
"""
EPOCHS = 2000


def cpu_name() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return platform.processor() or "unknown CPU"
    for line in out.splitlines():
        if line.startswith("Model name:"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


def sweep_file(directory: Path) -> Path:
    path = directory / "sweep.yaml"
    path.write_text(SWEEP + f"# every trial: {EPOCHS} epochs\n", encoding="utf-8")
    return path


def _trials(directory: Path) -> tuple[Any, list[Any], Any]:
    from nn_core.plugins import load_plugins
    from nn_sweep.sweep import plan
    from nn_sweep.sweepfile import read_sweep

    registry = load_plugins().registry
    sweep = read_sweep(sweep_file(directory))
    trials = plan(sweep, registry)
    return sweep, trials, registry


def _with_epochs(trials: list[Any]) -> list[Any]:
    import dataclasses

    out = []
    for trial in trials:
        document = json.loads(json.dumps(trial.document))
        document["training"]["epochs"] = EPOCHS
        document["training"]["log_every"] = EPOCHS // 10
        out.append(dataclasses.replace(trial, document=document))
    return out


def _sweep(directory: Path, make_executor: Any) -> tuple[float, float, dict[str, Any]]:
    """Run the benchmark's trials through ``run_sweep``; (seconds, engine start-up, metrics by trial)."""
    from nn_sweep import sweep as sweeping

    sweep, trials, registry = _trials(directory)
    trials = _with_epochs(trials)
    original_plan = sweeping.plan
    sweeping.plan = lambda *_: trials  # the same trials, at the benchmark's epochs
    try:
        started = time.perf_counter()
        outcome = sweeping.run_sweep(sweep, directory, registry, make_executor)
        seconds = time.perf_counter() - started
    finally:
        sweeping.plan = original_plan
    assert all(r["status"] == "ok" for r in outcome.records), outcome.records
    return seconds, outcome.startup_seconds, {r["key"]: r["metrics"] for r in outcome.records}


def sequential(directory: Path) -> tuple[float, dict[str, Any]]:
    from nn_sweep.serial import SerialExecutor

    seconds, _, results = _sweep(directory, SerialExecutor)
    return seconds, results


def on_dask(directory: Path, workers: int) -> tuple[float, float, dict[str, Any]]:
    from nn_sweep.executor import DaskExecutor

    return _sweep(directory, lambda: DaskExecutor(workers=workers, resources={"cpus": 1.0}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each arm; the best counts (default 1)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    best_seq = best_dask = best_start = float("inf")
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            seq_seconds, seq_results = sequential(Path(a))
            dask_seconds, startup, dask_results = on_dask(Path(b), args.workers)
        if seq_results != dask_results:
            raise SystemExit("the two arms' metrics differ: a sweep must give the sequential results")
        best_seq, best_dask, best_start = (
            min(best_seq, seq_seconds),
            min(best_dask, dask_seconds),
            min(best_start, startup),
        )
    trials = len(seq_results)
    print(f"CPU: {cpu_name()}")
    print(f"{trials} spirals trials x {EPOCHS} epochs, best of {args.repeat}; metrics identical in both arms")
    print(f"one after another      {best_seq:7.2f} s")
    print(f"{args.workers} local Dask workers  {best_dask:7.2f} s  (engine start-up {best_start:.2f} s of it)")
    without = best_seq / (best_dask - best_start)
    print(f"speed-up               {best_seq / best_dask:7.2f} x  ({without:.2f} x without the start-up)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
