"""The reference kernels: each update written as its formula, in plain numpy.

These are what nn-numpy computes unless a faster kernel set is chosen
(``NN_KERNELS``, see :mod:`nn_numpy.kernels.choice`), and what every faster set
must reproduce bit for bit. They favour the formula over the trick: a
line per term, ``out=`` into a buffer allocated once, scalars as Python
floats so that float32 arrays stay float32 (numpy rounds a Python float to
the array's dtype once, before the operation).

The order of operations here is part of the contract: a fused kernel
evaluates the same operations, in the same order, in the same dtype, so both
round identically. ``a * b`` and ``b * a`` round the same (IEEE-754
multiplication and addition are commutative); ``(a + b) + c`` and
``a + (b + c)`` do not, so nothing is regrouped.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np


class ReferenceKernels:
    """Plain numpy kernels (``NN_KERNELS=numpy``): the textbook path."""

    name: ClassVar[str] = "numpy"

    def prepare(self, dtype: Any) -> None:
        """Get ready to run on ``dtype`` arrays (a compiled set loads its code here); nothing to do in numpy."""

    # -- layers ------------------------------------------------------------------------

    def bias_activation(self, Z: np.ndarray, bias: np.ndarray | None, activation: Any, out: np.ndarray) -> np.ndarray:
        """A = g(Z + b): the bias is added into Z in place (Z is the layer's pre-activation)."""
        if bias is not None:
            Z += bias
        return activation.forward(Z, out)

    def activation_backward(
        self, activation: Any, Z: np.ndarray, A: np.ndarray, dA: np.ndarray, out: np.ndarray
    ) -> np.ndarray:
        """dL/dZ = g'(Z) ⊙ dL/dA, written into ``out``."""
        return activation.backward(Z, A, dA, out)

    def cross_entropy_gradient(self, A: np.ndarray, Y: np.ndarray, scale: float, out: np.ndarray) -> np.ndarray:
        """dL/dZ = (A − Y) · scale for softmax or sigmoid fused with its cross-entropy (scale 1/m or 1)."""
        np.subtract(A, Y, out=out)
        out *= scale
        return out

    # -- optimizers over the flat parameter buffer -------------------------------------

    def sgd(self, params: np.ndarray, grads: np.ndarray, *, lr: float, scratch: np.ndarray) -> None:
        """θ ← θ − lr · g."""
        step = np.multiply(grads, -lr, out=scratch)
        params += step

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
        """v ← μv − lr · g;  θ ← θ + v   (Nesterov: θ ← θ − lr · g + μv, with the new v)."""
        step = np.multiply(grads, -lr, out=scratch)  # −lr · g
        velocity *= momentum
        velocity += step
        if nesterov:
            params += step
            params += np.multiply(velocity, momentum, out=scratch)
        else:
            params += velocity

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
        """Duchi et al. 2011: G ← G + g²;  θ ← θ − lr · g / (√G + eps)."""
        s = np.multiply(grads, grads, out=scratch)
        sum_squares += s
        denom = np.sqrt(sum_squares, out=scratch)
        denom += eps
        step = np.divide(grads, denom, out=scratch)
        step *= lr
        params -= step

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
        """Hinton's lecture 6e: E ← ρE + (1 − ρ)g²;  θ ← θ − lr · g / (√E + eps)."""
        mean_square *= rho
        s = np.multiply(grads, grads, out=scratch)
        s *= 1 - rho
        mean_square += s
        denom = np.sqrt(mean_square, out=scratch)
        denom += eps
        step = np.divide(grads, denom, out=scratch)
        step *= lr
        params -= step

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
        """Kingma & Ba 2015, Algorithm 1, step t ≥ 1:

            m ← β₁m + (1 − β₁)g
            v ← β₂v + (1 − β₂)g²
            m̂ ← m / (1 − β₁ᵗ)
            v̂ ← v / (1 − β₂ᵗ)
            θ ← θ − lr · m̂ / (√v̂ + eps)

        With ``weight_decay`` λ > 0 this is AdamW (Loshchilov & Hutter 2019, as
        PyTorch applies it): θ ← θ(1 − lr · λ) first, then the Adam step.

        The bias corrections divide by a number that is the same for every
        parameter, so each is one multiplication by its reciprocal (rounded once
        to the array's dtype): per parameter, one division and one square root
        remain, the part of an Adam step a CPU does slowest (MNIST-sized: 37
        against 74 µs fused, Intel Xeon, AVX-512).
        """
        m_hat, v_hat = scratch
        if weight_decay:
            params *= 1 - lr * weight_decay
        m *= beta1
        m += np.multiply(grads, 1 - beta1, out=m_hat)
        v *= beta2
        g2 = np.multiply(grads, grads, out=v_hat)
        g2 *= 1 - beta2
        v += g2
        np.multiply(m, 1 / (1 - beta1**t), out=m_hat)  # m̂ = m / (1 − β₁ᵗ)
        np.multiply(v, 1 / (1 - beta2**t), out=v_hat)  # v̂ = v / (1 − β₂ᵗ)
        denom = np.sqrt(v_hat, out=v_hat)
        denom += eps
        step = np.multiply(m_hat, lr, out=m_hat)
        step /= denom
        params -= step
