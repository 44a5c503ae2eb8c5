"""Model files cross backends: trained on torch, served by nn-core + nn-numpy alone (torch not
importable), with the same predictions; and the reverse. ``nn export --format torch`` end to end."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from nn_core import build, load_spec, train  # noqa: E402
from nn_core.model import load_model, model_from_run  # noqa: E402
from nn_core.plugins import load_plugins  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]
SPEC = {
    "name": "portable",
    "seed": 2,
    "data": {"dataset": {"type": "moons", "n_samples": 200, "noise": 0.2, "seed": 4}, "scale": "standard"},
    "model": {
        "layers": [
            {"type": "dense", "units": 16, "activation": "tanh", "init": "glorot_normal"},
            {"type": "batch_norm"},
            {"type": "dense", "units": 8, "activation": "relu", "init": "he_normal"},
            {"type": "dense", "units": 2, "activation": "softmax"},
        ]
    },
    "loss": "categorical_cross_entropy",
    "optimizer": {"type": "adam", "lr": 0.01},
    "training": {"epochs": 15, "batch_size": 32, "log_every": 15},
    "metrics": ["accuracy"],
}
INPUTS = np.random.default_rng(9).standard_normal((50, 2)) * 1.5

WITHOUT_TORCH = """
import json, sys
sys.modules["torch"] = None  # `import torch` fails in this process, as on a server without it
import numpy as np
from nn_core.model import load_model
model = load_model(sys.argv[1])
proba = model.predict_proba(np.array(json.loads(sys.argv[2])))
print(json.dumps({"backend": model.spec.backend, "proba": proba.tolist(),
                  "torch_loaded": sys.modules.get("torch") is not None}))
