"""search type tpe: Optuna's TPE when installed, else one clear line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from sweep_helpers import nn, write_sweep

from nn_core.errors import NNError
from nn_sweep.search import TpeSearch
from nn_sweep.sweepfile import read_sweep

TPE = """\
spec: spec.yaml
search: {type: tpe, trials: 5, seed: 1}
params:
  optimizer.lr: {loguniform: [0.01, 1.0]}
  model.layers[0].units: [2, 0, 8]
objective: {metric: dev.loss, mode: min}
"""


def test_without_optuna_tpe_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sweep = read_sweep(write_sweep(tmp_path, TPE))
    monkeypatch.setitem(sys.modules, "optuna", None)  # what `import optuna` meets when it is not installed
    with pytest.raises(NNError) as caught:
        TpeSearch(sweep)
    assert str(caught.value) == (
        "search type tpe needs Optuna, which is not installed: pip install 'nn-sweep[tpe]' (or use search type random)"
    )


def test_tpe_proposes_validated_trials_and_resume_replays_them(tmp_path: Path) -> None:
    pytest.importorskip("optuna")
    sweep = write_sweep(tmp_path, TPE, epochs=30)
    done = nn("sweep", str(sweep), "-o", str(tmp_path / "runs"), "--workers", "1", "--json")
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in (tmp_path / "runs" / "trials.jsonl").read_text().splitlines()]
    assert len(records) == 5
    for record in records:
        lr, units = record["overrides"]["optimizer.lr"], record["overrides"]["model.layers[0].units"]
        assert 0.01 <= lr <= 1.0 and units in (2, 0, 8)
        assert record["status"] == ("invalid" if units == 0 else "ok")
    ranked = json.loads(done.stdout)["trials"]
    losses = [t["objective"] for t in ranked if t["status"] == "ok"]
    assert losses == sorted(losses)
    again = nn("sweep", str(sweep), "-o", str(tmp_path / "runs"), "--workers", "0", "--json", "--resume")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["ran"] == 0  # the seeded sampler proposes the finished trials again
