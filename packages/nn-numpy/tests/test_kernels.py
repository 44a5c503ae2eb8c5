"""Kernel sets: NN_KERNELS's choice, its errors, numba imported lazily, and
the numba kernels bit-identical to the reference kernels, kernel by kernel
and over whole training runs (a checkpoint crosses from one set to the other).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy_specs import make_experiment, spec_dict

from nn_core.registry import Registry
from nn_core.testing import ConformanceError
from nn_core.testing.kernels import check_backend_kernels, check_kernel_sets, first_difference
from nn_numpy.backend import NumpyBackend
from nn_numpy.kernels import AUTO_MIN_PARAMETERS, KernelChoiceError, ReferenceKernels, kernels_for, kernels_named
from nn_numpy.kernels import choice as kernel_choice
from nn_numpy.kernels.cases import KernelCase, kernel_cases, mixed

# -- NN_KERNELS ----------------------------------------------------------------------


def test_numpy_is_the_reference_whatever_the_size(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NN_KERNELS", "numpy")
    assert kernels_for(10**9).name == "numpy"


def test_auto_keeps_small_networks_on_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NN_KERNELS", raising=False)
    assert kernels_for(17).name == "numpy"
    assert kernels_for(AUTO_MIN_PARAMETERS - 1).name == "numpy"


def test_auto_without_numba_is_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NN_KERNELS", "auto")
    monkeypatch.setattr(kernel_choice, "numba_installed", lambda: False)
    assert kernels_for(10**7).name == "numpy"


def test_invalid_value_is_one_line_naming_the_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NN_KERNELS", "cuda")
    with pytest.raises(KernelChoiceError) as caught:
        kernels_for(10)
    assert str(caught.value) == "NN_KERNELS='cuda' is not a kernel set; choose one of auto, numpy, numba"


def test_numba_requested_but_missing_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NN_KERNELS", "numba")
    monkeypatch.setattr(kernel_choice, "numba_installed", lambda: False)
    with pytest.raises(KernelChoiceError) as caught:
        kernels_for(10)
    message = str(caught.value)
    assert "\n" not in message and "pip install 'nn-numpy[numba]'" in message


def _tiny_spec(tmp_path: Path) -> Path:
    """A tutorial-sized spec (2-4-1 tanh/sigmoid, 8 inline points): needs nn-core and nn-numpy only."""
    X = [[0.1 * i, (-1) ** i * 0.3] for i in range(8)]
    spec = spec_dict(
        [{"type": "dense", "units": 4, "activation": "tanh"}, {"type": "dense", "units": 1, "activation": "sigmoid"}],
        "binary_cross_entropy",
        {"type": "sgd", "lr": 1.2},
        X=np.array(X),
        y=np.arange(8) % 2,
        training={"epochs": 200, "log_every": 100},
    )
    path = tmp_path / "tiny.json"  # JSON is YAML
    path.write_text(json.dumps(spec))
    return path


def test_invalid_value_in_the_cli_is_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "NN_KERNELS": "fast"}
    done = subprocess.run(
        [sys.executable, "-m", "nn_core.cli", "train", str(_tiny_spec(tmp_path))],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode != 0
    assert done.stderr.strip() == "nn: error: NN_KERNELS='fast' is not a kernel set; choose one of auto, numpy, numba"


_NO_NUMBA = """
import sys
from nn_core.cli import main
assert main(["validate", {spec!r}]) == 0
assert main(["train", {spec!r}]) == 0
loaded = sorted(m for m in sys.modules if m == "numba" or m.startswith("numba."))
print("numba modules:", len(loaded))
"""


def test_validate_and_tutorial_sized_runs_never_import_numba(tmp_path: Path) -> None:
    # Meaningful where numba is installed (the numba tox env); tests/test_kernels_startup.py does spirals.
    code = _NO_NUMBA.format(spec=str(_tiny_spec(tmp_path)))
    env = {k: v for k, v in os.environ.items() if k != "NN_KERNELS"}  # auto
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "numba modules: 0"


# -- the bitwise comparison itself ---------------------------------------------------------


def test_first_difference_sees_signed_zero_and_nan_placement() -> None:
    a = np.array([0.0, 1.0, np.nan])
    assert first_difference(a, a.copy()) is None
    assert first_difference(a, np.array([-0.0, 1.0, np.nan])) is not None
    assert first_difference(a, np.array([0.0, np.nan, np.nan])) is not None
    assert first_difference(a, np.array([0.0, np.nextafter(1.0, 2.0), np.nan])) is not None


class _Rewritten(ReferenceKernels):
    """The Adam nn-numpy shipped before: eps moved inside the bias correction, algebraically equal."""

    name = "rewritten"

    def adam(self, params: np.ndarray, grads: np.ndarray, m: np.ndarray, v: np.ndarray, **kw: Any) -> None:
        b1, b2, t, s = kw["beta1"], kw["beta2"], kw["t"], kw["scratch"][0]
        m += np.multiply(grads - m, 1 - b1, out=s)
        v += np.multiply(grads * grads - v, 1 - b2, out=s)
        # m̂ / (√v̂ + eps) = c · m / (√v + eps·√(1 − β₂ᵗ)),  c = √(1 − β₂ᵗ) / (1 − β₁ᵗ)
        root = np.sqrt(1 - b2**t)
        np.sqrt(v, out=s)
        s += kw["eps"] * root
        np.divide(m, s, out=s)
        s *= kw["lr"] * root / (1 - b1**t)
        params -= s


def test_kit_catches_a_kernel_set_that_rounds_differently() -> None:
    sets = {"numpy": kernels_named("numpy"), "rewritten": _Rewritten()}
    with pytest.raises(
        ConformanceError, match=r"kernel adam\[finite, t=1, weight_decay=0.0, float64\]: rewritten differs"
    ):
        check_kernel_sets(sets, [c for c in kernel_cases("float64") if c.kernel == "adam"])


# -- numba against numpy, bit for bit ------------------------------------------------------

numba_only = pytest.mark.skipif(not kernel_choice.numba_installed(), reason="numba not installed (nn-numpy[numba])")


_LOADED_WHILE_BUILDING = """
import numpy as np
from numba.core.registry import CPUDispatcher
from nn_numpy.kernels import fused
from numpy_specs import make_experiment
from nn_core.plugins import load_plugins

