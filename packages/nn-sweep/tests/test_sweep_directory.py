"""An output directory holds one sweep: --resume continues it, never mixes another one in."""

from __future__ import annotations

from pathlib import Path

import pytest
from sweep_helpers import write_sweep

from nn_core.errors import NNError
from nn_sweep.sweep import prepare_directory
from nn_sweep.sweepfile import read_sweep
from nn_sweep.trials import TRIALS_FILE

SWEEP = """\
spec: spec.yaml
params:
  seed: [0, 1]
objective: {metric: dev.accuracy, mode: max}
"""


def _one_record(runs: Path) -> None:
    (runs / TRIALS_FILE).write_text('{"key": "k", "spec_hash": "k", "status": "ok"}\n', encoding="utf-8")


def test_resume_refuses_a_sweep_with_another_objective(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    first = read_sweep(write_sweep(tmp_path, SWEEP))
    prepare_directory(runs, first, resume=False)
    _one_record(runs)
    extended = read_sweep(write_sweep(tmp_path, SWEEP.replace("[0, 1]", "[0, 1, 2]")))
    prepare_directory(runs, extended, resume=True)  # more values of the same sweep: fine
    other = read_sweep(write_sweep(tmp_path, SWEEP.replace("dev.accuracy, mode: max", "dev.loss, mode: min")))
    with pytest.raises(NNError) as error:
        prepare_directory(runs, other, resume=True)
    assert str(error.value) == (
        f"{runs} holds another sweep ({first.source}: spec {first.spec_path}, objective dev.accuracy max, "
        "no cv); --resume continues the same sweep: give this one another -o"
    )
    assert '"dev.accuracy"' in (runs / "sweep.json").read_text()  # its description is untouched


def test_a_directory_whose_sweep_recorded_nothing_is_reused(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    sweep = read_sweep(write_sweep(tmp_path, SWEEP))
    prepare_directory(runs, sweep, resume=False)  # then the scheduler was unreachable: no trial recorded
    prepare_directory(runs, sweep, resume=False)
    _one_record(runs)
    with pytest.raises(NNError, match="already holds a sweep"):
        prepare_directory(runs, sweep, resume=False)
