"""Each torch component against nn-numpy's, numerically, on the same inputs.

float64 must agree to rounding (optimizers: to the last bit, since they are
the same elementwise IEEE operations); float32 to float32 rounding.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import nn_numpy.activations as np_act
import nn_numpy.losses as np_loss
import nn_numpy.optimizers as np_opt
import nn_numpy.regularizers as np_reg
import nn_torch.activations as t_act
import nn_torch.losses as t_loss
import nn_torch.optimizers as t_opt
import nn_torch.regularizers as t_reg

torch = pytest.importorskip("torch")

ACTIVATION_PAIRS = [
    (np_act.Identity(), t_act.Identity()),
    (np_act.Sigmoid(), t_act.Sigmoid()),
    (np_act.Tanh(), t_act.Tanh()),
    (np_act.Relu(), t_act.Relu()),
    (np_act.Softmax(), t_act.Softmax()),
    (np_act.LeakyRelu(alpha=0.2), t_act.LeakyRelu(alpha=0.2)),
    (np_act.Elu(alpha=0.7), t_act.Elu(alpha=0.7)),
    (np_act.Softplus(), t_act.Softplus()),
    (np_act.Gelu(), t_act.Gelu()),
]


def inputs(dtype: str, shape: tuple[int, int] = (64, 7)) -> np.ndarray:
    """Normal values plus the extremes that break naive formulas (±40, ±800, 0)."""
    Z = np.random.default_rng(0).standard_normal(shape) * 3
    Z[0, :5] = [40.0, -40.0, 800.0, -800.0, 0.0]
    return Z.astype(dtype)


def test_every_numpy_activation_has_a_torch_twin() -> None:
    assert {a.name for a in np_act.ACTIVATIONS} == {a.name for a in t_act.ACTIVATIONS}
    assert {n.name for n, _ in ACTIVATION_PAIRS} == {a.name for a in np_act.ACTIVATIONS}


@pytest.mark.parametrize(("dtype", "rtol", "atol"), [("float64", 1e-13, 1e-15), ("float32", 1e-5, 1e-6)])
@pytest.mark.parametrize(("reference", "candidate"), ACTIVATION_PAIRS, ids=[n.name for n, _ in ACTIVATION_PAIRS])
def test_activation_matches_numpy(reference, candidate, dtype: str, rtol: float, atol: float) -> None:
    Z = inputs(dtype)
    dA = np.random.default_rng(1).standard_normal(Z.shape).astype(dtype)
    A_np = reference.forward(Z, np.empty_like(Z))
    dZ_np = reference.backward(Z, A_np, dA, np.empty_like(Z))
    Zt, dAt = torch.from_numpy(Z.copy()), torch.from_numpy(dA)
    A_t = candidate.forward(Zt, torch.empty_like(Zt))
    dZ_t = candidate.backward(Zt, A_t, dAt, torch.empty_like(Zt))
    assert A_t.dtype == Zt.dtype
    np.testing.assert_allclose(A_t.numpy(), A_np, rtol=rtol, atol=atol)
    np.testing.assert_allclose(dZ_t.numpy(), dZ_np, rtol=rtol, atol=atol)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "softplus", "gelu", "elu", "leaky_relu"])
def test_activation_backward_matches_torch_autograd(name: str) -> None:
    """An independent check: the hand-written derivative against autograd of torch's own function."""
    functions = {
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "softplus": lambda z: torch.nn.functional.softplus(z, threshold=1000),
        "gelu": torch.nn.functional.gelu,
        "elu": lambda z: torch.nn.functional.elu(z, alpha=1.0),
        "leaky_relu": lambda z: torch.nn.functional.leaky_relu(z, 0.01),
    }
    activation = next(a for a in t_act.ACTIVATIONS if a.name == name)()
    Z = torch.from_numpy(np.random.default_rng(2).standard_normal((32, 5)) * 2)
    dA = torch.from_numpy(np.random.default_rng(3).standard_normal((32, 5)))
    A = activation.forward(Z, torch.empty_like(Z))
    dZ = activation.backward(Z, A, dA, torch.empty_like(Z))
    leaf = Z.clone().requires_grad_(True)
    (functions[name](leaf) * dA).sum().backward()
    np.testing.assert_allclose(A.numpy(), functions[name](Z).numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dZ.numpy(), leaf.grad.numpy(), rtol=1e-12, atol=1e-14)


