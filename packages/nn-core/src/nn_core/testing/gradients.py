"""Numerical gradient checks for activations, layers, losses and regularizers.

Each analytic derivative is compared entry by entry with central differences
``(f(x + ε) − f(x − ε)) / 2ε`` in float64, as the relative error
``‖g − n‖ / ‖g + n‖`` of :mod:`nn_core.gradcheck`; a correct implementation
gives about 1e-9, a wrong one something near 1. A vector-valued output Y is
reduced to the scalar ``Σ Y ⊙ R`` with a fixed random R, so dL/dY = R and
every entry of the Jacobian counts.

Inputs are drawn from a seeded generator with ``|x| ≥ 0.1``, so differences
never straddle a kink at 0 (relu). Each check also runs the component in
float32 (its outputs must stay float32) and twice from fresh instances (the
outputs must be identical).

Generic over backends: inputs are built in numpy and handed to the component
as its backend's arrays (``Backend.from_numpy``); results are read back with
``Backend.to_numpy``. A layer's parameters and gradients are bound as one
backend array per name; to perturb a parameter the kit binds fresh arrays
(``bind`` may be called again, as the contract allows).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from nn_core.component import Component
from nn_core.errors import NNError
from nn_core.registry import ComponentInfo, Registry
from nn_core.testing._common import (
    SEED,
    THRESHOLD,
    Subject,
    away_from_zero,
    call,
    describe_error,
    gradient_error,
    numeric_gradient,
    sci,
    subject,
)
from nn_core.testing.schema import check_schema, construct

SAMPLES = 6
"""Rows of every test batch."""
INPUT_DIM = 4
"""Width of a layer's test input."""
CLASSES = 3
"""Output width a loss is checked with."""


def _off(what: str, error: float) -> str | None:
    if error < THRESHOLD:  # False for nan
        return None
    return f"{what} is off: relative error {describe_error(error)} > {sci(THRESHOLD)}"


def _raise_all(subj: Subject, problems: list[str | None]) -> None:
    found = [p for p in problems if p]
    if found:
        raise subj.fail("; ".join(found))


def _array(subj: Subject, method: str, value: Any, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """A returned backend array as numpy, checking its shape and dtype."""
    try:
        value = subj.arrays.to_numpy(value)
    except Exception as exc:
        raise subj.fail(f"{method} returned {type(value).__name__}, not an array of its backend ({exc})") from None
    if value.shape != shape:
        raise subj.fail(f"{method} returned shape {value.shape}, expected {shape}")
    if value.dtype != np.dtype(dtype):
        raise subj.fail(
            f"{method} returned {value.dtype} for {np.dtype(dtype)} inputs (float32 must stay float32, float64 float64)"
        )
    return value


def _close_to_float64(subj: Subject, what: str, low: Any, high: Any) -> None:
    low, high = np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)
    if not np.allclose(low, high, rtol=1e-4, atol=1e-5):
        worst = float(np.max(np.abs(low - high)))
        raise subj.fail(f"in float32, {what} differs from float64 by up to {worst:.3g}")


# -- activations ------------------------------------------------------------------


