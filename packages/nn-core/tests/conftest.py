from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the fakes module beside the tests

from fakes import SPEC, fake_plugins, fake_registry, install  # noqa: E402

from nn_core.registry import Registry  # noqa: E402


@pytest.fixture
def registry() -> Registry:
    return fake_registry()[1]


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> Registry:
    """Make the fake plugin what the CLI sees as installed."""
    loaded = fake_plugins()
    install(monkeypatch, loaded)
    return loaded.registry


@pytest.fixture
def spec_file(tmp_path: Path) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC)
    return path
