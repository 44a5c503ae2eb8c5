"""From an estimator's parameters to a validated spec: base spec, overrides, data, seed.

An estimator's parameters are ``spec`` (a file, a dict, or None for the
estimator's small default network), ``random_state`` (the spec's ``seed``)
and any number of overrides named like scikit-learn's nested parameters:
``optimizer__lr=0.05`` is ``--set optimizer.lr=0.05``,
``model__layers__0__units=8`` is ``--set model.layers[0].units=8``, and a
top-level key (``optimizer={"type": "adam", "lr": 0.01}``) replaces that
section. Shallower keys apply first, so ``optimizer="adam"`` together with
``optimizer__lr=0.01`` gives Adam with that rate.

Why ``__`` and not one ``overrides`` dict: ``GridSearchCV`` and ``Pipeline``
address parameters as ``step__name``; a grid over
``nnclassifier__optimizer__lr`` and ``nnclassifier__model__layers__0__units``
then varies each spec value on its own, which a single dict-valued parameter
cannot (its grid would have to list every combination), and ``clone`` copies
each override as an ordinary parameter.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from nn_core.registry import Registry
from nn_core.spec import Spec, SpecError, SpecIssue, validate
from nn_core.spec.loader import Document, check_shape, read_spec
from nn_core.spec.model import to_spec
from nn_core.spec.overrides import assign, parse_path

SEPARATOR = "__"


def override_path(key: str) -> tuple[str | int, ...]:
    """``model__layers__0__units`` (or ``model.layers[0].units``) → ``("model", "layers", 0, "units")``."""
    return parse_path(key.replace(SEPARATOR, "."))


def plain(value: Any) -> Any:
    """Parameter values as a spec holds them: numpy scalars and arrays become Python numbers and lists."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def seed_from(random_state: Any) -> int | None:
    """scikit-learn's ``random_state`` (None, an int or a RandomState) as a spec seed."""
    if random_state is None:
        return None
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(np.iinfo(np.int32).max))
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        return int(random_state)
    raise ValueError(f"random_state must be None, an int or a numpy RandomState, got {random_state!r}")


@dataclass(frozen=True)
class OutputSize:
    """What the targets need of the output layer: ``units`` when resized, any of ``allowed`` as it is,
    and the activations whose layer may be resized (softmax for classes; None: any, for values, where
    each unit's activation acts on its own target)."""

    units: int
    allowed: tuple[int, ...]
    activations: frozenset[str] | None
    sigmoid_to_softmax: bool = False  # more than two classes: a 1-unit sigmoid output may become a softmax


def _activation_name(layer: Mapping[str, Any]) -> str:
    activation = layer.get("activation", "identity")
    if isinstance(activation, Mapping):
        activation = activation.get("type")
    return str(activation)


def size_output_layer(document: Any, outputs: OutputSize, set_paths: list[tuple[str | int, ...]]) -> None:
    """Give a dense output layer as many units as the targets need, as ``MLPClassifier`` sizes its output.

    Why: a spec describes the network; the number of classes (or target
    columns) belongs to the data, which ``fit`` supplies. So
    ``NNClassifier("specs/moons-l2.yaml")`` (a 2-unit softmax) fits three
    classes with a 3-unit softmax. Left alone, so that ``fit`` still names
    the parameter to set: a last layer that is not a dense one, an activation
    that cannot simply grow, and units the caller set on their own
    (``model__layers__1__units=2``; a whole ``model__layers`` list is sized
    like a spec's). A 1-unit sigmoid under binary cross-entropy (spirals.yaml)
    on more than two classes becomes a softmax under categorical
    cross-entropy, MLPClassifier's logistic-or-softmax rule, unless the caller
    set that layer's activation or the loss.
    """
    model = document.get("model") if isinstance(document, Mapping) else None
    layers = model.get("layers") if isinstance(model, Mapping) else None
    if not isinstance(layers, list) or not layers or not isinstance(layers[-1], dict):
        return
    last = layers[-1]
    units = last.get("units")
    if last.get("type") != "dense" or not isinstance(units, int) or units in outputs.allowed:
        return
    last_paths: set[tuple[str | int, ...]] = {("model", "layers", len(layers) - 1), ("model", "layers", -1)}
    if any(path[:3] in last_paths and path[3:] == ("units",) for path in set_paths):
        return
    if outputs.activations is None or _activation_name(last) in outputs.activations:
        last["units"] = outputs.units
    elif (
        outputs.sigmoid_to_softmax and _binary_output(document, last) and not _caller_set_output(set_paths, last_paths)
    ):
        last["units"] = outputs.units
        last["activation"] = "softmax"
        loss = document["loss"]
        if isinstance(loss, dict):
            loss["type"] = "categorical_cross_entropy"  # keeps its reduction
        else:
            document["loss"] = "categorical_cross_entropy"


