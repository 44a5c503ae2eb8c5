"""Which Dask worker resources a trial holds."""

from __future__ import annotations

from pathlib import Path

from sweep_helpers import write_sweep

from nn_sweep.sweep import trial_resources
from nn_sweep.sweepfile import read_sweep
from nn_sweep.trials import Trial

SWEEP = """\
spec: spec.yaml
params:
  seed: [0]
objective: {metric: dev.loss, mode: min}
"""


def _trial(document: dict[str, object]) -> Trial:
    return Trial(0, {}, "h", document)


def test_the_sweep_files_resources_and_a_gpu_for_cuda_trials(tmp_path: Path) -> None:
    plain = read_sweep(write_sweep(tmp_path, SWEEP))
    assert trial_resources(plain, _trial({"device": "cpu"})) == {}
    assert trial_resources(plain, _trial({"device": "cuda:1"})) == {"gpus": 1.0}
    cpus = read_sweep(write_sweep(tmp_path, SWEEP + "resources: {cpus: 2}\n"))
    assert trial_resources(cpus, _trial({})) == {"cpus": 2.0}
    assert trial_resources(cpus, _trial({"device": "cuda"})) == {"cpus": 2.0, "gpus": 1.0}
    two = read_sweep(write_sweep(tmp_path, SWEEP + "resources: {gpus: 2}\n"))
    assert trial_resources(two, _trial({"device": "cuda"})) == {"gpus": 2.0}
