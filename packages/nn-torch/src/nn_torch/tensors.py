"""Tensor plumbing shared by the layers, losses and optimizers: dtypes,
numpy conversion, reusable scratch tensors, and keeping subnormals out.

The subnormal rules are nn-numpy's (see ``nn_numpy.subnormal``), repeated
here with the same constants so both backends compute the same numbers:
exponent arguments are clipped at ``log(tiny)`` and decaying optimizer state
is flushed to zero every ``FLUSH_EVERY`` steps.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import torch
else:
    from nn_torch._lazy import torch

DTYPES = ("float64", "float32")
FLUSH_EVERY = 100
"""Optimizer steps between flushes of decaying state (nn-numpy's value)."""


def torch_dtype(name: Any) -> torch.dtype:
    """``"float32"``, ``np.float32`` or ``torch.float32`` → ``torch.float32``."""
    if isinstance(name, torch.dtype):
        return name
    key = np.dtype(name).name
    if key not in DTYPES:
        raise ValueError(f"the torch backend computes in {' or '.join(DTYPES)}, not {key}")
    return getattr(torch, key)


def numpy_dtype(dtype: torch.dtype) -> np.dtype[Any]:
    return np.dtype(str(dtype).removeprefix("torch."))


def to_numpy(tensor: torch.Tensor) -> np.ndarray:
    """A numpy copy of ``tensor`` (any device), in its own dtype."""
    return tensor.detach().cpu().numpy().copy()


def from_numpy(array: np.ndarray, dtype: Any, device: Any) -> torch.Tensor:
    """``array`` as a tensor of ``dtype`` on ``device``; shares memory on the CPU when the dtype already fits."""
    dt = torch_dtype(dtype)
    contiguous = np.ascontiguousarray(array, dtype=numpy_dtype(dt))
    return torch.from_numpy(contiguous).to(device)


def exp_floor(dtype: torch.dtype) -> float:
    """The smallest x with exp(x) normal in ``dtype``: clip exponent arguments here."""
    return math.log(torch.finfo(dtype).tiny)


def flush_negligible(tensor: torch.Tensor) -> None:
    """Zero entries below tiny · 2⁶⁴ in place (nn-numpy's rule, same threshold)."""
    threshold = torch.finfo(tensor.dtype).tiny * 2.0**64
    tensor.masked_fill_(tensor.abs() < threshold, 0)


def sqrt(src: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    """√src into ``out``, correctly rounded.

    On the CPU torch's float64 ``sqrt`` kernel is off by one ulp for a few
    inputs in a thousand, where numpy's (the hardware instruction) is exact;
    CPU tensors share memory with numpy, so the optimizers take the square
    root through numpy there, in place, and stay bit-identical to nn-numpy.
    On CUDA the device's own (correctly rounded) ``sqrt`` runs.
    """
    if src.device.type == "cpu":
        np.sqrt(src.numpy(), out=out.numpy())
        return out
    return torch.sqrt(src, out=out)


class Buffers:
    """``get(role, shape)`` returns the same uninitialized tensor each time.

    Keyed by shape as well as role, so a last minibatch smaller than the others
    keeps tensors of its own instead of reallocating the full-size ones.
    """

    def __init__(self, dtype: torch.dtype, device: torch.device) -> None:
        self.dtype, self.device = dtype, device
        self._tensors: dict[tuple[str, tuple[int, ...]], torch.Tensor] = {}

    def get(self, role: str, shape: tuple[int, ...], dtype: torch.dtype | None = None) -> torch.Tensor:
        key = (role, tuple(shape))
        buf = self._tensors.get(key)
        if buf is None:
            buf = torch.empty(shape, dtype=self.dtype if dtype is None else dtype, device=self.device)
            self._tensors[key] = buf
        return buf
