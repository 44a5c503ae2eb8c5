"""Helpers: small specs and sweep files written per test, the `nn` command, a real Dask cluster."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

SPEC = """\
name: sweep-moons
seed: 0
data:
  dataset: {type: moons, n_samples: 160, noise: 0.2, seed: 0}
  split: {dev: 0.25}
model:
  layers:
    - {type: dense, units: 4, activation: tanh}
    - {type: dense, units: 2, activation: softmax}
loss: categorical_cross_entropy
optimizer: {type: sgd, lr: 0.5}
training: {epochs: EPOCHS, batch_size: 32, log_every: 50}
metrics: [accuracy]
"""


def write_spec(directory: Path, epochs: int = 100) -> Path:
    path = directory / "spec.yaml"
    path.write_text(SPEC.replace("EPOCHS", str(epochs)), encoding="utf-8")
    return path


def write_sweep(directory: Path, text: str, epochs: int = 100) -> Path:
    write_spec(directory, epochs)
    path = directory / "sweep.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def nn(*args: str, timeout: float = 120, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The installed ``nn`` command, as a user runs it (Dask's warnings stay out of pytest's process)."""
    return subprocess.run(
        [sys.executable, "-m", "nn_core.cli", *args], capture_output=True, text=True, timeout=timeout, cwd=cwd
    )


@dataclass
class Cluster:
    """A ``dask scheduler`` and ``dask worker`` processes on loopback."""

    scheduler_file: Path
    scheduler: subprocess.Popen[bytes]
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def stop(self) -> None:
        """SIGTERM everything, then SIGKILL what is still running after a few seconds.

        (A worker that has just taken over a dead peer's trial can take a long
        time to close gracefully; the test needs nothing from it any more.)
        """
        for process in [*self.workers, self.scheduler]:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 5
        for process in [*self.workers, self.scheduler]:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)


def _wait_for(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


def start_cluster(tmp_path: Path) -> Iterator[Cluster]:
    """A scheduler and two single-threaded workers without nannies (killing a worker kills its process)."""
    scheduler_file = tmp_path / "scheduler.json"
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
    scheduler = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "distributed.cli.dask_scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--no-dashboard",
            "--scheduler-file",
            str(scheduler_file),
        ],
        **quiet,  # type: ignore[call-overload]
    )
    running = Cluster(scheduler_file, scheduler)
    try:
        _wait_for(scheduler_file.exists, 60, "the Dask scheduler")
        for _ in range(2):
            running.workers.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "distributed.cli.dask_worker",
                        "--scheduler-file",
                        str(scheduler_file),
                        "--nthreads",
                        "1",
                        "--no-nanny",
                        "--no-dashboard",
                        "--host",
                        "127.0.0.1",
                        "--local-directory",
                        str(tmp_path / "dask-worker-space"),
                    ],
                    **quiet,  # type: ignore[call-overload]
                )
            )
        yield running
    finally:
        running.stop()
