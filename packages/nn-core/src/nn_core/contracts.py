"""The interface of each component kind, as the training loop and builder use it.

nn-core never does arithmetic on model arrays itself: it talks to a backend's
network, layers, losses and optimizers only through the methods below, so a
second backend plugs in without touching the loop. Arrays are the backend's
own type (numpy arrays for the reference backend); data arrive as numpy
arrays ``(samples, features)`` and integer labels ``(samples,)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

import numpy as np

from nn_core.component import Component


@dataclass(frozen=True)
class Data:
    """A dataset as loaded: features, targets and, for classifiers, class names."""

    X: np.ndarray
    y: np.ndarray
    classes: tuple[str, ...] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.X.ndim != 2:
            raise ValueError(f"features must be 2-D (samples, features), got shape {self.X.shape}")
        if len(self.X) != len(self.y):
            raise ValueError(f"{len(self.X)} feature rows but {len(self.y)} targets")


class Dataset(Component):
    """Produces :class:`Data`. Datasets are backend-agnostic.

    ``nn predict`` asks the dataset a model was trained on how to read new
    inputs and write predictions, so a format's reader and writer live with
    it (Kaggle's test.csv in, ``ImageId,Label`` out). Both are optional: the
    defaults read a numeric CSV with a header and write a ``label`` column.
    """

    kind: ClassVar[str] = "dataset"

    feature_dtype: str = "float64"
    """Set by nn before ``load()`` to the spec's dtype: a dataset with large
    features may produce them in it directly (no float64 copy in a float32 run)."""

    def load(self) -> Data:
        raise NotImplementedError

    def read_inputs(self, path: str) -> np.ndarray | None:
        """Features of a file laid out like this dataset's inputs (no labels), or None."""
        return None

    def write_predictions(
        self, path: str, labels: np.ndarray, proba: np.ndarray | None, classes: list[str] | None
    ) -> bool:
        """Write predictions in this dataset's own format; False means "use the generic CSV"."""
        return False


class Metric(Component):
    """A score computed from true targets and predicted probabilities."""

    kind: ClassVar[str] = "metric"
    higher_is_better: ClassVar[bool] = True

    def compute(self, y_true: np.ndarray, proba: np.ndarray) -> float:
        raise NotImplementedError


class Activation(Component):
    """Elementwise (or row-wise, for softmax) nonlinearity of a layer."""

    kind: ClassVar[str] = "activation"

    def forward(self, Z: Any, out: Any) -> Any:
        """Write g(Z) into ``out`` (same shape as Z, never Z itself) and return it."""
        raise NotImplementedError

    def backward(self, Z: Any, A: Any, dA: Any, out: Any) -> Any:
        """Write dL/dZ into ``out`` from dL/dA, the forward input Z and output A."""
        raise NotImplementedError


class Initializer(Component):
    """Draws an initial parameter array."""

    kind: ClassVar[str] = "initializer"

    def __call__(self, shape: tuple[int, ...], rng: np.random.RandomState, dtype: Any) -> Any:
        raise NotImplementedError


class Regularizer(Component):
    """A penalty on weights, added to the loss and to the gradient."""

    kind: ClassVar[str] = "regularizer"

    def penalty(self, W: Any) -> float:
        raise NotImplementedError

    def add_gradient(self, W: Any, dW: Any) -> None:
        """Add d(penalty)/dW into dW in place."""
        raise NotImplementedError


class Layer(Component):
    """One layer. The network allocates parameters; the layer computes.

    Life cycle: ``build(input_dim, dtype)`` returns the output width and fills
    ``param_shapes``; the network then calls ``bind(params, grads)`` with views
    into its flat buffers and ``initialize(rng)``; training calls ``forward``
    then ``backward`` once per step. ``backward`` writes (not adds) the
    parameter gradients into the bound grad views and returns dL/dX.

    Optional, by convention: ``buffers`` (a dict of non-trained state such as
    batch norm's running statistics, saved in model files), ``generator`` (the
    layer's own ``numpy.random.Generator``, saved in checkpoints) and
    ``freeze(frozen)`` (hold random masks fixed, for gradient checks).
    """

    kind: ClassVar[str] = "layer"

    param_shapes: dict[str, tuple[int, ...]]

    def build(self, input_dim: int, dtype: Any) -> int:
        raise NotImplementedError

    def bind(self, params: dict[str, Any], grads: dict[str, Any]) -> None:
        self.weights = params
        self.grads = grads

    def initialize(self, rng: np.random.RandomState) -> None:
        raise NotImplementedError

    def forward(self, X: Any, training: bool) -> Any:
        raise NotImplementedError

    def backward(self, dY: Any, need_dX: bool = True) -> Any:
        raise NotImplementedError


class Loss(Component):
    """Data loss of a batch, averaged or summed as the loss documents.

    ``fused_activation`` names an output activation whose Jacobian this loss
    absorbs: when the last layer uses it, ``gradient`` returns dL/dZ (for
    softmax or sigmoid with cross-entropy, ``(A - Y) / m``) and the layer skips
    its activation's backward.
    """

    kind: ClassVar[str] = "loss"
    fused_activation: ClassVar[str | None] = None
    targets: ClassVar[str | None] = None
    """What the loss takes, checked before training (:mod:`nn_core.targets`): ``"binary"`` (labels 0
    and 1, or probabilities), ``"classes"`` (integer labels, one output unit per class), ``"values"``
    (real numbers) or None (not checked)."""

    def prepare_targets(self, y: np.ndarray, outputs: int, dtype: Any) -> Any:
        """Turn dataset targets into the array ``value``/``gradient`` expect."""
        raise NotImplementedError

    def value(self, Z: Any, A: Any, Y: Any, fused: bool) -> float:
        """Loss of a batch; when ``fused``, Z are the output layer's logits."""
        raise NotImplementedError

    def gradient(self, Z: Any, A: Any, Y: Any, fused: bool) -> Any:
        raise NotImplementedError


class Optimizer(Component):
    """Updates all parameters at once through their flat buffers."""

    kind: ClassVar[str] = "optimizer"
    full_batch: ClassVar[bool] = False
    """True for quasi-Newton methods that take a closure instead of steps."""

    lr: float

    def setup(self, params: Any) -> None:
        """Allocate state shaped like the flat parameter buffer."""

    def minimize(
        self,
        fun: Callable[[np.ndarray], tuple[float, np.ndarray]],
        x0: np.ndarray,
        callback: Callable[[np.ndarray], None],
    ) -> np.ndarray:
        """Full-batch optimizers only: minimize ``fun(flat) -> (loss, grad)`` from x0.

        ``callback(flat)`` must be called after every iteration (the loop counts
        iterations as epochs, logs and may raise to stop). Returns the final
        flat parameters.
        """
        raise NotImplementedError

    def step(self, params: Any, grads: Any) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned."""


class Schedule(Component):
    """Learning rate as a function of the epoch."""

    kind: ClassVar[str] = "schedule"

    def lr(self, base_lr: float, epoch: int) -> float:
        raise NotImplementedError


class Network(Protocol):
    """What a backend builds from layers and a loss; the loop drives it."""

    layers: list[Layer]

    parameters: dict[str, Any]
    """Named parameter views, ``layers.0.weight`` style."""
    flat_params: Any
    """Every parameter, in one contiguous vector the views point into."""
    flat_grads: Any

    def batch(self, X: Any, index: np.ndarray, out: Any = None) -> Any: ...

    def prepare_targets(self, y: np.ndarray) -> Any: ...

    def to_backend(self, X: np.ndarray) -> Any: ...

    def train_step(self, X: Any, Y: Any, optimizer: Optimizer) -> None: ...

    def loss(self, X: Any, Y: Any) -> float: ...

    def predict_proba(self, X: Any) -> np.ndarray: ...

    def is_finite(self) -> bool: ...

    def loss_and_gradient(self, flat: Any, X: Any, Y: Any) -> tuple[float, Any]:
        """Set all parameters from ``flat``; return (loss, flat gradient) on X, Y."""
        ...

    def state_arrays(self) -> dict[str, np.ndarray]:
        """Parameters and non-trained state (running statistics), as numpy copies by name."""
        ...

    def load_state_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        """Restore what :meth:`state_arrays` returned; raise ValueError on a name or shape mismatch."""
        ...

    def rng_state(self) -> dict[str, Any]:
        """JSON-serializable state of every random generator the layers use (dropout masks)."""
        ...

    def set_rng_state(self, state: dict[str, Any]) -> None: ...


class Callback(Component):
    """A training callback: implements lifecycle hooks (see ``nn_core.hookspecs``)
    as methods marked with ``@hookimpl``; registered for the duration of a run."""

    kind: ClassVar[str] = "callback"


class Backend(Component):
    """Assembles layers, loss and regularizer into a trainable network."""

    kind: ClassVar[str] = "backend"

    def network(
        self,
        layers: list[Layer],
        loss: Loss,
        regularizer: Regularizer | None,
        *,
        input_dim: int,
        dtype: str,
        rng: np.random.RandomState,
    ) -> Network:
        raise NotImplementedError
