"""The torch network against nn-numpy's and against torch autograd; its state boundaries."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from torch_test_networks import make_network

torch = pytest.importorskip("torch")

import nn_numpy.network  # noqa: E402
import nn_numpy.optimizers as np_opt  # noqa: E402
import nn_torch.network  # noqa: E402
import nn_torch.optimizers as t_opt  # noqa: E402
from nn_core.errors import TrainingError  # noqa: E402
from nn_torch.backend import TorchBackend, check_device  # noqa: E402

DEEP = [
    ("dense", {"units": 16, "activation": "tanh"}),
    ("batch_norm", {"momentum": 0.8}),
    ("dense", {"units": 8, "activation": "gelu"}),
    ("dense", {"units": 8, "activation": "elu", "activation_params": {"alpha": 0.5}}),
    ("dense", {"units": 3, "activation": "softmax"}),
]


def data(n: int = 120, features: int = 5, classes: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(11)
    return rng.standard_normal((n, features)), rng.integers(0, classes, n)


def train(net: Any, optimizer: Any, X: np.ndarray, y: np.ndarray, steps: int, batch: int = 32, seed: int = 3) -> None:
    Xb, Yb = net.to_backend(X), net.prepare_targets(y)
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        index = rng.permutation(len(X))[:batch]
        net.train_step(net.batch(Xb, index), net.batch(Yb, index), optimizer)


def test_initial_weights_are_bit_identical_to_numpy() -> None:
    a = make_network("numpy", DEEP + [("dropout", {"rate": 0.3}), ("dense", {"units": 2})], loss="mse")
    b = make_network("torch", DEEP + [("dropout", {"rate": 0.3}), ("dense", {"units": 2})], loss="mse")
    assert a.state_arrays().keys() == b.state_arrays().keys()
    for name, array in a.state_arrays().items():
        np.testing.assert_array_equal(b.state_arrays()[name], array, err_msg=name)


def test_float32_initial_weights_are_the_float64_draw_rounded_once() -> None:
    a = make_network("torch", DEEP)
    b = make_network("torch", DEEP, dtype="float32")
    for name, array in a.state_arrays().items():
        np.testing.assert_array_equal(b.state_arrays()[name], array.astype(np.float32), err_msg=name)


@pytest.mark.parametrize(
    ("optimizer", "params", "loss", "l2"),
    [
        ("adam", {"lr": 0.01}, "categorical_cross_entropy", 1e-3),
        ("sgd", {"lr": 0.1, "momentum": 0.9, "nesterov": True}, "categorical_cross_entropy", None),
        ("rmsprop", {"lr": 0.005}, "mse", 1e-2),
    ],
)
def test_training_matches_numpy_float64(optimizer: str, params: dict, loss: str, l2: float | None) -> None:
    X, y = data()
    nets = [make_network(b, DEEP, loss=loss, l2=l2) for b in ("numpy", "torch")]
    opts = [
        next(o for o in np_opt.OPTIMIZERS if o.name == optimizer)(**params),
        next(o for o in t_opt.OPTIMIZERS if o.name == optimizer)(**params),
    ]
    for net, opt in zip(nets, opts, strict=True):
        opt.setup(net.flat_params)
        train(net, opt, X, y, steps=200)
    losses = [net.loss(net.to_backend(X), net.prepare_targets(y)) for net in nets]
    assert losses[1] == pytest.approx(losses[0], rel=1e-9)
    for name, array in nets[0].state_arrays().items():
        np.testing.assert_allclose(nets[1].state_arrays()[name], array, rtol=1e-9, atol=1e-12, err_msg=name)
    np.testing.assert_allclose(nets[1].predict_proba(X), nets[0].predict_proba(X), rtol=1e-9, atol=1e-12)


def test_gradient_matches_torch_autograd() -> None:
    """The hand-written backward (dense, batch norm, activations, fused softmax + CE, l2) against autograd."""
    X, y = data(40)
    net = make_network("torch", DEEP, l2=0.01)
    Xt, Yt = net.to_backend(X), net.prepare_targets(y)
    value, grad = net.loss_and_gradient(net.get_flat(), Xt, Yt)

    p = {k: v.clone().requires_grad_(True) for k, v in net.parameters.items()}
    h = torch.tanh(Xt @ p["layers.0.weight"].T + p["layers.0.bias"])
    mean, var = h.mean(0), h.var(0, unbiased=False)
    h = (h - mean) / torch.sqrt(var + 1e-5) * p["layers.1.weight"] + p["layers.1.bias"]
    h = torch.nn.functional.gelu(h @ p["layers.2.weight"].T + p["layers.2.bias"])
    h = torch.nn.functional.elu(h @ p["layers.3.weight"].T + p["layers.3.bias"], alpha=0.5)
    logits = h @ p["layers.4.weight"].T + p["layers.4.bias"]
    loss = torch.nn.functional.cross_entropy(logits, torch.from_numpy(y))
    loss = loss + 0.5 * 0.01 * sum((p[f"layers.{i}.weight"] ** 2).sum() for i in (0, 2, 3, 4))
    loss.backward()
    loss = loss.detach()
    assert value == pytest.approx(loss.item(), rel=1e-12)
    expected = torch.cat([p[name].grad.reshape(-1) for name in net.parameters]).numpy()
    np.testing.assert_allclose(grad, expected, rtol=1e-10, atol=1e-13)


def test_batch_norm_running_statistics_follow_nn_convention() -> None:
    """momentum 0.8 keeps 80 % of the old estimate; the variance is the biased one."""
    net = make_network("torch", [("batch_norm", {"momentum": 0.8}), ("dense", {"units": 1})], loss="mse", input_dim=3)
    X = torch.from_numpy(np.random.default_rng(1).standard_normal((10, 3)) * 2 + 1)
    net.forward(X, True)
    bn = net.layers[0]
    torch.testing.assert_close(bn.running_mean, 0.2 * X.mean(0), rtol=1e-14, atol=0)
    torch.testing.assert_close(bn.running_var, 0.8 + 0.2 * X.var(0, unbiased=False), rtol=1e-14, atol=0)


def test_same_seed_gives_bit_identical_weights_with_dropout() -> None:
    X, y = data()
    layers = [
        ("dense", {"units": 16, "activation": "relu"}),
        ("dropout", {"rate": 0.4}),
        ("dense", {"units": 3, "activation": "softmax"}),
    ]
    results = []
    for _ in range(2):
        net = make_network("torch", layers, seed=5)
        opt = t_opt.Adam(lr=0.01)
        opt.setup(net.flat_params)
        train(net, opt, X, y, steps=30)
        results.append(net.flat_params.clone())
    assert torch.equal(results[0], results[1])


def test_resume_from_numpy_state_is_bit_identical() -> None:
    """Parameters, optimizer state and dropout generators cross as numpy arrays and resume exactly."""
    X, y = data()
    layers = [
        ("dense", {"units": 16, "activation": "relu"}),
        ("dropout", {"rate": 0.5}),
        ("batch_norm", {}),
        ("dense", {"units": 3, "activation": "softmax"}),
    ]
    straight = make_network("torch", layers)
    opt = t_opt.Adam(lr=0.01)
    opt.setup(straight.flat_params)
    train(straight, opt, X, y, steps=10, seed=1)
    arrays, opt_state, rng_state = straight.state_arrays(), opt.state_dict(), straight.rng_state()
    assert all(isinstance(v, np.ndarray) for v in [*arrays.values(), *rng_state.values()])
    train(straight, opt, X, y, steps=10, seed=2)

    resumed = make_network("torch", layers, seed=99)  # other initial weights and masks, all overwritten
    opt2 = t_opt.Adam(lr=0.01)
    opt2.setup(resumed.flat_params)
    resumed.load_state_arrays(arrays)
    opt2.load_state_dict(opt_state)
    resumed.set_rng_state(rng_state)
    train(resumed, opt2, X, y, steps=10, seed=2)
    assert torch.equal(resumed.flat_params, straight.flat_params)
    for name, array in straight.state_arrays().items():
        np.testing.assert_array_equal(resumed.state_arrays()[name], array, err_msg=name)


def test_dropout_keeps_the_expected_fraction_and_rescales() -> None:
    net = make_network("torch", [("dropout", {"rate": 0.3}), ("dense", {"units": 1})], loss="mse", input_dim=200)
    X = torch.ones(500, 200, dtype=torch.float64)
    out = net.layers[0].forward(X, True)
    kept = (out != 0).double().mean().item()
    assert kept == pytest.approx(0.7, abs=0.01)
    assert set(torch.unique(out).tolist()) == {0.0, 1 / (1 - 0.3)}
    assert torch.equal(net.layers[0].forward(X, False), X)


def test_state_arrays_with_wrong_names_or_shapes_are_refused() -> None:
    net = make_network("torch", DEEP)
    arrays = net.state_arrays()
    with pytest.raises(ValueError, match=r"missing \['layers.1.running_var'\], unexpected \['layers.1.running_varx'\]"):
        net.load_state_arrays(
            {
                **{k: v for k, v in arrays.items() if k != "layers.1.running_var"},
                "layers.1.running_varx": arrays["layers.1.running_var"],
            }
        )
    with pytest.raises(ValueError, match=r"layers.0.weight has shape \(5, 16\), the network needs \(16, 5\)"):
        net.load_state_arrays({**arrays, "layers.0.weight": arrays["layers.0.weight"].T})


def test_quasi_newton_boundary_is_numpy_float64_copies() -> None:
    net = make_network("torch", DEEP, dtype="float32")
    flat = net.get_flat()
    assert isinstance(flat, np.ndarray) and flat.dtype == np.float64
    flat[:] = 0.0
    assert float(net.flat_params.abs().sum()) > 0  # a copy, not a view
    net.set_flat(flat)
    assert float(net.flat_params.abs().sum()) == 0


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without a GPU")
def test_cuda_on_a_cpu_machine_is_one_line_naming_device() -> None:
    assert TorchBackend.devices() == ("cpu",)
    with pytest.raises(
        TrainingError, match=r"^device: 'cuda:0' is not available to torch on this machine \(present: cpu\)"
    ):
        check_device("cuda:0")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_training_matches_cpu_float64() -> None:  # pragma: no cover - no GPU in CI
    X, y = data()
    nets = [make_network("torch", DEEP, device=d) for d in ("cpu", "cuda")]
    for net in nets:
        opt = t_opt.Adam(lr=0.01)
        opt.setup(net.flat_params)
        train(net, opt, X, y, steps=50)
    np.testing.assert_allclose(nets[1].predict_proba(X), nets[0].predict_proba(X), rtol=1e-9, atol=1e-12)


def test_evaluation_is_reused_only_while_nothing_changed() -> None:
    """loss then predict_proba on one split share a forward pass; any change to X, a parameter or a buffer
    (a step, set_flat, an in-place edit) makes the next evaluation compute afresh."""
    X, y = data()
    net = make_network("torch", DEEP)
    Xt, Yt = net.to_backend(X), net.prepare_targets(y)
    calls = []
    original = net._evaluate
    net._evaluate = lambda X: calls.append(1) or original(X)  # type: ignore[method-assign]
    first = net.loss(Xt, Yt)
    proba = net.predict_proba(Xt)
    assert len(calls) == 1
    fresh = make_network("torch", DEEP)
    np.testing.assert_array_equal(proba, fresh.predict_proba(Xt))

    net.parameters["layers.0.weight"][0, 0] += 1.0  # an in-place edit of one parameter view
    assert net.loss(Xt, Yt) != first and len(calls) == 2
    opt = t_opt.SGD(lr=0.1)
    net.setup_optimizer(opt)
    train(net, opt, X, y, steps=1)
    net.predict_proba(Xt)
    assert len(calls) == 3
    Xt[0, 0] += 1.0  # the data itself
    net.predict_proba(Xt)
    assert len(calls) == 4
    net.predict_proba(Xt.clone())  # another tensor, same values
    assert len(calls) == 5


@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("rows", [50, 4096 + 50])  # one pass, and the chunked evaluation past EVAL_ROWS (both)
def test_loss_and_proba_is_loss_and_predict_proba_from_one_forward(backend: str, rows: int) -> None:
    layers = [("dense", {"units": 8, "activation": "tanh"}), ("dropout", {"rate": 0.5}), *DEEP[1:]]
    net = make_network(backend, layers, l2=0.01)
    X, y = data(rows)
    Xb, Yb = net.to_backend(X), net.prepare_targets(y)
    forwards = 0
    forward = net.forward

    def counted(X: Any, training: bool) -> Any:
        nonlocal forwards
        forwards += 1
        return forward(X, training)

    net.forward = counted
    loss, proba = net.loss_and_proba(Xb, Yb)
    chunk = (nn_numpy.network if backend == "numpy" else nn_torch.network).EVAL_ROWS
    assert forwards == -(-rows // chunk)
    assert loss == net.loss(Xb, Yb)  # evaluation mode: dropout off, so the same bits
    np.testing.assert_array_equal(proba, net.predict_proba(Xb))
    assert proba.dtype == np.float64 and proba.shape == (rows, 3)