def _activation_pass(subj: Subject, act: Any, Z: np.ndarray, dA: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """forward then backward on backend copies, checking the ``out`` contract; returns numpy A and dZ."""
    arrays = subj.arrays
    Zb, dAb = arrays.to_backend(Z), arrays.to_backend(dA)
    out = arrays.to_backend(np.full_like(Z, np.nan))
    A = _array(subj, "forward", call(subj, "forward", act.forward, Zb, out), Z.shape, Z.dtype).copy()
    if not np.array_equal(A, arrays.to_numpy(out)):
        raise subj.fail("forward must write g(Z) into `out` and return it")
    if not np.array_equal(arrays.to_numpy(Zb), Z):
        raise subj.fail("forward changed its input Z")
    dZ_out = arrays.to_backend(np.full_like(Z, np.nan))
    dZ = _array(subj, "backward", call(subj, "backward", act.backward, Zb, out, dAb, dZ_out), Z.shape, Z.dtype)
    if not np.array_equal(dZ, arrays.to_numpy(dZ_out)):
        raise subj.fail("backward must write dL/dZ into `out` and return it")
    if not (np.array_equal(arrays.to_numpy(Zb), Z) and np.array_equal(arrays.to_numpy(out), A)):
        raise subj.fail("backward changed its input Z or A")
    return A, dZ.copy()


def check_activation(
    component: type[Component] | ComponentInfo, /, *, registry: Registry | None = None, **params: Any
) -> None:
    """forward(Z, out) and backward(Z, A, dA, out) of an activation.

    Checks the ``out`` contract, backward against central differences of
    ``Σ g(Z) ⊙ dA`` (row-wise activations such as softmax included), float32
    in → float32 out (close to the float64 result), and that two fresh
    instances, or one instance called twice, give identical outputs.
    """
    subj = subject(component, registry, params, "activation")
    arrays = subj.arrays
    rng = np.random.default_rng(SEED)
    Z = away_from_zero(rng, (SAMPLES, 5))
    dA = rng.standard_normal(Z.shape)

    act = subj.new()
    A, dZ = _activation_pass(subj, act, Z, dA)

    probe, Zp = subj.new(), Z.copy()

    def loss() -> float:
        out = arrays.to_backend(np.empty_like(Zp))
        return float(np.sum(arrays.to_numpy(probe.forward(arrays.to_backend(Zp), out)) * dA))

    _raise_all(subj, [_off("gradient w.r.t. its input", gradient_error(dZ, numeric_gradient(loss, Zp)))])

    for again in (_activation_pass(subj, subj.new(), Z, dA), _activation_pass(subj, act, Z, dA)):
        if not (np.array_equal(A, again[0]) and np.array_equal(dZ, again[1])):
            raise subj.fail("is not deterministic: the same input gave different outputs")

    A32, dZ32 = _activation_pass(subj, subj.new(), Z.astype(np.float32), dA.astype(np.float32))
    _close_to_float64(subj, "forward", A32, A)
    _close_to_float64(subj, "backward", dZ32, dZ)


# -- layers -----------------------------------------------------------------------


@dataclass
class _Built:
    """A layer under test: numpy masters of its parameters, and the backend arrays bound to it."""

    subj: Subject
    layer: Any
    out_dim: int
    dtype: np.dtype
    params: dict[str, np.ndarray]
    """numpy copies of the parameters; :meth:`bind` hands them to the layer."""
    bound: dict[str, Any]
    grads: dict[str, Any]

    def bind(self, grad_fill: float = 0.0) -> None:
        """Bind fresh backend arrays: the parameters from :attr:`params`, gradients filled with ``grad_fill``."""
        arrays = self.subj.arrays
        self.bound = {n: arrays.to_backend(p, self.dtype) for n, p in self.params.items()}
        self.grads = {n: arrays.to_backend(np.full(p.shape, grad_fill), self.dtype) for n, p in self.params.items()}
        call(self.subj, "bind", self.layer.bind, dict(self.bound), dict(self.grads))

    def gradients(self) -> dict[str, np.ndarray]:
        return {n: self.subj.arrays.to_numpy(g).copy() for n, g in self.grads.items()}

    def flat(self, arrays: dict[str, np.ndarray]) -> np.ndarray:
        return np.concatenate([a.reshape(-1) for a in arrays.values()]) if arrays else np.zeros(0)


def _build(subj: Subject, dtype: Any, seed: int = SEED) -> _Built:
    """A fresh layer, built, bound and initialized, as a network does it."""
    layer = subj.new()
    dtype = np.dtype(dtype)
    out_dim = call(subj, "build", layer.build, INPUT_DIM, dtype)
    if not isinstance(out_dim, (int, np.integer)) or out_dim < 1:
        raise subj.fail(f"build must return its output width (a positive int), got {out_dim!r}")
    shapes = getattr(layer, "param_shapes", None)
    if not isinstance(shapes, dict) or not all(
        isinstance(s, tuple) and all(isinstance(d, (int, np.integer)) for d in s) for s in shapes.values()
    ):
        raise subj.fail(f"build must set param_shapes to a dict of name → shape tuple, got {shapes!r}")
    built = _Built(subj, layer, int(out_dim), dtype, {n: np.zeros(s, dtype) for n, s in shapes.items()}, {}, {})
    built.bind()
    call(subj, "initialize", layer.initialize, np.random.RandomState(seed))
    built.params = {n: subj.arrays.to_numpy(p).copy() for n, p in built.bound.items()}
    if not all(np.isfinite(p).all() for p in built.params.values()):
        raise subj.fail("initialize left non-finite parameters")
    return built


def _forward(subj: Subject, built: _Built, X: np.ndarray, training: bool = True) -> np.ndarray:
    method = f"forward(X, training={training})"
    Y = call(subj, method, built.layer.forward, subj.arrays.to_backend(X), training)
    return _array(subj, method, Y, (X.shape[0], built.out_dim), X.dtype).copy()


def _backward(subj: Subject, built: _Built, dY: np.ndarray, need_dX: bool, X: np.ndarray) -> np.ndarray | None:
    method = f"backward(dY, need_dX={need_dX})"
    dX = call(subj, method, built.layer.backward, subj.arrays.to_backend(dY), need_dX)
    if not need_dX:
        return None
    if dX is None:
        raise subj.fail(f"{method} returned None")
    return _array(subj, method, dX, X.shape, X.dtype).copy()


def _freeze(subj: Subject, built: _Built, X: np.ndarray) -> bool:
    """Hold random training behaviour fixed (the ``Stochastic`` protocol's ``freeze``)."""
    first, second = _forward(subj, built, X), _forward(subj, built, X)
    freeze = getattr(built.layer, "freeze", None)
    if not np.array_equal(first, second) and not callable(freeze):
        raise subj.fail(
            "its training forward is random (two calls on one input differ) and it has no "
            "freeze(frozen) method to hold the draws fixed, which gradient checks need (see nn_core.gradcheck)"
        )
    if not callable(freeze):
        return False
    call(subj, "freeze(True)", freeze, True)
    if not np.array_equal(_forward(subj, built, X), _forward(subj, built, X)):
        raise subj.fail("freeze(True) does not hold its random draws fixed")
    return True


def check_layer(
    component: type[Component] | ComponentInfo, /, *, registry: Registry | None = None, **params: Any
) -> None:
    """build/bind/initialize/forward/backward of a layer, as a network drives it.

    The gradient of every parameter (named in the failure) and of the input
    against central differences (parameters moved a little off their
    initial values first, so a zero initialization hides nothing); backward
    *writes* the gradients (a second backward over garbage gives the same
    result) and computes the same ones with ``need_dX=False``; float32 stays
    float32 in training and evaluation; the same seed draws the same
    parameters and gives the same outputs. A layer with random training
    behaviour needs ``freeze(frozen)`` (dropout's convention).
    """
    subj = subject(component, registry, params, "layer")
    rng = np.random.default_rng(SEED)
    X = away_from_zero(rng, (SAMPLES, INPUT_DIM))

    built = _build(subj, np.float64)
    for name in built.params:
        built.params[name] = built.params[name] + 0.1 * rng.standard_normal(built.params[name].shape)
    built.bind()
    R = rng.standard_normal((SAMPLES, built.out_dim))
    frozen = _freeze(subj, built, X)

    built.bind(0.0)
    _forward(subj, built, X)
    dX = _backward(subj, built, R, True, X)
    analytic = built.gradients()
    for need_dX in (True, False):
        built.bind(7.0)
        _forward(subj, built, X)
        _backward(subj, built, R, need_dX, X)
        for name, g in built.gradients().items():
            if not np.allclose(g, analytic[name], rtol=1e-10, atol=1e-12):
                if need_dX:
                    raise subj.fail(
                        f"backward must write (not add to) the parameter gradients: parameter {name!r} "
                        "came out different when its gradient array held garbage before"
                    )
                raise subj.fail(f"backward(dY, need_dX=False) gives a different gradient of parameter {name!r}")

    def loss_at(inputs: np.ndarray) -> float:
        built.bind()
        Y = built.layer.forward(subj.arrays.to_backend(inputs), True)
        return float(np.sum(subj.arrays.to_numpy(Y) * R))

    problems = [
        _off(
            f"gradient of parameter {name!r}",
            gradient_error(analytic[name], numeric_gradient(lambda: loss_at(X), view)),
        )
        for name, view in built.params.items()
    ]
    Xp = X.copy()
    problems.append(_off("gradient w.r.t. its input", gradient_error(dX, numeric_gradient(lambda: loss_at(Xp), Xp))))
    if frozen:
        call(subj, "freeze(False)", built.layer.freeze, False)
    _raise_all(subj, problems)

    # Same seed, same everything: two fresh layers, unperturbed.
    runs = []
    for _ in range(2):
        b = _build(subj, np.float64)
        Y = _forward(subj, b, X)
        d = _backward(subj, b, R, True, X)
        runs.append((b.flat(b.params), Y, d, b.flat(b.gradients()), _forward(subj, b, X, False)))
    names = (
        "initialize(RandomState(seed))",
        "training forward",
        "backward dX",
        "backward's gradients",
        "evaluation forward",
    )
    for what, first, second in zip(names, runs[0], runs[1], strict=True):
        if not np.array_equal(np.asarray(first), np.asarray(second)):
            raise subj.fail(f"is not deterministic under a seed: {what} differs between two layers built alike")

    b32 = _build(subj, np.float32)
    X32, R32 = X.astype(np.float32), R.astype(np.float32)
    _forward(subj, b32, X32)
    _backward(subj, b32, R32, True, X32)
    _forward(subj, b32, X32, training=False)


# -- losses -----------------------------------------------------------------------


def _targets(subj: Subject, loss: Any, rng: np.random.Generator) -> Any:
    """Class labels if the loss takes them, else (samples, outputs) values."""
    labels = rng.permutation(np.arange(SAMPLES) % CLASSES).astype(np.int64)
    try:
        loss.prepare_targets(labels, CLASSES, np.dtype(np.float64))
        return labels
    except Exception as first:
        values = rng.uniform(0.1, 0.9, size=(SAMPLES, CLASSES))
        try:
            loss.prepare_targets(values, CLASSES, np.dtype(np.float64))
        except Exception:
            raise subj.fail(
                f"prepare_targets accepts neither class labels nor a (samples, outputs) array: "
                f"{type(first).__name__}: {first}"
            ) from first
        return values


def _value(subj: Subject, loss: Any, Z: np.ndarray, A: np.ndarray, Y: Any, fused: bool) -> float:
    arrays = subj.arrays
    value = call(subj, f"value(fused={fused})", loss.value, arrays.to_backend(Z), arrays.to_backend(A), Y, fused)
    try:
        result = float(value)
    except (TypeError, ValueError):
        raise subj.fail(f"value(fused={fused}) returned {value!r}, not a number") from None
    if not np.isfinite(result):
        raise subj.fail(f"value(fused={fused}) is {result} on ordinary inputs")
    return result


def _fused_activation(subj: Subject) -> Any:
    name = subj.cls.fused_activation  # type: ignore[attr-defined]
    registry = subj.lookup_registry()
    try:
        info = registry.get("activation", name, subj.cls.backend)
    except NNError as exc:
        raise subj.fail(f"it fuses with activation {name!r}, which cannot be used: {exc}") from None
    return construct(Subject(info.cls, f"activation {name!r} (fused with {subj.label})", registry, {}))


def _activate(subj: Subject, act: Any, Z: np.ndarray) -> np.ndarray:
    arrays = subj.arrays
    return arrays.to_numpy(act.forward(arrays.to_backend(Z), arrays.to_backend(np.empty_like(Z)))).copy()


def _loss_pass(subj: Subject, loss: Any, Z: np.ndarray, A: np.ndarray, Y: Any, act: Any) -> list[Any]:
    """Values and gradients, unfused and (when the loss fuses) fused; checks shapes and dtypes."""
    arrays = subj.arrays
    results: list[Any] = [_value(subj, loss, Z, A, Y, False)]
    grad = call(subj, "gradient(fused=False)", loss.gradient, arrays.to_backend(Z), arrays.to_backend(A), Y, False)
    results.append(_array(subj, "gradient(fused=False)", grad, A.shape, A.dtype).copy())
    if act is not None:
        Af = _activate(subj, act, Z)
        results.append(_value(subj, loss, Z, Af, Y, True))
        grad = call(subj, "gradient(fused=True)", loss.gradient, arrays.to_backend(Z), arrays.to_backend(Af), Y, True)
        results.append(_array(subj, "gradient(fused=True)", grad, Z.shape, Z.dtype).copy())
        results.append(_value(subj, loss, Z, Af, Y, False))  # the same loss, computed from A
    return results


def check_loss(
    component: type[Component] | ComponentInfo, /, *, registry: Registry | None = None, **params: Any
) -> None:
    """prepare_targets, value and gradient of a loss.

    ``gradient(Z, A, Y, fused=False)`` is checked as dL/dA and, for a loss
    with a ``fused_activation``, ``gradient(..., fused=True)`` as dL/dZ
    through that activation (looked up in ``registry``, default: the
    installed plugins); the fused and unfused values must agree. Targets are
    class labels when ``prepare_targets`` takes them, else values in (0, 1).
    """
    subj = subject(component, registry, params, "loss")
    arrays = subj.arrays
    rng = np.random.default_rng(SEED)
    loss = subj.new()
    raw = _targets(subj, loss, rng)
    Z = rng.uniform(-1.5, 1.5, size=(SAMPLES, CLASSES))
    A = 1 / (1 + np.exp(-Z))  # some output in (0, 1): valid for every loss, fused or not
    Y = call(subj, "prepare_targets", loss.prepare_targets, raw, CLASSES, np.dtype(np.float64))
    act = _fused_activation(subj) if getattr(subj.cls, "fused_activation", None) else None
    results = _loss_pass(subj, loss, Z, A, Y, act)

    Ap = A.copy()
    problems = [
        _off(
            "gradient w.r.t. its input A (unfused)",
            gradient_error(
                results[1],
                numeric_gradient(lambda: float(loss.value(arrays.to_backend(Z), arrays.to_backend(Ap), Y, False)), Ap),
            ),
        )
    ]
    if act is not None:
        name = subj.cls.fused_activation  # type: ignore[attr-defined]
        if not np.isclose(results[2], results[4], rtol=1e-7, atol=1e-12):
            problems.append(
                f"its value fused with {name!r} ({results[2]!r}) differs from the unfused value of the "
                f"same outputs ({results[4]!r})"
            )
        Zp = Z.copy()

        def fused_loss() -> float:
            Af = arrays.to_backend(_activate(subj, act, Zp))
            return float(loss.value(arrays.to_backend(Zp), Af, Y, True))

        problems.append(
            _off(
                f"gradient w.r.t. the logits Z (fused with {name!r})",
                gradient_error(results[3], numeric_gradient(fused_loss, Zp)),
            )
        )
    _raise_all(subj, problems)

    again = _loss_pass(subj, subj.new(), Z, A, Y, act)
    if not all(np.array_equal(a, b) for a, b in zip(results, again, strict=True)):
        raise subj.fail("is not deterministic: the same inputs gave a different value or gradient")

    fresh = subj.new()
    Y32 = call(subj, "prepare_targets", fresh.prepare_targets, raw, CLASSES, np.dtype(np.float32))
    Y64n, Y32n = arrays.to_numpy(Y), arrays.to_numpy(Y32)
    if Y64n.dtype == np.float64 and Y32n.dtype != np.float32:
        raise subj.fail(f"prepare_targets(..., float32) returned {Y32n.dtype}, not float32")
    low = _loss_pass(subj, fresh, Z.astype(np.float32), A.astype(np.float32), Y32, act)
    what_is = ("value", "gradient", "fused value", "fused gradient", "value")
    for what, lo, hi in zip(what_is[: len(low)], low, results, strict=True):
        _close_to_float64(subj, what, lo, hi)


# -- regularizers -----------------------------------------------------------------


def check_regularizer(
    component: type[Component] | ComponentInfo, /, *, registry: Registry | None = None, **params: Any
) -> None:
    """penalty(W) and add_gradient(W, dW): the gradient is *added* into dW and matches
    central differences of the penalty; float32 stays float32; deterministic."""
    subj = subject(component, registry, params, "regularizer")
    rng = np.random.default_rng(SEED)
    W = away_from_zero(rng, (3, INPUT_DIM))
    dW0 = rng.standard_normal(W.shape)

    arrays = subj.arrays

    def run(reg: Any, W: np.ndarray, dW0: np.ndarray) -> tuple[float, np.ndarray]:
        Wb, dWb = arrays.to_backend(W), arrays.to_backend(dW0)
        penalty = call(subj, "penalty", reg.penalty, Wb)
        try:
            value = float(penalty)
        except (TypeError, ValueError):
            raise subj.fail(f"penalty returned {penalty!r}, not a number") from None
        call(subj, "add_gradient", reg.add_gradient, Wb, dWb)
        dW = arrays.to_numpy(dWb)
        if dW.dtype != W.dtype:  # pragma: no cover - in-place arithmetic keeps the dtype
            raise subj.fail("add_gradient changed dW's dtype")
        if not np.array_equal(arrays.to_numpy(Wb), W):
            raise subj.fail("penalty or add_gradient changed the weights W")
        return value, dW - dW0

    reg = subj.new()
    value, added = run(reg, W, dW0)
    Wp = W.copy()
    problem = _off(
        "gradient w.r.t. the weights W (add_gradient must add d(penalty)/dW into dW)",
        gradient_error(added, numeric_gradient(lambda: float(reg.penalty(arrays.to_backend(Wp))), Wp)),
    )
    _raise_all(subj, [problem])
    again = run(subj.new(), W, dW0)
    if not (value == again[0] and np.array_equal(added, again[1])):
        raise subj.fail("is not deterministic: the same weights gave a different penalty or gradient")
    low = run(subj.new(), W.astype(np.float32), dW0.astype(np.float32))
    _close_to_float64(subj, "penalty", low[0], value)
    _close_to_float64(subj, "add_gradient", low[1], added)


__all__ = ["check_activation", "check_layer", "check_loss", "check_regularizer", "check_schema"]
