from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the fakes module beside the tests

from fakes import FakePlugin  # noqa: E402

import nn_core.builtins  # noqa: E402
from nn_core import plugins  # noqa: E402
from nn_core.plugins import build_registry, get_plugin_manager  # noqa: E402
from nn_core.registry import Registry  # noqa: E402


def fake_registry(*extra: tuple[object, str]) -> tuple[plugins.PluginManager, Registry]:
    pm = get_plugin_manager(
        entry_point_group=None,
        plugins=[(nn_core.builtins, "nn-core"), (FakePlugin, "nn-fake"), *extra],
    )
    return pm, build_registry(pm)


@pytest.fixture
def registry() -> Registry:
    return fake_registry()[1]


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> Registry:
    """Make the fake plugin what the CLI sees as installed."""
    pm, reg = fake_registry()
    monkeypatch.setattr(plugins, "_default", (pm, reg))
    return reg


SPEC = """\
name: line-fit
seed: 3
backend: fake
data:
  dataset: {type: line, n: 20}
model:
  layers:
    - {type: linear, units: 4, activation: tanh}
    - {type: linear, units: 1}
loss: half_squares
optimizer: {type: descent, lr: 0.5}
training: {epochs: 200, batch_size: full, log_every: 50}
metrics: []
"""


@pytest.fixture
def spec_file(tmp_path: Path) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC)
    return path
