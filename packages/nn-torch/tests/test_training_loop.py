"""The torch backend under nn-core's real loop: determinism, exact resume from a checkpoint (optimizer
state, batch-norm statistics and dropout generators crossing as numpy arrays), a checkpoint from one
backend resuming on the other, and the quasi-Newton boundary."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")

from nn_core import build, load_spec, train  # noqa: E402
from nn_core.checkpoint import load_checkpoint, restore  # noqa: E402

SPEC = """\
name: moons-dropout-torch
seed: 7
backend: torch
data:
  dataset: {type: moons, n_samples: 200, noise: 0.2, seed: 0}
  split: {dev: 0.2}
model:
  layers:
    - {type: dense, units: 16, activation: relu}
    - {type: batch_norm}
    - {type: dropout, rate: 0.2}
    - {type: dense, units: 2, activation: softmax}
loss: categorical_cross_entropy
optimizer: {type: adam, lr: 0.01}
schedule: {type: step, step_size: 5, gamma: 0.5}
training: {epochs: 20, batch_size: 16, log_every: 5}
metrics: [accuracy]
"""


@pytest.fixture
def spec_path(tmp_path: Path) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC)
    return path


def weights(run) -> dict[str, np.ndarray]:  # type: ignore[no-untyped-def]
    return run.experiment.network.state_arrays()


def assert_same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert a.keys() == b.keys()
    for name in a:
        assert np.array_equal(a[name], b[name]), name


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_same_spec_same_weights(spec_path: Path, dtype: str) -> None:
    first = train(build(load_spec(spec_path, [f"dtype={dtype}"])))
    second = train(build(load_spec(spec_path, [f"dtype={dtype}"])))
    assert type(first.experiment.network).__module__ == "nn_torch.network"
    assert_same(weights(first), weights(second))
    other_seed = train(build(load_spec(spec_path, [f"dtype={dtype}", "seed=8"])))
    assert not np.array_equal(weights(first)["layers.0.weight"], weights(other_seed)["layers.0.weight"])


def test_resume_from_mid_run_checkpoint_is_bit_identical(spec_path: Path, tmp_path: Path) -> None:
    ckpt_dir = tmp_path / "ckpt"
    overrides = [f"training.checkpoint.dir={ckpt_dir}", "training.checkpoint.every=5", "training.checkpoint.keep=10"]
    full = train(build(load_spec(spec_path, overrides)))
    spec = load_spec(spec_path, overrides)
    experiment = build(spec)
    arrays, meta = load_checkpoint(ckpt_dir / "epoch-000010.ckpt")
    assert arrays["rng/layers.2.generator"].dtype == np.uint8  # the torch.Generator state, as numpy
    resumed = train(experiment, resume=restore(experiment, arrays, meta, "epoch-10"))
    assert_same(weights(full), weights(resumed))
    assert resumed.history == full.history


def test_bfgs_drives_a_torch_network_through_numpy_vectors() -> None:
    """welch-bfgs on torch: scipy's BFGS sees float64 numpy vectors; the result matches numpy's run."""
    root = Path(__file__).resolve().parents[3]
    losses = {}
    for backend in ("numpy", "torch"):
        run = train(build(load_spec(root / "specs" / "welch-bfgs.yaml", [f"backend={backend}"])))
        losses[backend] = run.final_metrics["train"]["loss"]
    assert losses["torch"] == pytest.approx(losses["numpy"], rel=1e-6)
    assert losses["torch"] < 0.002  # tutorial 001's 0.001227


DIGEST = """
import hashlib, sys
import numpy as np
from nn_core import build, load_spec, train
padding = [np.empty(n) for n in range(1, int(sys.argv[2]))]  # a different heap: other array alignments
run = train(build(load_spec(sys.argv[1], ["training.epochs=5"])))
digest = hashlib.sha256()
for name, array in sorted(run.experiment.network.state_arrays().items()):
    digest.update(name.encode() + array.tobytes())
print(digest.hexdigest())
"""


def test_separate_processes_give_bit_identical_weights(spec_path: Path) -> None:
    import subprocess
    import sys

    digests = {
        subprocess.run(
            [sys.executable, "-c", DIGEST, str(spec_path), str(padding)], capture_output=True, text=True, check=True
        ).stdout.strip()
        for padding in (2, 97)
    }
    assert len(digests) == 1 and len(next(iter(digests))) == 64
