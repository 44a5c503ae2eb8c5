"""A swept value the spec cannot take is reported at its line in the sweep file, whatever nn-core found wrong."""

from __future__ import annotations

from pathlib import Path

from sweep_helpers import write_sweep

from nn_core.plugins import load_plugins
from nn_sweep.sweepfile import read_sweep
from nn_sweep.trials import resolve

SWEEP = """\
spec: spec.yaml
params:
  model.layers[5].units: [3]
  optimizer.lr: [-1]
objective: {metric: dev.accuracy, mode: max}
"""


def test_a_list_item_the_spec_lacks_points_at_the_parameter_in_the_sweep_file(tmp_path: Path) -> None:
    sweep = read_sweep(write_sweep(tmp_path, SWEEP))
    registry = load_plugins().registry
    [missing] = resolve(sweep, 0, {"model.layers[5].units": 3}, registry)
    assert missing.invalid == (
        f"{sweep.source}:3:26: params.model.layers[5].units = 3: model.layers[5]: no such list item (list has 2)"
    )
    [negative] = resolve(sweep, 0, {"optimizer.lr": -1}, registry)
    assert negative.invalid == (
        f"{sweep.source}:4:17: params.optimizer.lr = -1: optimizer.lr: must be greater than 0, got -1"
    )
