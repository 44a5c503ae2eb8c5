"""A full disk under ``training.log`` warns and keeps training (issue 12, item 7), as checkpoints already do."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fakes import SPEC, fake_registry

import nn_core.outputs
from nn_core import build, load_spec, train

PM, REGISTRY = fake_registry()


class FillsUp:
    """A log file whose disk fills after ``rows`` writes."""

    def __init__(self, real: Any, rows: int) -> None:
        self.real, self.left = real, rows

    def write(self, text: str) -> int:
        if self.left <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        self.left -= 1
        return int(self.real.write(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


@pytest.mark.parametrize("suffix", ["csv", "jsonl"])
def test_full_disk_under_the_log_warns_once_and_training_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], suffix: str
) -> None:
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(SPEC)
    reference = train(
        build(load_spec(spec_path, ["training.epochs=40", "training.log_every=4"], REGISTRY), REGISTRY), pm=PM
    )
    log = tmp_path / f"log.{suffix}"
    real_open = nn_core.outputs.open_log
    monkeypatch.setattr(nn_core.outputs, "open_log", lambda path, what: FillsUp(real_open(path, what), 4))
    spec = load_spec(spec_path, ["training.epochs=40", "training.log_every=4", f"training.log={log}"], REGISTRY)
    run = train(build(spec, REGISTRY), pm=PM)
    assert run.epoch == 40, "the run was lost to a full disk under its log"
    weights, expected = run.experiment.network.state_arrays(), reference.experiment.network.state_arrays()
    assert all(np.array_equal(weights[k], expected[k]) for k in expected)
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("nn: warning:")]
    assert warnings == [
        f"nn: warning: training.log: cannot write {log} (No space left on device) at epoch "
        f"{12 if suffix == 'csv' else 16}; training continues, the log stops here"
    ]
    lines = log.read_text().splitlines()
    assert len(lines) == 4  # csv: the header and epochs 0, 4, 8; jsonl: epochs 0, 4, 8, 12