def _caller_set_output(set_paths: list[tuple[str | int, ...]], last_paths: set[tuple[str | int, ...]]) -> bool:
    """The caller chose the loss or the output layer's activation themselves: theirs to change, not ours."""
    return any(path[:1] == ("loss",) or (path[:3] in last_paths and path[3:4] == ("activation",)) for path in set_paths)


def _binary_output(document: Mapping[str, Any], last: Mapping[str, Any]) -> bool:
    """One sigmoid unit under plain binary cross-entropy: the two-class form of a softmax output."""
    loss = document.get("loss")
    name = loss.get("type") if isinstance(loss, Mapping) else loss
    return last.get("units") == 1 and last.get("activation") == "sigmoid" and name == "binary_cross_entropy"


def base_document(spec: Any, default: dict[str, Any], estimator: str) -> Document:
    """The spec before overrides: a file (with line numbers for errors), a dict, or the default."""
    if spec is None:
        return Document(copy.deepcopy(default), None)
    if isinstance(spec, (str, os.PathLike)):
        return read_spec(os.fspath(spec))
    if isinstance(spec, Mapping):
        document = plain(spec)
        check_shape(document)
        return Document(document, None)
    raise ValueError(f"{estimator}: spec must be a spec file path, a spec dict or None, got {type(spec).__name__}")


def build_spec(
    estimator: str,
    spec: Any,
    overrides: Mapping[str, Any],
    *,
    default: dict[str, Any],
    arrays: dict[str, Any],
    seed: int | None,
    registry: Registry,
    outputs: OutputSize | None = None,
) -> Spec:
    """Validate the spec the estimator's parameters describe; its data section becomes ``arrays``.

    Errors are :class:`SpecError` s whose issues name the parameter
    (``(NNClassifier parameter optimizer__lrr): optimizer.lrr: unknown parameter ...``).
    """
    document = base_document(spec, default, estimator)
    keyed = []
    for key, value in overrides.items():
        where = f"{estimator} parameter {key}"
        try:
            path = override_path(key)
        except ValueError as exc:
            raise SpecError([SpecIssue((), f"not a spec path: {exc}", f"({where})")]) from None
        if path[:2] == ("data", "dataset"):
            message = "fit(X, y) supplies the data: the spec's data.dataset is replaced by the arrays passed to fit"
            raise SpecError([SpecIssue(path, message, f"({where})")])
        keyed.append((len(path), path, plain(value), where))
    for _, path, value, where in sorted(keyed, key=lambda item: item[0]):
        assign(document, path, value, where)
    if outputs is not None:
        size_output_layer(document.data, outputs, [path for _, path, _, _ in keyed])
    if not isinstance(document.data, dict):
        raise SpecError([SpecIssue((), "a spec must be a mapping", document.source)])
    data = document.data.get("data")
    data = dict(data) if isinstance(data, dict) else {}
    data["dataset"] = {"type": "arrays", **arrays}
    document.data["data"] = data
    if seed is not None:
        document.data["seed"] = seed
    normalized, composed = validate(document, registry)
    return to_spec(normalized, composed, document.source)