LOSS_PAIRS = [
    (
        np_loss.BinaryCrossEntropy(class_weight=[1.0, 3.0]),
        t_loss.BinaryCrossEntropy(class_weight=[1.0, 3.0]),
        "sigmoid",
        1,
    ),
    (
        np_loss.CategoricalCrossEntropy(class_weight=[1.0, 2.0, 0.5, 4.0]),
        t_loss.CategoricalCrossEntropy(class_weight=[1.0, 2.0, 0.5, 4.0]),
        "softmax",
        4,
    ),
    (np_loss.BinaryCrossEntropy(), t_loss.BinaryCrossEntropy(), "sigmoid", 1),
    (np_loss.BinaryCrossEntropy(reduction="sum"), t_loss.BinaryCrossEntropy(reduction="sum"), "sigmoid", 1),
    (np_loss.CategoricalCrossEntropy(), t_loss.CategoricalCrossEntropy(), "softmax", 4),
    (np_loss.CategoricalCrossEntropy(reduction="sum"), t_loss.CategoricalCrossEntropy(reduction="sum"), "softmax", 4),
    (np_loss.MeanSquaredError(), t_loss.MeanSquaredError(), "identity", 3),
    (np_loss.SumSquaredError(), t_loss.SumSquaredError(), "identity", 3),
]


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize(
    ("reference", "candidate", "activation", "outputs"),
    LOSS_PAIRS,
    ids=[
        f"{n.name}-{getattr(n, 'reduction', 'sum')}"
        + ("-weighted" if getattr(n, "class_weight", None) is not None else "")
        for n, *_ in LOSS_PAIRS
    ],
)
def test_loss_matches_numpy(reference, candidate, activation: str, outputs: int, fused: bool) -> None:
    rng = np.random.default_rng(4)
    Z = rng.standard_normal((50, outputs)) * 4
    Z[0, 0] = 60.0  # a confident, saturated output: the fused forms stay finite and exact
    act = next(a for a in np_act.ACTIVATIONS if a.name == activation)()
    A = act.forward(Z, np.empty_like(Z))
    labels = rng.integers(0, max(outputs, 2), 50) if outputs > 1 or activation == "sigmoid" else None
    y = labels if labels is not None else rng.standard_normal((50, outputs))
    Y = reference.prepare_targets(y, outputs, np.float64)
    Yt = candidate.prepare_targets(y, outputs, np.float64)
    assert isinstance(Yt, torch.Tensor) and Yt.dtype == torch.float64
    np.testing.assert_array_equal(Yt.numpy(), Y)
    use_fused = fused and reference.fused_activation is not None
    Zt, At, Ytt = torch.from_numpy(Z), torch.from_numpy(A), Yt
    assert candidate.value(Zt, At, Ytt, use_fused) == pytest.approx(reference.value(Z, A, Y, use_fused), rel=1e-13)
    np.testing.assert_allclose(
        candidate.gradient(Zt, At, Ytt, use_fused).numpy(), reference.gradient(Z, A, Y, use_fused), rtol=1e-13
    )


def test_class_weights_of_the_wrong_length_are_one_line_errors() -> None:
    from nn_core.errors import DataError

    loss = t_loss.CategoricalCrossEntropy(class_weight=[1.0, 2.0])
    with pytest.raises(DataError, match=r"class_weight has 2 weights but the model has 3 classes"):
        loss.prepare_targets(np.array([0, 2]), 3, "float64")


def test_labels_out_of_range_are_one_line_errors_naming_the_loss() -> None:
    from nn_core.errors import DataError

    with pytest.raises(DataError, match=r"categorical_cross_entropy: labels range over 0\.\.5 but the output layer"):
        t_loss.CategoricalCrossEntropy().prepare_targets(np.array([0, 5]), 3, "float64")


