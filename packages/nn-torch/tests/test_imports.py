"""torch stays out of processes that do not compute with it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")

from nn_core import build, load_spec, train  # noqa: E402
from nn_core.model import model_from_run  # noqa: E402
from nn_core.plugins import load_plugins  # noqa: E402


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


def test_a_torch_that_fails_to_import_is_one_line(tmp_path: Path) -> None:
    """A broken torch (installed, but ``import torch`` raises) passes the plugin's cheap
    ``find_spec`` check; evaluating a torch-trained model then names the failure in one
    line, where it was an "internal error: ImportError"."""
    plugins = load_plugins()
    spec = {
        "backend": "torch",
        "data": {"dataset": {"type": "blobs", "n_samples": 30, "centers": 2, "seed": 1}},
        "model": {"layers": [{"type": "dense", "units": 2, "activation": "softmax"}]},
        "loss": "categorical_cross_entropy",
        "optimizer": "sgd",
        "training": {"epochs": 1},
    }
    run = train(build(load_spec(spec, plugins=plugins), plugins=plugins), plugins=plugins)
    model_from_run(run).save(tmp_path / "m.nn")
    broken = tmp_path / "broken" / "torch"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text("raise OSError('libcudnn.so.9: cannot open shared object file')\n")
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from nn_core.cli import main; sys.exit(main())", "evaluate", "m.nn"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path / "broken")},
    )
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        "nn: error: torch is installed but `import torch` fails (OSError: libcudnn.so.9: cannot open shared "
        "object file); reinstall torch, or pick another backend (--backend numpy, --set backend=numpy)"
    ]