def loaded():
    return {{name: len(f.signatures) for name, f in vars(fused).items() if isinstance(f, CPUDispatcher)}}

registry = load_plugins().registry
layers = [
    {{"type": "dense", "units": 6, "activation": "relu"}},
    {{"type": "dense", "units": 3, "activation": "softmax"}},
]
X = np.random.default_rng(0).normal(size=(8, 4))
y = np.arange(8) % 3
loss, adam = "categorical_cross_entropy", {{"type": "adam"}}
experiment = make_experiment(registry, layers, loss, adam, X=X, y=y, dtype={dtype!r})
after_build = loaded()
network = experiment.network
network.train_step(network.to_backend(X), network.prepare_targets(y), experiment.optimizer)
print(sorted(after_build.items()) == sorted(loaded().items()), min(after_build.values()), len(after_build))
"""


@numba_only
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_numba_kernels_load_while_the_network_is_built_not_in_the_first_step(dtype: str) -> None:
    # A fresh process: numba loads a kernel's machine code at its first call (0.24 s for the first).
    code = _LOADED_WHILE_BUILDING.format(dtype=dtype)
    env = {**os.environ, "NN_KERNELS": "numba", "PYTHONPATH": str(Path(__file__).parent)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    unchanged, fewest, kernels = done.stdout.split()
    assert unchanged == "True"  # the first step loaded nothing more
    assert int(fewest) >= 1 and int(kernels) >= 12  # every kernel loaded for this dtype


@numba_only
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_every_kernel_bit_identical(dtype: str) -> None:
    sets = {"numpy": kernels_named("numpy"), "numba": kernels_named("numba")}
    cases = kernel_cases(dtype)
    assert {c.kernel for c in cases} == {
        "sgd",
        "momentum",
        "adagrad",
        "rmsprop",
        "adam",
        "bias_activation",
        "activation_backward",
        "cross_entropy_gradient",
    }
    assert check_kernel_sets(sets, cases) == len(cases)


@numba_only
def test_conformance_kit_compares_the_backends_kernel_sets() -> None:
    assert set(NumpyBackend.kernel_sets()) == {"numpy", "numba"}
    assert check_backend_kernels(NumpyBackend) == len(kernel_cases("float32")) + len(kernel_cases("float64"))


OPTIMIZERS = [
    {"type": "adam", "lr": 0.01},
    {"type": "adamw", "lr": 0.01, "weight_decay": 0.1},
    {"type": "rmsprop", "lr": 0.01},
    {"type": "adagrad", "lr": 0.1},
    {"type": "sgd", "lr": 0.1, "momentum": 0.9, "nesterov": True},
    {"type": "sgd", "lr": 0.1, "momentum": 0.9},
    {"type": "sgd", "lr": 0.1},
]


def _experiment(
    registry: Registry, optimizer: dict[str, Any], dtype: str, loss: str = "categorical_cross_entropy"
) -> Any:
    rng = np.random.default_rng(5)
    X = rng.normal(size=(48, 7))
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5).astype(int)
    last = {"type": "dense", "units": 3, "activation": "softmax"}
    if loss == "binary_cross_entropy":
        y = (y > 0).astype(int)
        last = {"type": "dense", "units": 1, "activation": "sigmoid"}
    layers = [
        {"type": "dense", "units": 16, "activation": "relu"},
        {"type": "dense", "units": 8, "activation": "tanh"},
        {"type": "dense", "units": 8, "activation": "sigmoid"},
        {"type": "dense", "units": 6, "activation": "identity"},
        last,
    ]
    return make_experiment(registry, layers, loss, optimizer, X=X, y=y, dtype=dtype), X, y


def _steps(experiment: Any, X: np.ndarray, y: np.ndarray, steps: int, start: int = 0) -> None:
    network, optimizer = experiment.network, experiment.optimizer
    Xb, Yb = network.to_backend(X), network.prepare_targets(y)
    for step in range(start, start + steps):
        rows = np.random.default_rng(step).choice(len(X), size=12, replace=False)
        network.train_step(network.batch(Xb, rows), network.batch(Yb, rows), optimizer)


def _state(experiment: Any) -> dict[str, np.ndarray]:
    state = {f"param {k}": v for k, v in experiment.network.state_arrays().items()}
    for k, v in experiment.optimizer.state_dict().items():
        state[f"optimizer {k}"] = np.asarray(v)
    return state


def _assert_bitwise(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert a.keys() == b.keys()
    for name in a:
        assert first_difference(np.asarray(a[name]), np.asarray(b[name])) is None, name


@numba_only
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=lambda o: "-".join(map(str, o.values())))
def test_training_bit_identical_and_checkpoints_cross_kernel_sets(
    registry: Registry, monkeypatch: pytest.MonkeyPatch, optimizer: dict[str, Any], dtype: str
) -> None:
    # numba all the way: 120 steps
    monkeypatch.setenv("NN_KERNELS", "numba")
    fused, X, y = _experiment(registry, optimizer, dtype)
    assert fused.network.kernels.name == "numba" and fused.optimizer.kernels.name == "numba"
    _steps(fused, X, y, 120)  # past step 100: the optimizers flush negligible state (nn_numpy.subnormal)
    # numpy for 60 steps, its state carried into a numba network (a checkpoint), 60 more
    monkeypatch.setenv("NN_KERNELS", "numpy")
    first, _, _ = _experiment(registry, optimizer, dtype)
    assert first.network.kernels.name == "numpy"
    _steps(first, X, y, 60)
    monkeypatch.setenv("NN_KERNELS", "numba")
    resumed, _, _ = _experiment(registry, optimizer, dtype)
    resumed.network.load_state_arrays(first.network.state_arrays())
    resumed.optimizer.load_state_dict(first.optimizer.state_dict())
    _steps(resumed, X, y, 60, start=60)
    _assert_bitwise(_state(fused), _state(resumed))
    assert not np.array_equal(
        fused.network.state_arrays()["layers.0.weight"],
        _experiment(registry, optimizer, dtype)[0].network.state_arrays()["layers.0.weight"],
    )  # it trained


@numba_only
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_cross_entropy_training_bit_identical(
    registry: Registry, monkeypatch: pytest.MonkeyPatch, dtype: str
) -> None:
    states = []
    for kernels in ("numpy", "numba"):
        monkeypatch.setenv("NN_KERNELS", kernels)
        experiment, X, y = _experiment(registry, {"type": "adam", "lr": 0.01}, dtype, "binary_cross_entropy")
        _steps(experiment, X, y, 20)
        states.append(_state(experiment))
    _assert_bitwise(*states)


EVERY_LAYER = [
    {"type": "dense", "units": 12, "activation": "leaky_relu", "regularizer": {"type": "l2", "lambda": 0.01}},
    {"type": "batch_norm"},
    {"type": "dense", "units": 10, "activation": "elu", "use_bias": False},
    {"type": "dropout", "rate": 0.2},
    {"type": "dense", "units": 8, "activation": "gelu"},
    {"type": "dense", "units": 8, "activation": "softplus", "regularizer": {"type": "l1", "lambda": 0.001}},
    {"type": "dense", "units": 6, "activation": "relu"},
    {"type": "dense", "units": 2, "activation": "identity"},
]


@numba_only
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("optimizer", ["adamw", "rmsprop"])
def test_every_layer_kind_bit_identical(
    registry: Registry, monkeypatch: pytest.MonkeyPatch, dtype: str, optimizer: str
) -> None:
    # Kernels numba does not fuse (elu, gelu, softplus, batch norm, dropout, penalties, no bias,
    # mse) fall back to the reference: the two sets still agree bit for bit, buffers and generators too.
    rng = np.random.default_rng(9)
    X = rng.normal(size=(48, 5))
    y = np.column_stack([X[:, 0] * X[:, 1], np.sin(X[:, 2])])
    states = []
    for kernels in ("numpy", "numba"):
        monkeypatch.setenv("NN_KERNELS", kernels)
        experiment = make_experiment(
            registry, EVERY_LAYER, "mse", {"type": optimizer, "lr": 0.01}, X=X, y=y, dtype=dtype
        )
        assert experiment.network.kernels.name == kernels
        _steps(experiment, X, y, 110)
        state = _state(experiment)
        state.update({f"rng {k}": np.asarray(v) for k, v in experiment.network.rng_state().items()})
        states.append(state)
    _assert_bitwise(*states)


@numba_only
@settings(max_examples=60, deadline=None)
@given(
    dtype=st.sampled_from(["float32", "float64"]),
    lr=st.floats(1e-6, 2.0),
    beta1=st.floats(0.0, 0.999),
    beta2=st.floats(0.0, 0.99999),
    eps=st.floats(1e-12, 1e-3),
    t=st.integers(1, 100_000),
    decay=st.sampled_from([0.0, 1e-4, 0.1]),
    nesterov=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_optimizer_kernels_bit_identical_for_any_hyperparameters(
    dtype: str, lr: float, beta1: float, beta2: float, eps: float, t: int, decay: float, nesterov: bool, seed: int
) -> None:
    sets = {"numpy": kernels_named("numpy"), "numba": kernels_named("numba")}
    n = 257

    def case(kernel: str, arrays: int, positive_last: bool, scratch: int, **settings: Any) -> Any:
        def make() -> tuple[tuple[Any, ...], dict[str, Any]]:
            rng = np.random.default_rng(seed)
            args = [mixed(rng, shape=(n,), dtype=dtype, edges=False) for _ in range(arrays)]
            if positive_last:
                args[-1] = np.abs(args[-1])
            buffers = tuple(np.empty(n, dtype) for _ in range(scratch))
            return tuple(args), {**settings, "scratch": buffers if scratch > 1 else buffers[0]}

        return KernelCase(f"{kernel}[{dtype}]", kernel, make)

    cases = [
        case("sgd", 2, False, 1, lr=lr),
        case("momentum", 3, False, 1, lr=lr, momentum=beta1, nesterov=nesterov),
        case("adagrad", 3, True, 1, lr=lr, eps=eps),
        case("rmsprop", 3, True, 1, lr=lr, rho=beta2, eps=eps),
        case("adam", 4, True, 2, lr=lr, beta1=beta1, beta2=beta2, eps=eps, t=t, weight_decay=decay),
    ]
    assert check_kernel_sets(sets, cases) == len(cases)