def test_fused_cross_entropy_matches_torch_functional() -> None:
    """Peer check: the fused value against torch's own cross_entropy and BCE-with-logits."""
    rng = np.random.default_rng(5)
    Z = torch.from_numpy(rng.standard_normal((40, 4)) * 5)
    labels = torch.from_numpy(rng.integers(0, 4, 40))
    loss = t_loss.CategoricalCrossEntropy()
    Y = loss.prepare_targets(labels.numpy(), 4, "float64")
    A = torch.softmax(Z, dim=1)
    assert loss.value(Z, A, Y, True) == pytest.approx(float(torch.nn.functional.cross_entropy(Z, labels)), rel=1e-13)
    z = Z[:, :1]
    yb = (labels[:, None] % 2).double()
    bce = t_loss.BinaryCrossEntropy()
    expected = float(torch.nn.functional.binary_cross_entropy_with_logits(z, yb))
    assert bce.value(z, torch.sigmoid(z), yb, True) == pytest.approx(expected, rel=1e-13)


@pytest.mark.parametrize(("reference", "candidate"), [(np_reg.L2, t_reg.L2), (np_reg.L1, t_reg.L1)])
def test_regularizer_matches_numpy(reference, candidate) -> None:
    W = np.random.default_rng(6).standard_normal((6, 4))
    W[0, 0] = 0.0
    r, c = reference(**{"lambda": 0.3}), candidate(**{"lambda": 0.3})
    assert c.penalty(torch.from_numpy(W)) == pytest.approx(r.penalty(W), rel=1e-14)
    dW = np.ones_like(W)
    dWt = torch.ones(6, 4, dtype=torch.float64)
    r.add_gradient(W, dW)
    c.add_gradient(torch.from_numpy(W), dWt)
    np.testing.assert_array_equal(dWt.numpy(), dW)


OPTIMIZER_CASES = [
    ("sgd", {"lr": 0.1}),
    ("sgd", {"lr": 0.1, "momentum": 0.9}),
    ("sgd", {"lr": 0.1, "momentum": 0.8, "nesterov": True}),
    ("adagrad", {"lr": 0.05}),
    ("rmsprop", {"lr": 0.01, "rho": 0.8}),
    ("adam", {"lr": 0.01}),
    ("adamw", {"lr": 0.01, "weight_decay": 0.1}),
]


