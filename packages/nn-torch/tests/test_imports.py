"""torch stays out of processes that do not compute with it."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("torch")


def _modules_after(code: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print(' '.join(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(done.stdout.split())


def test_registering_nn_torch_does_not_import_torch() -> None:
    """``nn plugins``/``nn validate`` load every plugin; torch (about a second) loads on first use only."""
    modules = _modules_after("import nn_torch.plugin as p; p.nn_components(); p.nn_exporters()")
    assert "nn_torch.backend" in modules
    assert "torch" not in modules


def test_core_numpy_and_datasets_never_import_torch() -> None:
    code = (
        "import nn_core, nn_core.cli, nn_core.training, nn_core.model, nn_core.export\n"
        "import nn_numpy.plugin, nn_datasets.plugin\n"
        "from nn_numpy.network import NumpyNetwork\n"
    )
    assert "torch" not in _modules_after(code)


def test_first_tensor_operation_imports_torch() -> None:
    modules = _modules_after("from nn_torch.tensors import torch_dtype; torch_dtype('float32')")
    assert "torch" in modules


def test_without_torch_the_plugin_reports_one_line_and_registers_nothing() -> None:
    code = (
        "import sys; sys.modules['torch'] = None  # what a machine without torch looks like\n"
        "import nn_torch.plugin as p\n"
        "try:\n    p.nn_components()\nexcept Exception as exc:\n    print(type(exc).__name__, exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == (
        "PluginError torch is not importable here; pip install 'torch>=2.4' to use the torch backend"
    )