"""


def trained(backend: str, dtype: str, path: Path) -> np.ndarray:
    plugins = load_plugins()
    spec = load_spec({**SPEC, "backend": backend, "dtype": dtype}, plugins=plugins)
    run = train(build(spec, plugins=plugins), plugins=plugins)
    model = model_from_run(run)
    model.save(path)
    return model.predict_proba(INPUTS)


@pytest.mark.parametrize(("dtype", "rtol"), [("float64", 1e-9), ("float32", 1e-5)])
def test_trained_on_torch_served_without_torch(tmp_path: Path, dtype: str, rtol: float) -> None:
    path = tmp_path / "model.nn"
    expected = trained("torch", dtype, path)
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_TORCH, str(path), json.dumps(INPUTS.tolist())],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["backend"] == "numpy" and not result["torch_loaded"]
    np.testing.assert_allclose(np.array(result["proba"]), expected, rtol=rtol, atol=rtol * 1e-3)


@pytest.mark.parametrize(("dtype", "rtol"), [("float64", 1e-9), ("float32", 1e-5)])
def test_trained_on_numpy_served_by_torch(tmp_path: Path, dtype: str, rtol: float) -> None:
    path = tmp_path / "model.nn"
    expected = trained("numpy", dtype, path)
    model = load_model(path, backend="torch")
    assert model.spec.backend == "torch" and model.metadata["trained_on_backend"] == "numpy"
    assert type(model.network).__module__ == "nn_torch.network"
    np.testing.assert_allclose(model.predict_proba(INPUTS), expected, rtol=rtol, atol=rtol * 1e-3)


def test_the_file_records_the_backend_that_trained_it(tmp_path: Path) -> None:
    path = tmp_path / "model.nn"
    trained("torch", "float32", path)
    model = load_model(path)
    assert model.metadata["backend"] == "torch" and model.metadata["dtype"] == "float32"
    assert model.spec.backend == "torch"


def nn(*args: str, cwd: Path, block_torch: bool = False) -> subprocess.CompletedProcess[str]:
    """``nn ARGS`` in ``cwd``: in this process (fast), or in a fresh one where ``import torch`` fails."""
    if block_torch:
        code = "import sys; sys.modules['torch'] = None; from nn_core.cli import main; sys.exit(main(sys.argv[1:]))"
        return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=cwd)
    from nn_core.cli import main

    out, err = io.StringIO(), io.StringIO()
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    finally:
        os.chdir(previous)
    return subprocess.CompletedProcess(["nn", *args], code, out.getvalue(), err.getvalue())


def test_cli_evaluate_and_predict_pick_a_backend(tmp_path: Path) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({**SPEC, "backend": "torch"}))
    done = nn("train", str(spec), "-o", "model.nn", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    np.savetxt(tmp_path / "inputs.csv", INPUTS, delimiter=",", header="x0,x1", comments="")

    results = {}
    for backend in ("torch", "numpy"):
        done = nn("evaluate", "model.nn", "--backend", backend, "--json", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        results[backend] = json.loads(done.stdout)
        done = nn("predict", "model.nn", "inputs.csv", "--backend", backend, "-o", f"{backend}.csv", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    assert results["numpy"]["train"]["loss"] == pytest.approx(results["torch"]["train"]["loss"], rel=1e-9)
    assert (tmp_path / "numpy.csv").read_text() == (tmp_path / "torch.csv").read_text()

    done = nn("evaluate", "model.nn", "--json", cwd=tmp_path, block_torch=True)  # falls back to numpy
    assert done.returncode == 0, done.stderr
    assert "torch is not importable here" in done.stderr  # nn-torch's one problem line
    assert "nn: note: model.nn was trained on backend 'torch'; running it on 'numpy'" in done.stderr
    assert json.loads(done.stdout)["train"]["loss"] == pytest.approx(results["torch"]["train"]["loss"], rel=1e-9)


def test_cli_export_torch_loads_with_weights_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the printed recipe names model.pt as the user wrote it
    path = tmp_path / "model.nn"
    expected = trained("numpy", "float64", path)
    done = nn("export", "model.nn", "--format", "torch", "-o", "model.pt", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "torch.load('model.pt', weights_only=True)" in done.stdout
    namespace: dict = {}
    exec(done.stdout[done.stdout.index("import torch") :], namespace)  # the printed recipe, as a user pastes it
    with torch.no_grad():
        got = namespace["model"](torch.from_numpy(INPUTS)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


def test_cli_export_unknown_format_names_the_installed_ones(tmp_path: Path) -> None:
    path = tmp_path / "model.nn"
    trained("numpy", "float64", path)
    done = nn("export", "model.nn", "--format", "onnx", "-o", "model.onnx", cwd=tmp_path)
    assert done.returncode != 0
    assert done.stderr.strip().splitlines()[-1] == (
        "nn: error: --format 'onnx': no such export format; installed formats: torch"
    )
    assert not (tmp_path / "model.onnx").exists()


def test_cli_export_refuses_to_overwrite_the_model_it_reads(tmp_path: Path) -> None:
    path = tmp_path / "model.nn"
    trained("numpy", "float64", path)
    before = path.read_bytes()
    done = nn("export", "model.nn", "--format", "torch", "-o", "./model.nn", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "nn: error: -o ./model.nn is one of this run's inputs (model.nn); write somewhere else"
    )
    assert path.read_bytes() == before


def test_cli_unknown_backend_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "model.nn"
    trained("numpy", "float64", path)
    done = nn("evaluate", "model.nn", "--backend", "jax", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "nn: error: --backend 'jax' is not installed (installed backends: numpy, torch)"
    )


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a GPU")
def test_a_model_trained_on_cuda_runs_on_the_cpu_here(tmp_path: Path) -> None:
    """The file of a GPU run (device: cuda recorded) loads on a CPU-only machine, on the CPU, and says so."""
    path = tmp_path / "model.nn"
    expected = trained("torch", "float64", path)
    # Rewrite the recorded device as a CUDA run would have written it.
    from nn_core.modelfile import read_archive, write_archive

    arrays, meta = read_archive(path, "model")
    meta["spec"]["device"] = "cuda"
    write_archive(
        path, "model", arrays, {k: v for k, v in meta.items() if k not in ("format", "format_version", "kind")}
    )
    model = load_model(path)
    assert model.spec.device == "cpu" and model.metadata["trained_on_device"] == "cuda"
    np.testing.assert_allclose(model.predict_proba(INPUTS), expected, rtol=1e-12)
    done = nn("evaluate", "model.nn", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "was trained on device 'cuda', which this machine lacks; running it on 'cpu'" in done.stderr