@pytest.mark.parametrize(
    ("name", "params", "peer"),
    [
        ("adam", {"lr": 0.01, "beta1": 0.8, "beta2": 0.99}, lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.99))),
        ("adamw", {"lr": 0.01, "weight_decay": 0.1}, lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1)),
    ],
)
def test_adam_agrees_with_torch_optim_to_rounding(name: str, params: dict, peer: Any) -> None:
    """nn's Adam (bias corrections as reciprocals) against PyTorch's own, which orders the same
    formula differently: 300 float64 steps on random gradients agree to 1e-12."""
    reference = next(o for o in np_opt.OPTIMIZERS if o.name == name)(**params)
    rng = np.random.default_rng(3)
    p_np = rng.standard_normal(500)
    start = p_np.copy()
    weight = torch.nn.Parameter(torch.from_numpy(p_np.copy()))
    optimizer = peer([weight])
    reference.setup(p_np)
    for _ in range(300):
        g = rng.standard_normal(500) * 10.0 ** rng.integers(-4, 2, 500)
        reference.step(p_np, g)
        weight.grad = torch.from_numpy(g.copy())
        optimizer.step()
    assert np.abs(p_np - start).max() > 0.5  # 300 steps of about lr each
    np.testing.assert_allclose(p_np, weight.detach().numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(("name", "params"), OPTIMIZER_CASES, ids=[f"{n}-{sorted(p)}" for n, p in OPTIMIZER_CASES])
def test_optimizer_steps_are_bit_identical_to_numpy(name: str, params: dict, dtype: str) -> None:
    """250 steps (flushes included) with a learning rate that changes every step: the same bits."""
    reference = next(o for o in np_opt.OPTIMIZERS if o.name == name)(**params)
    candidate = next(o for o in t_opt.OPTIMIZERS if o.name == name)(**params)
    rng = np.random.default_rng(7)
    p_np = rng.standard_normal(300).astype(dtype)
    p_t = torch.from_numpy(p_np.copy())
    reference.setup(p_np)
    candidate.setup(p_t)
    for step in range(250):
        g = rng.standard_normal(300).astype(dtype)
        g[:20] = 0.0 if step > 10 else g[:20]  # dead units: state decays towards subnormal and is flushed
        reference.lr = candidate.lr = params["lr"] * (1 + 0.5 * math.sin(step))  # a Python float, as schedules give
        reference.step(p_np, g)
        candidate.step(p_t, torch.from_numpy(g.copy()))
    np.testing.assert_array_equal(p_t.numpy(), p_np)
    state_np, state_t = reference.state_dict(), candidate.state_dict()
    assert state_t.keys() == state_np.keys()
    for key, value in state_np.items():
        np.testing.assert_array_equal(np.asarray(state_t[key]), np.asarray(value))


@pytest.mark.parametrize(("name", "params"), OPTIMIZER_CASES[1:], ids=[n for n, _ in OPTIMIZER_CASES[1:]])
def test_optimizer_state_round_trips_through_numpy(name: str, params: dict) -> None:
    cls = next(o for o in t_opt.OPTIMIZERS if o.name == name)
    rng = np.random.default_rng(8)
    grads = [torch.from_numpy(rng.standard_normal(50)) for _ in range(6)]
    a, b = cls(**params), cls(**params)
    pa = torch.from_numpy(rng.standard_normal(50))
    pb = pa.clone()
    a.setup(pa)
    b.setup(pb)
    for g in grads[:3]:
        a.step(pa, g)
    state = a.state_dict()
    assert all(isinstance(v, (np.ndarray, int, float)) for v in state.values())
    b.load_state_dict(state)
    pb.copy_(pa)
    for g in grads[3:]:
        a.step(pa, g)
        b.step(pb, g)
    assert torch.equal(pa, pb)


def test_sgd_momentum_is_nn_form_not_torch_default() -> None:
    """nn's velocity holds −lr·g, so halving lr halves only the new step; torch.optim.SGD would rescale the past."""
    p = torch.zeros(1, dtype=torch.float64)
    sgd = t_opt.SGD(lr=1.0, momentum=0.5)
    sgd.setup(p)
    sgd.step(p, torch.ones(1, dtype=torch.float64))  # v = −1, p = −1
    sgd.lr = 0.1
    sgd.step(p, torch.ones(1, dtype=torch.float64))  # v = −0.5 − 0.1 = −0.6, p = −1.6
    assert float(p) == pytest.approx(-1.6, abs=1e-15)
    nesterov = t_opt.SGD(lr=1.0, momentum=0.5, nesterov=True)
    q = torch.zeros(1, dtype=torch.float64)
    nesterov.setup(q)
    nesterov.step(q, torch.ones(1, dtype=torch.float64))  # v = −1; q += −1 + 0.5·(−1)
    assert float(q) == pytest.approx(-1.5, abs=1e-15)


def test_optimizer_state_with_a_wrong_shape_is_refused() -> None:
    adam = t_opt.Adam()
    adam.setup(torch.zeros(4, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"optimizer state m has shape \(3,\), the network needs \(4,\)"):
        adam.load_state_dict({"step": 1, "m": np.zeros(3), "v": np.zeros(4)})


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_softmax_never_returns_subnormal_probabilities(dtype: torch.dtype) -> None:
    """Subnormal probabilities would make every backward GEMM crawl; they are flushed to 0."""
    tiny = torch.finfo(dtype).tiny
    spread = torch.linspace(-800, 0, 4001, dtype=dtype)
    Z = torch.stack([spread, spread + 40.0, spread * 0.11])  # every gap between logits, at every scale
    A = t_act.Softmax().forward(Z, torch.empty_like(Z))
    assert int(((A != 0) & (A.abs() < tiny)).sum()) == 0
    np.testing.assert_allclose(A.sum(dim=1).numpy(), 1.0, rtol=1e-6)
    np.testing.assert_allclose(A.numpy(), torch.softmax(Z, dim=1).numpy(), rtol=1e-5, atol=2 * tiny)
