"""The torch network: layers over one flat parameter tensor and one flat gradient tensor.

Each parameter is a view into ``flat_params`` (its gradient a view into
``flat_grads``), as in nn-numpy: an optimizer updates the whole model with a
handful of elementwise kernels over one tensor, and the quasi-Newton boundary
copies one vector.

Hand-written backward, not autograd. The reasons, in order:

1. Equivalence. nn's losses hand back fused output gradients
   (``dZ = (A − Y)/m`` for softmax or sigmoid with cross-entropy) and every
   layer's backward is nn-numpy's formula; writing the same operations in
   torch keeps float64 training within rounding of nn-numpy (the equivalence
   test asks 1e-9 relative over 100 epochs), which autograd's own derivative
   formulas (softmax backward through ``log_softmax``, batch norm's fused
   kernel) would not promise.
2. Speed. No graph is recorded (no tensor requires grad), and forward and
   backward write into scratch tensors reused every step, with ``addmm`` for
   the affine map: on a CPU a step is a handful of GEMMs and elementwise
   kernels, no allocation.
3. One model of a layer. A third-party layer implements the same
   ``forward``/``backward`` contract for either backend.

Determinism: nothing here draws random numbers except the dropout layers'
own generators, and the kernels used are deterministic on the CPU, so the
same spec and seed give bit-identical weights; on CUDA, cuBLAS is
deterministic for these GEMMs, but bit-identical resumes are promised on the
same device only.
"""

from __future__ import annotations

from math import prod
from typing import TYPE_CHECKING, Any

import numpy as np

from nn_core.contracts import (
    HasBuffers,
    Layer,
    Loss,
    OutputActivation,
    Regularizer,
    StepOptimizer,
    Stochastic,
)
from nn_core.layout import parameter_layout, weight_penalties
from nn_torch.layers._base import Placeable
from nn_torch.tensors import from_numpy, numpy_dtype, to_numpy, torch_dtype

if TYPE_CHECKING:
    import torch
else:
    from nn_torch._lazy import torch

EVAL_ROWS = 4096
"""Rows per chunk when evaluating or predicting on many samples."""


