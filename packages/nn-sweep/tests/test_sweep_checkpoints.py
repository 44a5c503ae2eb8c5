"""How often a trial checkpoints: the sweep file's checkpoint_every, else the spec's own, else a tenth."""

from __future__ import annotations

from pathlib import Path

from sweep_helpers import write_sweep

from nn_sweep.sweep import _task
from nn_sweep.sweepfile import read_sweep
from nn_sweep.trials import Trial

SWEEP = """\
spec: spec.yaml
params:
  seed: [0]
objective: {metric: dev.loss, mode: min}
"""


def _every(sweep_text: str, training: dict[str, object], tmp_path: Path) -> int:
    sweep = read_sweep(write_sweep(tmp_path, sweep_text))
    task = _task(Trial(0, {}, "h", {"training": training}), sweep, tmp_path)
    return int(task["checkpoint_every"])


def test_the_specs_own_checkpoint_every_is_kept_unless_the_sweep_file_sets_one(tmp_path: Path) -> None:
    own = {"epochs": 1000, "checkpoint": {"dir": "ckpt", "every": 7}}
    assert _every(SWEEP, own, tmp_path) == 7
    assert _every(SWEEP + "checkpoint_every: 3\n", own, tmp_path) == 3
    assert _every(SWEEP, {"epochs": 1000}, tmp_path) == 100
