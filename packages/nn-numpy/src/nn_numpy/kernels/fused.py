"""Fused kernels compiled by numba (``pip install 'nn-numpy[numba]'``, ``NN_KERNELS=numba``).

Each reference kernel that makes several numpy passes over an array becomes
one loop here: Adam's ten passes over the flat buffers, a dense layer's
bias-add and relu, an activation's derivative. The loops evaluate exactly the
reference's operations, in its order and in the array's dtype, so the results
are bit-identical (tested for every kernel on float32 and float64, edge
values included):

- scalars are rounded to the array's dtype in Python first (``dtype.type(x)``),
  as numpy rounds a Python float operand before a float32 ufunc, and no
  literal appears inside a loop (``1 - x`` with an integer 1 would compute
  in float64);
- ``@njit(cache=True, error_model="numpy")``: division by zero gives inf or
  nan as numpy does, never an exception; no ``fastmath``, so LLVM neither
  reassociates nor contracts ``a * b + c`` into a fused multiply-add;
- transcendental functions stay numpy's: numba's ``tanh`` or ``exp`` (the C
  library's) may differ from numpy's SIMD ones in the last bit, so tanh,
  sigmoid and friends run their reference kernel; only exactly rounded
  operations (+ − × ÷ √, comparisons) are fused. Softmax is split there: the
  bias, the row maximum's shift and the clip are one loop, then numpy's
  ``exp`` and row sums (whose summation order numpy chooses) finish it.

Importing this module imports numba; :mod:`nn_numpy.kernels.choice` imports
it only when numba kernels are chosen.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from numba import njit

from nn_numpy.activations import Softmax
from nn_numpy.kernels.reference import ReferenceKernels
from nn_numpy.subnormal import exp_floor

# -- optimizer loops over flat buffers ------------------------------------------------


@njit(cache=True, error_model="numpy")
def _sgd(params, grads, neg_lr):  # type: ignore[no-untyped-def]
    for i in range(params.shape[0]):
        params[i] = params[i] + grads[i] * neg_lr


@njit(cache=True, error_model="numpy")
def _momentum(params, grads, velocity, neg_lr, mu, nesterov):  # type: ignore[no-untyped-def]
    for i in range(params.shape[0]):
        step = grads[i] * neg_lr
        v = velocity[i] * mu + step
        velocity[i] = v
        if nesterov:
            params[i] = (params[i] + step) + v * mu
        else:
            params[i] = params[i] + v


@njit(cache=True, error_model="numpy")
def _adagrad(params, grads, sum_squares, lr, eps):  # type: ignore[no-untyped-def]
    for i in range(params.shape[0]):
        g = grads[i]
        G = sum_squares[i] + g * g
        sum_squares[i] = G
        params[i] = params[i] - (g / (np.sqrt(G) + eps)) * lr


@njit(cache=True, error_model="numpy")
def _rmsprop(params, grads, mean_square, lr, rho, one_minus_rho, eps):  # type: ignore[no-untyped-def]
    for i in range(params.shape[0]):
        g = grads[i]
        E = mean_square[i] * rho + (g * g) * one_minus_rho
        mean_square[i] = E
        params[i] = params[i] - (g / (np.sqrt(E) + eps)) * lr


@njit(cache=True, error_model="numpy")
def _adam(  # type: ignore[no-untyped-def]
    params, grads, m, v, lr, beta1, one_minus_beta1, beta2, one_minus_beta2, inv_correction1, inv_correction2, eps
):
    for i in range(params.shape[0]):
        g = grads[i]
        m_i = m[i] * beta1 + g * one_minus_beta1
        v_i = v[i] * beta2 + (g * g) * one_minus_beta2
        m[i] = m_i
        v[i] = v_i
        m_hat = m_i * inv_correction1
        denom = np.sqrt(v_i * inv_correction2) + eps
        params[i] = params[i] - (m_hat * lr) / denom


@njit(cache=True, error_model="numpy")
def _scale(params, factor):  # type: ignore[no-untyped-def]
    for i in range(params.shape[0]):
        params[i] = params[i] * factor


# -- layer loops over (batch, units) arrays --------------------------------------------


@njit(cache=True, error_model="numpy")
def _bias_relu(Z, bias, out):  # type: ignore[no-untyped-def]
    zero = bias.dtype.type(0)
    for i in range(Z.shape[0]):
        for j in range(Z.shape[1]):
            z = Z[i, j] + bias[j]
            Z[i, j] = z
            # np.maximum(z, 0): nan propagates, −0 gives +0
            out[i, j] = z if (z > zero or z != z) else zero


@njit(cache=True, error_model="numpy")
def _bias_identity(Z, bias, out):  # type: ignore[no-untyped-def]
    for i in range(Z.shape[0]):
        for j in range(Z.shape[1]):
            z = Z[i, j] + bias[j]
            Z[i, j] = z
            out[i, j] = z


@njit(cache=True, error_model="numpy")
def _bias_softmax_shift(Z, bias, out, floor):  # type: ignore[no-untyped-def]
    """Z += b, then out = max(Z − max_j Z, floor) row by row: softmax up to its exponential."""
    for i in range(Z.shape[0]):
        top = Z[i, 0] + bias[0]
        Z[i, 0] = top
        for j in range(1, Z.shape[1]):
            z = Z[i, j] + bias[j]
            Z[i, j] = z
            if z > top or z != z:  # Z.max(axis=1): nan wins and stays
                top = z
        for j in range(Z.shape[1]):
            s = Z[i, j] - top
            out[i, j] = s if (s > floor or s != s) else floor  # np.maximum(s, floor)


@njit(cache=True, error_model="numpy")
def _relu_backward(Z, dA, out, one):  # type: ignore[no-untyped-def]
    zero = one - one
    for i in range(Z.shape[0]):
        for j in range(Z.shape[1]):
            # dA · [z > 0], a multiplication as numpy's: inf · 0 is nan, −x · 0 is −0
            out[i, j] = dA[i, j] * (one if Z[i, j] > zero else zero)


@njit(cache=True, error_model="numpy")
def _tanh_backward(A, dA, out, one):  # type: ignore[no-untyped-def]
    for i in range(A.shape[0]):
        for j in range(A.shape[1]):
            a = A[i, j]
            out[i, j] = (one - a * a) * dA[i, j]


@njit(cache=True, error_model="numpy")
def _sigmoid_backward(A, dA, out, one):  # type: ignore[no-untyped-def]
    for i in range(A.shape[0]):
        for j in range(A.shape[1]):
            a = A[i, j]
            out[i, j] = ((one - a) * a) * dA[i, j]


@njit(cache=True, error_model="numpy")
def _difference_scaled(A, Y, out, scale):  # type: ignore[no-untyped-def]
    for i in range(A.shape[0]):
        for j in range(A.shape[1]):
            out[i, j] = (A[i, j] - Y[i, j]) * scale


def _load(dtype: np.dtype) -> None:
    """Call every kernel once on tiny ``dtype`` arrays, so that numba loads its machinery and each
    kernel's cached machine code (or compiles it, the first time on a machine) now.

    Numba does that lazily, at a kernel's first call: 0.24 s for the first kernel of a process
    (numba's CPU target), 2-3 ms for each after it (Intel Xeon, AVX-512). Loaded here, when a
    network chooses this kernel set, the cost belongs to building the model and the first
    training step takes as long as the others.
    """
    f = dtype.type
    flat = [np.zeros(2, dtype) for _ in range(4)]
    grid = [np.zeros((2, 2), dtype) for _ in range(3)]
    one = f(1)
    _sgd(flat[0], flat[1], one)
    _momentum(flat[0], flat[1], flat[2], one, one, False)
    _adagrad(flat[0], flat[1], flat[2], one, one)
    _rmsprop(flat[0], flat[1], flat[2], one, one, one, one)
    _adam(flat[0], flat[1], flat[2], flat[3], one, one, one, one, one, one, one, one)
    _scale(flat[0], one)
    _bias_relu(grid[0], flat[0], grid[1])
    _bias_identity(grid[0], flat[0], grid[1])
    _bias_softmax_shift(grid[0], flat[0], grid[1], one)
    _relu_backward(grid[0], grid[1], grid[2], one)
    _tanh_backward(grid[0], grid[1], grid[2], one)
    _sigmoid_backward(grid[0], grid[1], grid[2], one)
    _difference_scaled(grid[0], grid[1], grid[2], one)


def _fusable(*arrays: np.ndarray) -> bool:
    """One dtype, C-contiguous, two-dimensional where the loop expects it (else the reference runs)."""
    dtype = arrays[0].dtype
    return dtype in (np.float32, np.float64) and all(a.dtype == dtype and a.flags.c_contiguous for a in arrays)


class NumbaKernels(ReferenceKernels):
    """The reference kernels, fused into single numba loops where that is exact."""

    name: ClassVar[str] = "numba"

    def __init__(self) -> None:
        self._loaded: set[np.dtype] = set()

    def prepare(self, dtype: Any) -> None:
        """Load every kernel for ``dtype`` now (see :func:`_load`); float32 and float64 are fused."""
        dtype = np.dtype(dtype)
        if dtype not in self._loaded and dtype in (np.float32, np.float64):
            _load(dtype)
            self._loaded.add(dtype)

    # -- layers ------------------------------------------------------------------------

    def bias_activation(self, Z: np.ndarray, bias: np.ndarray | None, activation: Any, out: np.ndarray) -> np.ndarray:
        name = getattr(activation, "name", None)
        if bias is None or Z.ndim != 2 or Z.shape[1] == 0 or not _fusable(Z, bias, out):
            return super().bias_activation(Z, bias, activation, out)
        if name in ("relu", "identity"):
            (_bias_relu if name == "relu" else _bias_identity)(Z, bias, out)
            return out
        if name == "softmax" and isinstance(activation, Softmax):
            # the bias, the row maximum's shift and the clip fused; numpy's exp and sum (not exactly rounded) after
            _bias_softmax_shift(Z, bias, out, Z.dtype.type(exp_floor(Z.dtype)))
            return activation.exp_normalize(out)
        return super().bias_activation(Z, bias, activation, out)

    def activation_backward(
        self, activation: Any, Z: np.ndarray, A: np.ndarray, dA: np.ndarray, out: np.ndarray
    ) -> np.ndarray:
        name = getattr(activation, "name", None)
        if Z.ndim == 2 and _fusable(Z, A, dA, out):
            one = Z.dtype.type(1)
            if name == "relu":
                _relu_backward(Z, dA, out, one)
                return out
            if name == "tanh":
                _tanh_backward(A, dA, out, one)
                return out
            if name == "sigmoid":
                _sigmoid_backward(A, dA, out, one)
                return out
        return super().activation_backward(activation, Z, A, dA, out)

    def cross_entropy_gradient(self, A: np.ndarray, Y: np.ndarray, scale: float, out: np.ndarray) -> np.ndarray:
        if A.ndim == 2 and _fusable(A, Y, out):
            _difference_scaled(A, Y, out, A.dtype.type(scale))
            return out
        return super().cross_entropy_gradient(A, Y, scale, out)

    # -- optimizers --------------------------------------------------------------------

    def sgd(self, params: np.ndarray, grads: np.ndarray, *, lr: float, scratch: np.ndarray) -> None:
        if not _fusable(params, grads):
            return super().sgd(params, grads, lr=lr, scratch=scratch)
        _sgd(params, grads, params.dtype.type(-lr))

    def momentum(
        self,
        params: np.ndarray,
        grads: np.ndarray,
        velocity: np.ndarray,
        *,
        lr: float,
        momentum: float,
        nesterov: bool,
        scratch: np.ndarray,
    ) -> None:
        if not _fusable(params, grads, velocity):
            return super().momentum(
                params, grads, velocity, lr=lr, momentum=momentum, nesterov=nesterov, scratch=scratch
            )
        f = params.dtype.type
        _momentum(params, grads, velocity, f(-lr), f(momentum), bool(nesterov))

    def adagrad(
        self,
        params: np.ndarray,
        grads: np.ndarray,
        sum_squares: np.ndarray,
        *,
        lr: float,
        eps: float,
        scratch: np.ndarray,
    ) -> None:
        if not _fusable(params, grads, sum_squares):
            return super().adagrad(params, grads, sum_squares, lr=lr, eps=eps, scratch=scratch)
        f = params.dtype.type
        _adagrad(params, grads, sum_squares, f(lr), f(eps))

    def rmsprop(
        self,
        params: np.ndarray,
        grads: np.ndarray,
        mean_square: np.ndarray,
        *,
        lr: float,
        rho: float,
        eps: float,
        scratch: np.ndarray,
    ) -> None:
        if not _fusable(params, grads, mean_square):
            return super().rmsprop(params, grads, mean_square, lr=lr, rho=rho, eps=eps, scratch=scratch)
        f = params.dtype.type
        _rmsprop(params, grads, mean_square, f(lr), f(rho), f(1 - rho), f(eps))

    def adam(
        self,
        params: np.ndarray,
        grads: np.ndarray,
        m: np.ndarray,
        v: np.ndarray,
        *,
        lr: float,
        beta1: float,
        beta2: float,
        eps: float,
        t: int,
        weight_decay: float = 0.0,
        scratch: tuple[np.ndarray, np.ndarray],
    ) -> None:
        if not _fusable(params, grads, m, v):
            return super().adam(
                params,
                grads,
                m,
                v,
                lr=lr,
                beta1=beta1,
                beta2=beta2,
                eps=eps,
                t=t,
                weight_decay=weight_decay,
                scratch=scratch,
            )
        f = params.dtype.type
        if weight_decay:
            _scale(params, f(1 - lr * weight_decay))
        _adam(
            params,
            grads,
            m,
            v,
            f(lr),
            f(beta1),
            f(1 - beta1),
            f(beta2),
            f(1 - beta2),
            f(1 / (1 - beta1**t)),
            f(1 / (1 - beta2**t)),
            f(eps),
        )
