"""The numpy network: layers over two flat buffers, one for weights, one for gradients.

Every parameter array is a view into ``flat_params`` (and its gradient a
view into ``flat_grads``), so an optimizer updates the whole model with a
handful of vectorised operations (``setup_optimizer`` hands it the flat
buffer) and the quasi-Newton boundary (``get_flat``/``set_flat``) is one
copy (scikit-learn's ``_pack``/``_unpack``, without the packing). The flat
buffers are this backend's own business: nn-core's contract (v2) only sees
numpy copies by name or as float64 vectors.

Optional layer behaviour is found through the typed protocols of
:mod:`nn_core.contracts` (``OutputActivation``, ``Regularizable``,
``HasBuffers``, ``Stochastic``), never through ``getattr`` guesses.
"""

from __future__ import annotations

from math import prod

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
from nn_numpy.kernels import Kernels, kernels_for
from nn_numpy.scaled_rows import ScaledRows

EVAL_ROWS = 1024
"""Rows per chunk when evaluating or predicting on many samples. Fashion-MNIST's training split
evaluates as fast in chunks of 1,024 as of 4,096 (the GEMMs are as efficient), and its transient
activations take 20 MB less."""


class NumpyNetwork:
    """A stack of layers with a loss; the training loop drives it."""

    def __init__(
        self,
        layers: list[Layer],
        loss: Loss,
        regularizer: Regularizer | None,
        *,
        input_dim: int,
        dtype: str,
        rng: np.random.RandomState,
    ) -> None:
        self.layers = layers
        self.loss_fn = loss
        self.dtype = np.dtype(dtype)
        self.input_dim = input_dim
        width = input_dim
        for layer in layers:
            width = layer.build(width, self.dtype)
        self.output_dim = width

        names = parameter_layout(layers)
        total = sum(prod(shape) for _, shape in names)
        self.kernels: Kernels = kernels_for(total)  # NN_KERNELS, by parameter count under auto
        self.kernels.prepare(self.dtype)  # while building: the first training step is then like any other
        for part in (*layers, loss):
            if isinstance(getattr(type(part), "kernels", None), Kernels):  # nn-numpy's own dense layers and losses
                part.kernels = self.kernels  # type: ignore[attr-defined]
        self.flat_params = np.zeros(total, dtype=self.dtype)
        self.flat_grads = np.zeros(total, dtype=self.dtype)
        self.parameters: dict[str, np.ndarray] = {}
        self.gradients: dict[str, np.ndarray] = {}
        offset = 0
        for name, shape in names:
            size = prod(shape)
            self.parameters[name] = self.flat_params[offset : offset + size].reshape(shape)
            self.gradients[name] = self.flat_grads[offset : offset + size].reshape(shape)
            offset += size
        for i, layer in enumerate(layers):
            prefix = f"layers.{i}."
            layer.bind(
                {p: self.parameters[prefix + p] for p in layer.param_shapes},
                {p: self.gradients[prefix + p] for p in layer.param_shapes},
            )
            layer.initialize(rng)

        self.penalties: list[tuple[Regularizer, np.ndarray, np.ndarray]] = [
            (reg, self.parameters[key], self.gradients[key]) for reg, key in weight_penalties(layers, regularizer)
        ]

        last = layers[-1]
        # Checked once: isinstance against a runtime_checkable Protocol costs ~15 µs, a third of a spirals step.
        self._output: OutputActivation | None = last if isinstance(last, OutputActivation) else None
        self.fused = (
            loss.fused_activation is not None
            and self._output is not None
            and self._output.activation_name == loss.fused_activation
        )
        if self.fused:
            last.fused_output = True  # type: ignore[attr-defined]

    # -- data -----------------------------------------------------------------

    def to_backend(self, X: np.ndarray | ScaledRows) -> np.ndarray | ScaledRows:
        if isinstance(X, ScaledRows):  # already this network's array (compact features)
            return X
        return np.ascontiguousarray(X, dtype=self.dtype)

    def prepare_targets(self, y: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(self.loss_fn.prepare_targets(y, self.output_dim, self.dtype))

    def to_backend_scaled(self, raw: np.ndarray, divisor: float) -> ScaledRows:
        """Compact features (nn_core.compact): kept as integers, scaled as batches are gathered."""
        return ScaledRows(raw, divisor, self.dtype)

    def batch(self, X: np.ndarray | ScaledRows, index: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Rows ``index`` of X, gathered into ``out`` without a temporary.

        ``mode='clip'`` matters: the default ``'raise'`` makes numpy build a
        temporary as large as the output before copying into ``out``.
        """
        if out is None or out.shape[0] != len(index):
            out = np.empty((len(index),) + X.shape[1:], dtype=X.dtype)  # ScaledRows: the network's dtype
        if isinstance(X, ScaledRows):
            return X.take(index, out)
        return np.take(X, index, axis=0, out=out, mode="clip")

    # -- compute --------------------------------------------------------------

    def forward(self, X: np.ndarray | ScaledRows, training: bool) -> np.ndarray:
        A = X.dense() if isinstance(X, ScaledRows) else X
        for layer in self.layers:
            A = layer.forward(A, training)
        return A

    def backward(self, A: np.ndarray, Y: np.ndarray) -> None:
        """Gradients of the data loss plus penalties, written into ``flat_grads``."""
        dA = self.loss_fn.gradient(self._logits(A), A, Y, self.fused)
        for i in range(len(self.layers) - 1, -1, -1):
            dA = self.layers[i].backward(dA, i > 0)
        for reg, W, dW in self.penalties:
            reg.add_gradient(W, dW)

    def _logits(self, A: np.ndarray) -> np.ndarray:
        """The output layer's pre-activation Z when it keeps one, else its output."""
        return self._output.logits if self._output is not None else A

    def setup_optimizer(self, optimizer: StepOptimizer) -> None:
        optimizer.setup(self.flat_params)

    def train_step(self, X: np.ndarray, Y: np.ndarray, optimizer: StepOptimizer) -> None:
        A = self.forward(X, True)
        self.backward(A, Y)
        optimizer.step(self.flat_params, self.flat_grads)

    def penalty(self) -> float:
        return float(sum(reg.penalty(W) for reg, W, _ in self.penalties))

    def evaluate(self, X: np.ndarray | ScaledRows) -> tuple[np.ndarray, np.ndarray]:
        """(logits, outputs) of the last layer in evaluation mode, ``EVAL_ROWS`` rows at a time.

        Only the output layer's arrays are kept for all rows, so evaluating
        60,000 samples never holds every hidden activation at once.
        """
        if len(X) <= EVAL_ROWS:
            A = self.forward(X, False)
            return self._logits(A), A
        Z_all = np.empty((len(X), self.output_dim), dtype=self.dtype)
        A_all = np.empty_like(Z_all)
        for start in range(0, len(X), EVAL_ROWS):
            rows = slice(start, start + EVAL_ROWS)
            A_all[rows] = A = self.forward(X[rows], False)
            Z_all[rows] = self._logits(A)
        return Z_all, A_all

    def loss(self, X: np.ndarray, Y: np.ndarray) -> float:
        """Data loss plus weight penalties, in evaluation mode."""
        Z, A = self.evaluate(X)
        return self._loss(Z, A, Y)

    def _loss(self, Z: np.ndarray, A: np.ndarray, Y: np.ndarray) -> float:
        return float(self.loss_fn.value(Z, A, Y, self.fused)) + self.penalty()

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return np.array(self.evaluate(self.to_backend(X))[1], dtype=np.float64, copy=True)

    def loss_and_proba(self, X: np.ndarray, Y: np.ndarray) -> tuple[float, np.ndarray]:
        """``loss`` and ``predict_proba`` from one forward pass (nn_core.contracts.ScoresInOnePass)."""
        Z, A = self.evaluate(X)
        return self._loss(Z, A, Y), np.array(A, dtype=np.float64, copy=True)

    def is_finite(self) -> bool:
        # One reduction over the flat buffer: NaN or inf anywhere poisons the sum.
        return bool(np.isfinite(self.flat_params.sum()))

    # -- quasi-Newton boundary: float64 copies ---------------------------------------

    def parameter_shapes(self) -> dict[str, tuple[int, ...]]:
        """Trained parameters by name, in ``flat_params`` (and ``get_flat``) order."""
        return {name: p.shape for name, p in self.parameters.items()}

    def get_flat(self) -> np.ndarray:
        return self.flat_params.astype(np.float64, copy=True)

    def set_flat(self, flat: np.ndarray) -> None:
        if np.shape(flat) != self.flat_params.shape:
            raise ValueError(f"flat vector has shape {np.shape(flat)}, the network needs {self.flat_params.shape}")
        self.flat_params[...] = flat

    def loss_and_gradient(self, flat: np.ndarray, X: np.ndarray, Y: np.ndarray) -> tuple[float, np.ndarray]:
        """``f(flat) -> (loss, flat_grad)``, the closure scipy minimizes (float64 copies)."""
        self.set_flat(flat)
        A = self.forward(X, True)
        value = self._loss(self._logits(A), A, Y)
        self.backward(A, Y)
        return value, self.flat_grads.astype(np.float64, copy=True)

    @property
    def buffers(self) -> dict[str, np.ndarray]:
        """Layer state that is saved with a model but not trained (batch norm's
        running statistics), named like parameters: ``layers.1.running_mean``.
        The arrays are the layers' own: assigning into them restores a model."""
        return {
            f"layers.{i}.{name}": array
            for i, layer in enumerate(self.layers)
            if isinstance(layer, HasBuffers)
            for name, array in layer.buffers().items()
        }

    # -- model files and checkpoints: numpy arrays by name ----------------------------

    def state_arrays(self) -> dict[str, np.ndarray]:
        """Copies of every parameter and buffer, by name (what a model file stores)."""
        return {name: p.copy() for name, p in {**self.parameters, **self.buffers}.items()}

    def load_state_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        """Assign stored arrays into the parameters and buffers, checking names and shapes."""
        targets = {**self.parameters, **self.buffers}
        if set(arrays) != set(targets):
            missing, extra = sorted(set(targets) - set(arrays)), sorted(set(arrays) - set(targets))
            raise ValueError(f"arrays do not match the network: missing {missing}, unexpected {extra}")
        for name, array in arrays.items():
            if array.shape != targets[name].shape:
                raise ValueError(f"{name} has shape {array.shape}, the network needs {targets[name].shape}")
            targets[name][...] = array

    def rng_state(self) -> dict[str, np.ndarray]:
        """Each stochastic layer's generator state as a uint64 array, ``layers.1.generator``."""
        return {
            f"layers.{i}.generator": generator_state(layer.generator)
            for i, layer in enumerate(self.layers)
            if isinstance(layer, Stochastic) and layer.generator is not None
        }

    def set_rng_state(self, state: dict[str, np.ndarray]) -> None:
        for name, array in state.items():
            index = _layer_index(name, len(self.layers))
            layer = self.layers[index]
            if not isinstance(layer, Stochastic) or layer.generator is None:
                raise ValueError(f"{name}: layer {index} has no random generator")
            set_generator_state(layer.generator, array)


def _layer_index(name: str, count: int) -> int:
    parts = name.split(".")
    if len(parts) != 3 or parts[0] != "layers" or not parts[1].isdigit() or int(parts[1]) >= count:
        raise ValueError(f"{name!r} names no layer of this network")
    return int(parts[1])


_MASK64 = (1 << 64) - 1


def generator_state(generator: np.random.Generator) -> np.ndarray:
    """A PCG64 generator's full state as six uint64s: state (hi, lo), inc (hi, lo),
    has_uint32, uinteger. Exact, and a plain array a checkpoint can hold."""
    state = generator.bit_generator.state
    if state.get("bit_generator") != "PCG64":
        raise ValueError(f"only PCG64 generators are saved, not {state.get('bit_generator')}")
    inner = state["state"]
    words = [
        inner["state"] >> 64,
        inner["state"] & _MASK64,
        inner["inc"] >> 64,
        inner["inc"] & _MASK64,
        int(state["has_uint32"]),
        int(state["uinteger"]),
    ]
    return np.array(words, dtype=np.uint64)


def set_generator_state(generator: np.random.Generator, array: np.ndarray) -> None:
    """Inverse of :func:`generator_state`."""
    words = [int(w) for w in np.asarray(array, dtype=np.uint64).reshape(-1)]
    if len(words) != 6:
        raise ValueError(f"a generator state has 6 words, got {len(words)}")
    generator.bit_generator.state = {
        "bit_generator": "PCG64",
        "state": {"state": (words[0] << 64) | words[1], "inc": (words[2] << 64) | words[3]},
        "has_uint32": words[4],
        "uinteger": words[5],
    }
