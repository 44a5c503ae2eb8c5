"""A trial that crashes is retried, then recorded as an error, and the sweep goes on (in-process executor)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sweep_helpers import write_sweep

from nn_core.plugins import load_plugins
from nn_sweep import sweep as sweeping
from nn_sweep.serial import SerialExecutor
from nn_sweep.sweepfile import read_sweep
from nn_sweep.trials import read_records

SWEEP = """\
spec: spec.yaml
search: {type: grid}
params:
  seed: [0, 1, 2]
objective: {metric: dev.accuracy, mode: max}
retries: 2
"""


def test_crashes_are_retried_then_recorded_and_the_sweep_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sweep = read_sweep(write_sweep(tmp_path, SWEEP, epochs=5))
    attempts: dict[int, int] = {}
    real = sweeping.run_trial

    def flaky(task: dict[str, Any]) -> dict[str, Any]:
        seed = task["document"]["seed"]
        attempts[seed] = attempts.get(seed, 0) + 1
        if seed == 1 and attempts[seed] == 1:
            raise OSError("No space left on device")  # once: the retry succeeds
        if seed == 2:
            raise RuntimeError("segfault in a plugin\nwith a second line")  # every time
        return real(task)

    monkeypatch.setattr(sweeping, "run_trial", flaky)
    outcome = sweeping.run_sweep(sweep, tmp_path / "runs", load_plugins().registry, SerialExecutor)
    assert attempts == {0: 1, 1: 2, 2: 3}  # retries: 2 → at most three attempts
    by_seed = {r["overrides"]["seed"]: r for r in read_records(tmp_path / "runs")}
    assert [r["key"] for r in outcome.records] == [r["key"] for r in read_records(tmp_path / "runs")]
    assert by_seed[0]["status"] == by_seed[1]["status"] == "ok"
    assert by_seed[2]["status"] == "error"
    assert by_seed[2]["reason"] == "RuntimeError: segfault in a plugin"
