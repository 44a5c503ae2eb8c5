"""nn's plugin contract, version 2: the interface of each component kind.

nn-core never does arithmetic on model arrays itself and assumes nothing
about a backend's array type: it talks to a backend's network, layers,
losses and optimizers only through the methods below. What crosses into
nn-core crosses as numpy arrays, by name or as float64 copies:

* features and labels arrive as numpy ``(samples, features)`` and
  ``(samples,)`` arrays and the network converts them (``to_backend``,
  ``prepare_targets``);
* predictions leave as numpy float64 (``predict_proba``);
* checkpoints and model files hold numpy arrays by name (``state_arrays``,
  ``rng_state``, an optimizer's ``state_dict``);
* flat parameter vectors exist only at the quasi-Newton boundary
  (``get_flat``/``set_flat``/``loss_and_gradient``), as float64 copies;
* initializers draw float64 numpy arrays from the spec's seeded generator,
  so every backend starts from bit-identical weights.

A plugin declares which version of this contract it was written for with
the ``nn_contract_version`` hook (see :mod:`nn_core.hookspecs`); a plugin
written for another version is refused at registry build with one line
naming its distribution (docs/plugins.md#contract-v2 says what changed).

Deviations from the design note (CONTRACT_V2.md), kept small on purpose:

* :class:`Network` has ``setup_optimizer(optimizer)``: who calls
  ``StepOptimizer.setup`` with the backend's parameter storage must be the
  network (nn-core never sees that storage), and it must happen before a
  checkpoint's optimizer state is loaded;
* :class:`Network` has ``parameter_shapes()``: the trained parameters by
  name, in ``get_flat``'s order, so gradient checks name each slice.
* :class:`Optimizer` is kept as the common base of :class:`StepOptimizer`
  and :class:`ClosureMinimizer` (kind ``optimizer``); a class deriving
  from it directly is refused at registration;
* :class:`Backend` has ``known_devices`` (or ``device_pattern``): the device
  names a spec may write at all, for the schema; ``devices()`` stays "what
  this machine has";
* ``Network.predict_proba`` takes a backend array (from ``to_backend``), like
  every other Network method that takes data;
* :class:`HasBuffers` ``buffers()`` is a method (nn-core 0.1's numpy layers
  had a property).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from nn_core.component import Component

CONTRACT_VERSION = 2
"""The plugin contract this nn implements; plugins answer it from ``nn_contract_version``."""

CONTRACT_CHANGES = {
    1: (
        "initializers return numpy arrays, optimizers are StepOptimizer or ClosureMinimizer, "
        "backends declare dtypes and devices, flat vectors only at the quasi-Newton boundary"
    ),
}
"""What changed since each older version, for the one-line refusal of an old plugin."""


@dataclass(frozen=True)
class Data:
    """A dataset as loaded: features, targets and, for classifiers, class names.

    A dataset marks a **classification** task by integer labels ``y`` of shape
    ``(samples,)`` (``0 .. classes-1``), optionally naming the classes in
    ``classes`` (``classes[i]`` is label ``i``'s name); anything else (float
    ``y``, or 2-D ``y``) is **regression**. ``extra`` carries whatever a
    dataset wants to keep beside the arrays (e.g. Kaggle's image ids).
    """

    X: np.ndarray
    y: np.ndarray
    classes: tuple[str, ...] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from nn_core.errors import DataError  # a dataset's mistake, reported in one line

        if not isinstance(self.X, np.ndarray) or not isinstance(self.y, np.ndarray):
            raise DataError(
                f"nn_core.contracts.Data needs numpy arrays, got X: {type(self.X).__name__}, "
                f"y: {type(self.y).__name__} (np.asarray them in the dataset's load())"
            )
        if self.X.ndim != 2:
            raise DataError(f"features must be 2-D (samples, features), got shape {self.X.shape}")
        if len(self.X) != len(self.y):
            raise DataError(f"{len(self.X)} feature rows but {len(self.y)} targets")

    @property
    def n_features(self) -> int:
        """Columns of X (without making X, for data that keeps its features compact)."""
        return int(self.X.shape[1])

    def head(self, n: int) -> np.ndarray:
        """The first ``n`` rows of X."""
        return self.X[:n]

    def subset(self, rows: np.ndarray) -> Data:
        """The samples ``rows`` (an integer index array), as data of the same kind."""
        return Data(self.X[rows], self.y[rows], self.classes)


class Dataset(Component):
    """Produces :class:`Data`. Datasets are backend-agnostic (``backend = None``).

    ``nn predict`` asks the dataset a model was trained on how to read new
    inputs and write predictions, so a format's reader and writer live with
    it (Kaggle's test.csv in, ``ImageId,Label`` out). Both are optional: the
    defaults read a numeric CSV with a header and write a ``label`` column.
    Raise :class:`nn_core.errors.DataError` (one line naming file and line)
    for bad input.
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
    """A score computed from true targets and predicted probabilities (backend-agnostic).

    ``y_true`` is the split's raw targets as the dataset gave them (numpy):
    integer labels ``(n,)`` for classification, float values ``(n,)`` or
    ``(n, k)`` for regression; never one-hot (one-hot encoding is the loss's
    ``prepare_targets`` business). ``proba`` is the output layer's activation
    in float64, shape ``(n, outputs)``: one column (a sigmoid's P(class 1))
    for a binary model with one output unit, one column per class for
    softmax. ``higher_is_better`` tells early stopping which way improves.
    """

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
    """Draws an initial parameter array on the host, for every backend (``backend = None``).

    Called with the parameter's shape, which may be 1-D (a bias ``(units,)``,
    batch norm's ``(features,)``) or 2-D (a dense weight ``(units_out,
    units_in)``), and the network's seeded ``RandomState`` (draw from it,
    never from a global generator). Returns a **float64 numpy array** of
    exactly that shape; the layer converts it to its dtype and device, so a
    float32 weight is the float64 draw rounded once.
    """

    kind: ClassVar[str] = "initializer"

    def __call__(self, shape: tuple[int, ...], rng: np.random.RandomState) -> np.ndarray:
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
    ``param_shapes``; the network then calls ``bind(params, grads)`` with its
    parameter storage and ``initialize(rng)``; training calls ``forward``
    then ``backward`` once per step. ``backward`` writes (not adds) the
    parameter gradients into the bound grads and returns dL/dX.

    Optional behaviour is declared by implementing the protocols below
    (:class:`OutputActivation`, :class:`Regularizable`, :class:`HasBuffers`,
    :class:`Stochastic`); a network checks them with ``isinstance``.
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


@runtime_checkable
class OutputActivation(Protocol):
    """A layer that ends in an activation a loss may fuse with (dense).

    ``activation_name`` names the activation; ``logits`` is the pre-activation
    Z of the latest forward (losses read it to stay exact); the network sets
    ``fused_output = True`` when the loss's ``fused_activation`` equals
    ``activation_name`` on the last layer, and the layer's backward then
    takes dL/dZ directly.
    """

    activation_name: str
    logits: Any
    fused_output: bool


@runtime_checkable
class Regularizable(Protocol):
    """A layer whose parameters named in ``regularized`` take a weight penalty;
    ``regularizer`` (or None) overrides the model's regularizer for this layer."""

    regularized: tuple[str, ...]
    regularizer: Regularizer | None


@runtime_checkable
class HasBuffers(Protocol):
    """A layer with non-trained state saved with the model (batch norm's running
    statistics): ``buffers()`` returns the live arrays by name (``running_mean``)."""

    def buffers(self) -> dict[str, Any]: ...


@runtime_checkable
class Stochastic(Protocol):
    """A layer with randomness of its own in training (dropout).

    ``generator`` is its own generator (its state is saved in checkpoints
    through the network's ``rng_state``); ``freeze(True)`` makes it reuse its
    last draws, so gradient checks see a deterministic loss.
    """

    generator: Any

    def freeze(self, frozen: bool) -> None: ...


class Loss(Component):
    """Data loss of a batch, averaged or summed as the loss documents.

    ``prepare_targets(y, outputs, dtype)`` turns the dataset's targets (numpy:
    integer labels ``(n,)`` or float values) into the array ``value`` and
    ``gradient`` receive, of shape ``(n, outputs)``: one-hot rows for
    softmax cross-entropy, a column of 0/1 for one sigmoid unit, the values
    as a column for regression. Raise :class:`nn_core.errors.DataError` when
    the targets cannot fit (a label ≥ outputs).

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
    """Common base of the two optimizer protocols (``kind = "optimizer"`` in specs).

    Derive from :class:`StepOptimizer` or :class:`ClosureMinimizer`, never
    from this class directly: the registry refuses it.
    """

    kind: ClassVar[str] = "optimizer"


OptimizerState = dict[str, "np.ndarray | int | float"]


class StepOptimizer(Optimizer):
    """Takes one step per minibatch on the backend's own parameter storage.

    ``lr`` is set by the training loop from the schedule before each epoch.
    ``setup(params)`` receives the storage the network will pass to ``step``
    (for nn-numpy, one flat buffer; another backend passes what it has).
    ``state_dict()`` returns numpy arrays by name plus int/float scalars, and
    ``load_state_dict`` takes them back (converting to the backend's arrays):
    this is what a checkpoint stores.
    """

    lr: float

    def setup(self, params: Any) -> None:
        """Allocate state shaped like ``params``."""

    def step(self, params: Any, grads: Any) -> None:
        raise NotImplementedError

    def state_dict(self) -> OptimizerState:
        return {}

    def load_state_dict(self, state: OptimizerState) -> None:
        """Restore what :meth:`state_dict` returned."""


@dataclass(frozen=True)
class MinimizeResult:
    """How a closure minimizer ended: final point, iterations, and why it stopped.

    ``message`` is one line a user reads after training, e.g. ``gradient
    norm 3e-09 below tolerance`` or ``iteration limit (200) reached``.
    """

    x: np.ndarray
    iterations: int
    converged: bool
    message: str


class ClosureMinimizer(Optimizer):
    """Minimizes ``fun(flat) -> (loss, flat_gradient)`` over float64 numpy vectors (bfgs, lbfgs).

    Backend-agnostic (``backend = None``): the loop hands it numpy copies
    from the network's ``get_flat``/``loss_and_gradient``. ``callback(x)`` is
    called after every iteration (the loop counts an iteration as an epoch,
    logs, runs per-epoch hooks and checkpoints); it returns True to ask the
    minimizer to stop.
    """

    def minimize(
        self,
        fun: Callable[[np.ndarray], tuple[float, np.ndarray]],
        x0: np.ndarray,
        callback: Callable[[np.ndarray], bool],
    ) -> MinimizeResult:
        raise NotImplementedError

    def state_dict(self) -> OptimizerState:
        return {}

    def load_state_dict(self, state: OptimizerState) -> None:
        """Closure minimizers keep no state between runs."""


class Schedule(Component):
    """Learning rate as a function of the epoch (host arithmetic, every backend)."""

    kind: ClassVar[str] = "schedule"

    def lr(self, base_lr: float, epoch: int) -> float:
        raise NotImplementedError


class Network(Protocol):
    """What a backend builds from layers and a loss; the loop in nn-core drives it.

    Arrays are the backend's own type except where numpy is named.
    """

    layers: list[Layer]

    def to_backend(self, X: np.ndarray) -> Any:
        """Features (numpy) to a backend array in the network's dtype and device."""
        ...

    def prepare_targets(self, y: np.ndarray) -> Any:
        """Dataset targets (numpy) to the backend array the loss expects."""
        ...

    def batch(self, X: Any, index: np.ndarray, out: Any = None) -> Any:
        """Rows ``index`` (numpy int array) of backend array X, reusing ``out`` when given."""
        ...

    def setup_optimizer(self, optimizer: StepOptimizer) -> None:
        """Call ``optimizer.setup`` with the storage ``train_step`` will pass to ``step``."""
        ...

    def train_step(self, X: Any, Y: Any, optimizer: StepOptimizer) -> None: ...

    def loss(self, X: Any, Y: Any) -> float:
        """Data loss plus penalties, evaluation mode, as a Python float."""
        ...

    def predict_proba(self, X: Any) -> np.ndarray:
        """Output activations (evaluation mode) for a backend array from ``to_backend``,
        as numpy float64 ``(n, outputs)``."""
        ...

    def is_finite(self) -> bool: ...

    # quasi-Newton boundary: numpy float64 vectors, copies, handed over and taken back
    def parameter_shapes(self) -> dict[str, tuple[int, ...]]:
        """Trained parameters by name, in the order ``get_flat`` concatenates them."""
        ...

    def get_flat(self) -> np.ndarray:
        """Every trained parameter, raveled and concatenated: a float64 numpy copy."""
        ...

    def set_flat(self, flat: np.ndarray) -> None: ...

    def loss_and_gradient(self, flat: np.ndarray, X: Any, Y: Any) -> tuple[float, np.ndarray]:
        """Set all parameters from ``flat``; return (training loss, float64 numpy flat gradient)."""
        ...

    # checkpoint / model-file boundary: numpy arrays by name
    def state_arrays(self) -> dict[str, np.ndarray]:
        """Parameters (``layers.0.weight``) and buffers (``layers.2.running_mean``), numpy copies."""
        ...

    def load_state_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        """Restore what :meth:`state_arrays` returned; raise ValueError on a name or shape mismatch."""
        ...

    def rng_state(self) -> dict[str, np.ndarray]:
        """State of every random generator the layers use (dropout masks), numpy arrays by name."""
        ...

    def set_rng_state(self, state: dict[str, np.ndarray]) -> None: ...


@runtime_checkable
class TakesScaledIntegers(Protocol):
    """A network that trains from integer features scaled as each batch is read (optional).

    nn-core hands it the integers of :class:`nn_core.compact.ScaledIntegerData`
    (``raw``, with ``X = raw / divisor`` in the network's dtype) instead of X,
    when the spec scales nothing else and trains on minibatches. Its backend
    array must then give, wherever the network reads rows, exactly
    ``np.divide(raw[rows], divisor, dtype=dtype)``: the same bits as training
    on X, from a quarter of the memory in float32.
    """

    def to_backend_scaled(self, raw: np.ndarray, divisor: float) -> Any:
        """A backend array standing for ``raw / divisor`` in the network's dtype."""
        ...


@runtime_checkable
class ScoresInOnePass(Protocol):
    """A network that gives the loss and the outputs of one forward pass (optional).

    At a log epoch the loop needs both for every split. A network without this
    method is asked ``loss`` and then ``predict_proba``: two forward passes over
    the data, a third of a Fashion-MNIST epoch's time at 60,000 samples.
    """

    def loss_and_proba(self, X: Any, Y: Any) -> tuple[float, np.ndarray]:
        """``(loss(X, Y), predict_proba(X))`` from a single evaluation-mode forward pass."""
        ...


class Callback(Component):
    """A training callback: implements lifecycle hooks (see ``nn_core.hookspecs``)
    as methods marked with ``@hookimpl``; registered for the duration of a run."""

    kind: ClassVar[str] = "callback"


class Backend(Component):
    """Assembles layers, loss and regularizer into a trainable network.

    Declares the dtypes it computes in, its default dtype and device, and
    which devices this machine has (``devices()``: e.g. ``("cpu",)`` or
    ``("cpu", "cuda", "cuda:0")``). ``known_devices`` are the names a spec may
    write at all (the schema's enum, or ``device_pattern``); a known device missing at run time is
    a one-line error. ``to_numpy``/``from_numpy`` convert single arrays (the
    conformance kit uses them; they must not assume numpy input elsewhere).
    """

    kind: ClassVar[str] = "backend"
    dtypes: ClassVar[tuple[str, ...]] = ("float64", "float32")
    default_dtype: ClassVar[str] = "float64"
    default_device: ClassVar[str] = "cpu"
    known_devices: ClassVar[tuple[str, ...]] = ("cpu",)
    device_pattern: ClassVar[str | None] = None
    """Instead of ``known_devices``: a regular expression device names must match
    (torch: ``^(cpu|cuda(:[0-9]+)?)$``)."""

    @classmethod
    def devices(cls) -> tuple[str, ...]:
        """Devices present on this machine."""
        return ("cpu",)

    @staticmethod
    def to_numpy(array: Any) -> np.ndarray:
        return np.asarray(array)

    @staticmethod
    def from_numpy(array: np.ndarray, dtype: str, device: str) -> Any:
        return np.asarray(array, dtype=dtype)

    def network(
        self,
        layers: list[Layer],
        loss: Loss,
        regularizer: Regularizer | None,
        *,
        input_dim: int,
        dtype: str,
        device: str,
        rng: np.random.RandomState,
    ) -> Network:
        raise NotImplementedError
