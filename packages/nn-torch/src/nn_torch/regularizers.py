"""Weight penalties on torch tensors, nn-numpy's convention: ``l2`` adds (λ/2)·ΣW²
to the loss and λ·W to the gradient, ``l1`` λ·Σ|W| and λ·sign(W); λ is not
divided by the batch size (see ``nn_numpy.regularizers`` for the tutorial mapping)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from nn_core.contracts import Regularizer

if TYPE_CHECKING:
    import torch
else:
    from nn_torch._lazy import torch

_LAMBDA = {
    "type": "number",
    "minimum": 0,
    "default": 0.01,
    "description": "penalty strength λ (not divided by the batch size)",
}


class TorchRegularizer(Regularizer):
    backend: ClassVar[str] = "torch"
    params_schema: ClassVar[dict[str, Any]] = {"type": "object", "properties": {"lambda": _LAMBDA}}

    def __init__(self, **params: float) -> None:
        # ``lambda`` is a Python keyword, so it cannot be a named argument.
        unknown = set(params) - {"lambda"}
        if unknown:
            raise TypeError(f"{self.name}: unknown parameters {sorted(unknown)}")
        self.lam = float(params.get("lambda", 0.01))
        self._scratch: dict[tuple[Any, ...], torch.Tensor] = {}

    def _buffer(self, W: torch.Tensor) -> torch.Tensor:
        """One scratch tensor per weight shape (one regularizer serves many layers)."""
        key = (tuple(W.shape), W.dtype, W.device)
        buf = self._scratch.get(key)
        if buf is None:
            buf = self._scratch[key] = torch.empty_like(W)
        return buf


class L2(TorchRegularizer):
    """Weight decay: adds (λ/2)·ΣW² to the loss and λ·W to the gradient (tutorial 003)."""

    name = "l2"

    def penalty(self, W: torch.Tensor) -> float:
        flat = W.reshape(-1)
        return 0.5 * self.lam * float(torch.dot(flat, flat))

    def add_gradient(self, W: torch.Tensor, dW: torch.Tensor) -> None:
        dW += torch.mul(W, self.lam, out=self._buffer(W))


class L1(TorchRegularizer):
    """Lasso penalty: adds λ·Σ|W| to the loss and λ·sign(W) to the gradient; drives weights to 0."""

    name = "l1"

    def penalty(self, W: torch.Tensor) -> float:
        return self.lam * float(W.abs().sum())

    def add_gradient(self, W: torch.Tensor, dW: torch.Tensor) -> None:
        buf = torch.sign(W, out=self._buffer(W))
        buf *= self.lam
        dW += buf


REGULARIZERS = [L2, L1]