class TorchNetwork:
    """A stack of torch layers with a loss; nn-core's training loop drives it."""

    def __init__(
        self,
        layers: list[Layer],
        loss: Loss,
        regularizer: Regularizer | None,
        *,
        input_dim: int,
        dtype: str,
        device: str,
        rng: np.random.RandomState,
    ) -> None:
        self.layers = layers
        self.loss_fn = loss
        self.dtype = torch_dtype(dtype)
        self.np_dtype = numpy_dtype(self.dtype)
        self.device = torch.device(device)
        self.input_dim = input_dim
        width = input_dim
        for layer in layers:
            if isinstance(layer, Placeable):
                layer.place(self.device)
            width = layer.build(width, self.dtype)
        self.output_dim = width

        names = parameter_layout(layers)
        total = sum(prod(shape) for _, shape in names)
        self.flat_params = torch.zeros(total, dtype=self.dtype, device=self.device)
        self.flat_grads = torch.zeros(total, dtype=self.dtype, device=self.device)
        self.parameters: dict[str, torch.Tensor] = {}
        self.gradients: dict[str, torch.Tensor] = {}
        offset = 0
        for name, shape in names:
            size = prod(shape)
            self.parameters[name] = self.flat_params[offset : offset + size].view(shape)
            self.gradients[name] = self.flat_grads[offset : offset + size].view(shape)
            offset += size
        for i, layer in enumerate(layers):
            prefix = f"layers.{i}."
            layer.bind(
                {p: self.parameters[prefix + p] for p in layer.param_shapes},
                {p: self.gradients[prefix + p] for p in layer.param_shapes},
            )
            layer.initialize(rng)

        self.penalties: list[tuple[Regularizer, torch.Tensor, torch.Tensor]] = [
            (reg, self.parameters[key], self.gradients[key]) for reg, key in weight_penalties(layers, regularizer)
        ]

        last = layers[-1]
        self.fused = (
            loss.fused_activation is not None
            and isinstance(last, OutputActivation)
            and last.activation_name == loss.fused_activation
        )
        if self.fused:
            last.fused_output = True  # type: ignore[attr-defined]
        self._last_evaluation: tuple[tuple[int, ...], torch.Tensor, torch.Tensor, torch.Tensor] | None = None

    # -- data -----------------------------------------------------------------

    def to_backend(self, X: np.ndarray) -> torch.Tensor:
        """Features as a tensor of the network's dtype on its device (no copy on the CPU when they fit)."""
        return from_numpy(np.asarray(X), self.dtype, self.device)

    def prepare_targets(self, y: np.ndarray) -> torch.Tensor:
        targets = self.loss_fn.prepare_targets(y, self.output_dim, self.np_dtype)
        if not isinstance(targets, torch.Tensor):  # a loss from another plugin may build numpy
            return from_numpy(np.asarray(targets), self.dtype, self.device)
        return targets.to(device=self.device, dtype=self.dtype)

    def batch(self, X: torch.Tensor, index: np.ndarray, out: torch.Tensor | None = None) -> torch.Tensor:
        """Rows ``index`` of X, gathered into ``out`` (reused from step to step)."""
        rows = torch.from_numpy(np.ascontiguousarray(index, dtype=np.int64))
        if rows.device != X.device:
            rows = rows.to(X.device)
        if out is None or out.shape[0] != len(index):
            out = torch.empty((len(index), *X.shape[1:]), dtype=X.dtype, device=X.device)
        return torch.index_select(X, 0, rows, out=out)

    # -- compute --------------------------------------------------------------

    def forward(self, X: torch.Tensor, training: bool) -> torch.Tensor:
        A = X
        for layer in self.layers:
            A = layer.forward(A, training)
        return A

    def backward(self, A: torch.Tensor, Y: torch.Tensor) -> None:
        """Gradients of the data loss plus penalties, written into ``flat_grads``."""
        dA = self.loss_fn.gradient(self._logits(A), A, Y, self.fused)
        for i in range(len(self.layers) - 1, -1, -1):
            dA = self.layers[i].backward(dA, i > 0)
        for reg, W, dW in self.penalties:
            reg.add_gradient(W, dW)

    def _logits(self, A: torch.Tensor) -> torch.Tensor:
        """The output layer's pre-activation Z when it keeps one, else its output."""
        last = self.layers[-1]
        return last.logits if isinstance(last, OutputActivation) else A

    def setup_optimizer(self, optimizer: StepOptimizer) -> None:
        """A step optimizer works on the flat parameter tensor, as nn-numpy's on its flat buffer."""
        optimizer.setup(self.flat_params)

    def train_step(self, X: torch.Tensor, Y: torch.Tensor, optimizer: StepOptimizer) -> None:
        A = self.forward(X, True)
        self.backward(A, Y)
        optimizer.step(self.flat_params, self.flat_grads)

    def penalty(self) -> float:
        return float(sum(reg.penalty(W) for reg, W, _ in self.penalties))

    def _state_key(self, X: torch.Tensor) -> tuple[int, ...]:
        """Changes whenever X, a parameter or a buffer is modified in place (torch's version counters)."""
        return (id(X), X._version, self.flat_params._version, *(b._version for b in self.buffers().values()))

    def evaluate(self, X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(logits, outputs) of the last layer in evaluation mode, ``EVAL_ROWS`` rows at a time.

        At a log epoch the loop asks for the loss and then the outputs of the same split
        with the same weights: the last result is kept, keyed by the identity and version
        counters of X, the parameters and the buffers, so the second asks for no forward pass.
        """
        key = self._state_key(X)
        cached = self._last_evaluation
        if cached is not None and cached[0] == key and cached[1] is X:
            return cached[2], cached[3]
        Z, A = self._evaluate(X)
        self._last_evaluation = (key, X, Z, A)
        return Z, A

    def _evaluate(self, X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if len(X) <= EVAL_ROWS:
            A = self.forward(X, False)
            return self._logits(A), A
        Z_all = torch.empty((len(X), self.output_dim), dtype=self.dtype, device=self.device)
        A_all = torch.empty_like(Z_all)
        for start in range(0, len(X), EVAL_ROWS):
            rows = slice(start, start + EVAL_ROWS)
            A = self.forward(X[rows], False)
            A_all[rows] = A
            Z_all[rows] = self._logits(A)
        return Z_all, A_all

    def loss(self, X: torch.Tensor, Y: torch.Tensor) -> float:
        """Data loss plus weight penalties, in evaluation mode."""
        Z, A = self.evaluate(X)
        return self._loss(Z, A, Y)

    def _loss(self, Z: torch.Tensor, A: torch.Tensor, Y: torch.Tensor) -> float:
        return float(self.loss_fn.value(Z, A, Y, self.fused)) + self.penalty()

    def loss_and_proba(self, X: torch.Tensor, Y: torch.Tensor) -> tuple[float, np.ndarray]:
        """``loss`` and ``predict_proba`` from one forward pass (nn_core.contracts.ScoresInOnePass)."""
        Z, A = self.evaluate(X)
        return self._loss(Z, A, Y), to_numpy(A).astype(np.float64, copy=False)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Outputs for numpy or tensor features, as a numpy float64 array."""
        tensor = X if isinstance(X, torch.Tensor) else self.to_backend(X)
        return to_numpy(self.evaluate(tensor)[1]).astype(np.float64, copy=False)

    def is_finite(self) -> bool:
        return bool(torch.isfinite(self.flat_params.sum()))

    # -- quasi-Newton boundary: numpy float64 copies ---------------------------

    def parameter_shapes(self) -> dict[str, tuple[int, ...]]:
        """Trained parameters by name, in ``flat_params`` (and ``get_flat``) order."""
        return {name: tuple(p.shape) for name, p in self.parameters.items()}

    def get_flat(self) -> np.ndarray:
        return to_numpy(self.flat_params).astype(np.float64, copy=False)

    def set_flat(self, flat: np.ndarray) -> None:
        if np.shape(flat) != tuple(self.flat_params.shape):
            raise ValueError(
                f"flat vector has shape {np.shape(flat)}, the network needs {tuple(self.flat_params.shape)}"
            )
        self.flat_params.copy_(torch.from_numpy(np.ascontiguousarray(flat, dtype=np.float64)))

    def loss_and_gradient(self, flat: np.ndarray, X: torch.Tensor, Y: torch.Tensor) -> tuple[float, np.ndarray]:
        """``f(flat) -> (loss, flat_grad)``, the closure a quasi-Newton minimizer drives."""
        self.set_flat(flat)
        A = self.forward(X, True)
        value = self._loss(self._logits(A), A, Y)
        self.backward(A, Y)
        return value, to_numpy(self.flat_grads).astype(np.float64, copy=False)

    # -- model files and checkpoints: numpy arrays by name ------------------------

    def buffers(self) -> dict[str, torch.Tensor]:
        """Non-trained layer state (batch norm's running statistics), named like parameters."""
        return {
            f"layers.{i}.{name}": tensor
            for i, layer in enumerate(self.layers)
            if isinstance(layer, HasBuffers)
            for name, tensor in layer.buffers().items()
        }

    def state_arrays(self) -> dict[str, np.ndarray]:
        """Numpy copies of every parameter and buffer, by name, in the network's dtype."""
        return {name: to_numpy(t) for name, t in {**self.parameters, **self.buffers()}.items()}

    def load_state_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        """Copy stored arrays into the parameters and buffers, checking names and shapes."""
        targets = {**self.parameters, **self.buffers()}
        if set(arrays) != set(targets):
            missing, extra = sorted(set(targets) - set(arrays)), sorted(set(arrays) - set(targets))
            raise ValueError(f"arrays do not match the network: missing {missing}, unexpected {extra}")
        for name, array in arrays.items():
            array = np.asarray(array)
            if tuple(array.shape) != tuple(targets[name].shape):
                raise ValueError(f"{name} has shape {array.shape}, the network needs {tuple(targets[name].shape)}")
            targets[name].copy_(torch.from_numpy(np.ascontiguousarray(array)))

    def rng_state(self) -> dict[str, np.ndarray]:
        """Each stochastic layer's ``torch.Generator`` state, a numpy ``uint8`` array ``layers.1.generator``."""
        return {
            f"layers.{i}.generator": layer.generator.get_state().numpy().copy()
            for i, layer in enumerate(self.layers)
            if isinstance(layer, Stochastic) and isinstance(layer.generator, torch.Generator)
        }

    def set_rng_state(self, state: dict[str, np.ndarray]) -> None:
        for name, generator_state in state.items():
            parts = name.split(".")
            if len(parts) != 3 or parts[0] != "layers" or not parts[1].isdigit() or int(parts[1]) >= len(self.layers):
                raise ValueError(f"{name!r} names no layer of this network")
            layer = self.layers[int(parts[1])]
            if not isinstance(layer, Stochastic) or not isinstance(layer.generator, torch.Generator):
                raise ValueError(f"{name}: layer {parts[1]} has no torch generator")
            layer.generator.set_state(torch.from_numpy(np.ascontiguousarray(generator_state, dtype=np.uint8)))
