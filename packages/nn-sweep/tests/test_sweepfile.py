"""Sweep files are checked like specs: every problem with its path, file:line, and a did-you-mean."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nn_core.spec import SpecError
from nn_sweep.search import assignments, grid, random
from nn_sweep.sweepfile import read_sweep


def _read(tmp_path: Path, text: str) -> object:
    path = tmp_path / "sweep.yaml"
    path.write_text(text, encoding="utf-8")
    return read_sweep(path)


def _error(tmp_path: Path, text: str) -> str:
    with pytest.raises(SpecError) as caught:
        _read(tmp_path, text)
    return str(caught.value)


GOOD = """\
spec: ../specs/moons-l2.yaml
search: {type: random, trials: 40, seed: 0}
params:
  optimizer.lr: {loguniform: [1.0e-4, 1.0e-1]}
  model.layers[0].units: [3, 8, 16]
  seed: {range: [0, 5]}
cv: {folds: 5}
objective: {metric: dev.accuracy, mode: max}
retries: 2
resources: {cpus: 1}
"""


def test_the_issue_example_reads(tmp_path: Path) -> None:
    sweep = _read(tmp_path, GOOD)
    assert sweep.spec_path == tmp_path / "../specs/moons-l2.yaml"  # relative to the sweep file
    assert (sweep.search, sweep.trials, sweep.folds, sweep.retries) == ("random", 40, 5, 2)
    assert sweep.resources == {"cpus": 1.0}
    units = next(d for d in sweep.params if d.path == "model.layers[0].units")
    seeds = next(d for d in sweep.params if d.path == "seed")
    assert units.choices == (3, 8, 16) and seeds.choices == (0, 1, 2, 3, 4)


def test_errors_name_path_file_and_line(tmp_path: Path) -> None:
    text = GOOD.replace(
        "objective: {metric: dev.accuracy, mode: max}", "objective: {metric: dev.accuracy, mode: maximum}"
    )
    message = _error(tmp_path, text)
    assert (
        message
        == f"{tmp_path / 'sweep.yaml'}:8:41: objective.mode: 'maximum' is not one of min, max; did you mean 'max'?"
    )
    message = _error(tmp_path, GOOD.replace("retries: 2", "retrys: 2"))
    assert "sweep.yaml:9:9: retrys: unknown key 'retrys'; did you mean 'retries'?" in message


def test_a_misspelt_domain_gets_a_did_you_mean(tmp_path: Path) -> None:
    message = _error(tmp_path, GOOD.replace("{loguniform:", "{logunifrom:"))
    assert "sweep.yaml:4:17: params.optimizer.lr: expected a list of values" in message
    assert message.endswith("did you mean 'loguniform'?")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("[1.0e-4, 1.0e-1]", "[0, 1.0e-1]", "loguniform bounds must be positive"),
        ("[1.0e-4, 1.0e-1]", "[0.5, 0.1]", "expected [low, high] with low < high"),
        ("range: [0, 5]", "range: [5, 0]", "range(5, 0) is empty (the stop is excluded)"),
        ("type: random, trials: 40, seed: 0", "type: random", "missing required key 'trials'"),
        ("type: random, trials: 40, seed: 0", "type: grid", "a grid needs a list or a range"),
    ],
)
def test_domain_errors(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert expected in _error(tmp_path, GOOD.replace(old, new))


def test_grid_is_every_combination_and_random_is_seeded(tmp_path: Path) -> None:
    sweep = _read(
        tmp_path,
        GOOD.replace("{loguniform: [1.0e-4, 1.0e-1]}", "[0.1, 0.01]").replace(
            "type: random, trials: 40, seed: 0", "type: grid"
        ),
    )
    combos = assignments(sweep)
    assert len(combos) == 2 * 3 * 5
    assert combos[0] == {"optimizer.lr": 0.1, "model.layers[0].units": 3, "seed": 0}
    assert combos[-1] == {"optimizer.lr": 0.01, "model.layers[0].units": 16, "seed": 4}
    assert grid(sweep.params) == combos
    sweep = _read(tmp_path, GOOD)
    first, second = random(sweep.params, 400, 0), random(sweep.params, 400, 0)
    assert first == second and random(sweep.params, 400, 1) != first
    lrs = np.array([a["optimizer.lr"] for a in first])
    assert lrs.min() >= 1e-4 and lrs.max() <= 1e-1
    # log-uniform: as many draws below 1e-3 (one decade of three) as a third of them, give or take
    assert 0.25 < np.mean(lrs < 1e-3) < 0.42
    assert {a["model.layers[0].units"] for a in first} == {3, 8, 16}
    assert all(type(a["seed"]) is int for a in first)
