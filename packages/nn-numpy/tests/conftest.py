"""Shared fixture: a fresh registry of nn-numpy and nn-core (no other plugin)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import nn_core.builtins
import nn_numpy.plugin
from nn_core.plugins import build_registry, get_plugin_manager
from nn_core.registry import Registry

sys.path.insert(0, str(Path(__file__).parent))  # numpy_specs beside the tests


@pytest.fixture(scope="session")
def registry() -> Registry:
    pm = get_plugin_manager(
        entry_point_group=None, plugins=[(nn_numpy.plugin, "nn-numpy"), (nn_core.builtins, "nn-core")]
    )
    reg = build_registry(pm)
    assert not reg.problems, reg.problems
    return reg
