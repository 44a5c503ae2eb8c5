from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the fakes module beside the tests

from fakes import SPEC, fake_registry  # noqa: E402

from nn_core import plugins  # noqa: E402
from nn_core.registry import Registry  # noqa: E402


@pytest.fixture
def registry() -> Registry:
    return fake_registry()[1]


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> Registry:
    """Make the fake plugin what the CLI sees as installed."""
    pm, reg = fake_registry()
    monkeypatch.setattr(plugins, "_default", (pm, reg))
    return reg


@pytest.fixture
def spec_file(tmp_path: Path) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC)
    return path
