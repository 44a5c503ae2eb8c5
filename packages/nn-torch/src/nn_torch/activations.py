"""Activations on torch tensors: nn-numpy's formulas, op for op where it matters.

Each ``forward(Z, out)`` writes g(Z) into ``out``; each
``backward(Z, A, dA, out)`` writes dL/dZ. Derivatives use the forward output
where nn-numpy does (sigmoid: A(1 − A), tanh: 1 − A², elu: A + α). Where
torch has a kernel computing the same function to the last bits or a few
ulps (``torch.tanh`` against nn-numpy's exp form, ``torch.sigmoid`` against
scipy's ``expit``) it is used; a few ulps per step stay far inside the 1e-9
relative agreement the equivalence test asks for.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, ClassVar

from nn_core.contracts import Activation
from nn_torch.tensors import exp_floor

if TYPE_CHECKING:
    import torch
else:
    from nn_torch._lazy import torch

_INV_SQRT2 = 1 / math.sqrt(2)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


class TorchActivation(Activation):
    backend: ClassVar[str] = "torch"
    params_schema: ClassVar[dict[str, Any]] = {"type": "object", "properties": {}}


class Identity(TorchActivation):
    """g(z) = z: linear output (regression, logits)."""

    name = "identity"

    def forward(self, Z: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        return out.copy_(Z)

    def backward(self, Z: torch.Tensor, A: torch.Tensor, dA: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        return out.copy_(dA)


class Sigmoid(TorchActivation):
    """Logistic g(z) = 1 / (1 + e^-z); fused with binary_cross_entropy on output."""

    name = "sigmoid"

    def forward(self, Z: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        if out.dtype == torch.float32:  # σ(z) kept out of the subnormal range, as nn-numpy does
            floor = exp_floor(out.dtype)
            torch.clamp(Z, floor, -floor, out=out)
            return torch.sigmoid(out, out=out)
        return torch.sigmoid(Z, out=out)

    def backward(self, Z: torch.Tensor, A: torch.Tensor, dA: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        torch.sub(1, A, out=out)
        out *= A
        out *= dA
        return out


class Tanh(TorchActivation):
    """Hyperbolic tangent, the tutorials' hidden-layer default."""

    name = "tanh"

    def forward(self, Z: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        return torch.tanh(Z, out=out)

    def backward(self, Z: torch.Tensor, A: torch.Tensor, dA: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        torch.mul(A, A, out=out)
        torch.sub(1, out, out=out)
        out *= dA
        return out


class Relu(TorchActivation):
    """max(0, z); gradient 1 where z > 0, else 0."""

    name = "relu"

    def forward(self, Z: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        return torch.clamp_min(Z, 0, out=out)

    def backward(self, Z: torch.Tensor, A: torch.Tensor, dA: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        # A > 0 exactly where Z > 0; torch's relu backward kernel, one pass and no mask tensor.
        return torch.ops.aten.threshold_backward.grad_input(dA, A, 0, grad_input=out)


class Softmax(TorchActivation):
    """Row-wise softmax for class probabilities; fused with categorical_cross_entropy."""

    name = "softmax"

    def forward(self, Z: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        torch.sub(Z, Z.amax(dim=1, keepdim=True), out=out)  # log-sum-exp shift
        out.clamp_min_(exp_floor(out.dtype))  # exp stays normal (nn-numpy's rule)
        out.exp_()
        out /= out.sum(dim=1, keepdim=True)
        # Dividing by the row sum can still land below the smallest normal float; such
        # probabilities (and the (A − Y)/m gradients made from them) would run every GEMM of
        # backward in microcode, several times slower. Zero them: a change below 1.2e-38
        # (float32) or 2.3e-308 (float64), far inside the 1e-9 agreement with nn-numpy.
        out.masked_fill_(out < torch.finfo(out.dtype).tiny, 0)
        return out

    def backward(self, Z: torch.Tensor, A: torch.Tensor, dA: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        # dZ = A ⊙ (dA − Σ_j dA_j A_j): the softmax Jacobian applied row by row.
        dot = (dA * A).sum(dim=1, keepdim=True)
        torch.sub(dA, dot, out=out)
        out *= A
        return out


class LeakyRelu(TorchActivation):
    """max(z, alpha·z): relu with a small slope for z < 0, so no unit dies."""

    name = "leaky_relu"
    params_schema = {
        "type": "object",
        "properties": {
            "alpha": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.01, "description": "slope for z < 0"},
        },
    }

    def __init__(self, *, alpha: float = 0.01) -> None:
        self.alpha = alpha

    def forward(self, Z: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        torch.mul(Z, self.alpha, out=out)
        return torch.maximum(Z, out, out=out)  # max(z, αz) is leaky relu for 0 ≤ α ≤ 1

    def backward(self, Z: torch.Tensor, A: torch.Tensor, dA: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        torch.mul(dA, self.alpha, out=out)
        return torch.where(Z > 0, dA, out, out=out)


class Elu(TorchActivation):
    """z for z > 0, alpha·(eᶻ − 1) otherwise (Clevert et al. 2016)."""

    name = "elu"
    params_schema = {
        "type": "object",
        "properties": {
            "alpha": {
                "type": "number",
                "exclusiveMinimum": 0,
                "default": 1.0,
                "description": "saturation value −alpha for z → −∞",
            },
        },
    }

    def __init__(self, *, alpha: float = 1.0) -> None:
        self.alpha = alpha

    def forward(self, Z: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        torch.clamp_max(Z, 0, out=out)  # expm1 of min(z, 0): no overflow for large z
        out.expm1_()
        out *= self.alpha
        return torch.where(Z > 0, Z, out, out=out)

    def backward(self, Z: torch.Tensor, A: torch.Tensor, dA: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        # g'(z) = α eᶻ = A + α for z ≤ 0, 1 for z > 0.
        torch.add(A, self.alpha, out=out)
        out.masked_fill_(Z > 0, 1)
        out *= dA
        return out


class Softplus(TorchActivation):
    """log(1 + eᶻ), a smooth relu; its derivative is the sigmoid.

    ``torch.logaddexp(0, z)`` like nn-numpy, not ``torch.nn.functional.softplus``,
    whose default ``threshold=20`` returns z itself above 20 (off by e⁻²⁰).
    """

    name = "softplus"

    def forward(self, Z: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        return torch.logaddexp(torch.zeros((), dtype=Z.dtype, device=Z.device), Z, out=out)

    def backward(self, Z: torch.Tensor, A: torch.Tensor, dA: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        torch.sigmoid(Z, out=out)
        out *= dA
        return out


class Gelu(TorchActivation):
    """Exact GELU, z·Φ(z) with Φ the standard normal CDF (erf form, not the tanh approximation).

    Forward keeps Φ(z) for backward, g'(z) = Φ(z) + z·φ(z); the cache is tied
    to the Z it came from, so an evaluation forward in between never feeds a stale Φ.
    """

    name = "gelu"

    def __init__(self) -> None:
        self._cdf: torch.Tensor | None = None
        self._cdf_of: torch.Tensor | None = None

    def forward(self, Z: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        cdf = self._cdf
        if cdf is None or cdf.shape != Z.shape or cdf.dtype != Z.dtype or cdf.device != Z.device:
            cdf = self._cdf = torch.empty_like(Z)
        torch.mul(Z, _INV_SQRT2, out=cdf)
        cdf.erf_()
        cdf += 1
        cdf *= 0.5
        self._cdf_of = Z
        return torch.mul(Z, cdf, out=out)

    def backward(self, Z: torch.Tensor, A: torch.Tensor, dA: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        if self._cdf_of is not Z or self._cdf is None:
            self.forward(Z, out)  # recompute Φ(z); out is overwritten below
        assert self._cdf is not None
        torch.mul(Z, Z, out=out)  # z·φ(z) = z · exp(−z²/2) / √(2π)
        out *= -0.5
        out.exp_()
        out *= Z
        out *= _INV_SQRT_2PI
        out += self._cdf
        out *= dA
        return out


ACTIVATIONS = [Identity, Sigmoid, Tanh, Relu, Softmax, LeakyRelu, Elu, Softplus, Gelu]
