"""What a model file's metadata must hold before nn builds anything from it.

A model file is untrusted input: its JSON may hold any type in any field.
:func:`check_metadata` checks the fields nn reads (their types and ranges)
and :func:`check_sizes` bounds what building the network will allocate by
the weights the file actually stores, so a 4.5 KB file claiming
``input_dim: 10**8`` is refused instead of allocating gigabytes. Both raise
:class:`~nn_core.errors.ModelFileError` with one line naming the file and field.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn_core.errors import ModelFileError


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_metadata(meta: dict[str, Any], what: str) -> None:
    """Refuse metadata fields of the wrong type or out of range (the spec is validated separately)."""

    def bad(field: str, expected: str) -> ModelFileError:
        text = repr(meta.get(field))
        text = text if len(text) <= 40 else text[:37] + "..."
        return ModelFileError(f"{what} is inconsistent: {field} is {text}, expected {expected}")

    input_dim = meta.get("input_dim")
    if not isinstance(input_dim, int) or isinstance(input_dim, bool) or input_dim < 1:
        raise bad("input_dim", "a positive integer")
    classes = meta.get("classes")
    if classes is not None and (
        not isinstance(classes, list) or not classes or not all(isinstance(c, str) for c in classes)
    ):
        raise bad("classes", "null or a list of class names")
    if meta.get("task", "classification") not in ("classification", "regression"):
        raise bad("task", "'classification' or 'regression'")
    if not isinstance(meta.get("scaling", "none"), str):
        raise bad("scaling", "a scaling name")
    components = meta.get("components")
    if components is not None and (
        not isinstance(components, list) or not all(isinstance(c, dict) for c in components)
    ):
        raise bad("components", "a list of component records")
    history = meta.get("history")
    if history is not None and (
        not isinstance(history, list) or not all(isinstance(r, dict) and _is_int(r.get("epoch")) for r in history)
    ):
        raise bad("history", "a list of logged epochs")
    if meta.get("metrics") is not None and not isinstance(meta.get("metrics"), dict):
        raise bad("metrics", "a mapping of split to scores")


def check_sizes(spec: Any, input_dim: int, weights: dict[str, np.ndarray], what: str) -> None:
    """Refuse a spec whose network needs more weights than the file stores, before allocating it.

    Every layer with ``units`` connects each of its inputs to each unit (dense
    layers do), so it needs at least ``inputs × units`` weights; the sum over
    such layers can never exceed what the file holds.
    """
    stored = sum(int(a.size) for a in weights.values())
    if input_dim > stored:
        raise ModelFileError(
            f"{what} is inconsistent: input_dim is {input_dim:,} but the file stores only {stored:,} weights"
        )
    needed, width = 0, input_dim
    for index, layer in enumerate(spec.model.layers):
        units = layer.params.get("units")
        if _is_int(units):
            needed += width * units
            if needed > stored:
                raise ModelFileError(
                    f"{what} is inconsistent: model.layers[{index}] ({width:,} inputs × {units:,} units) needs "
                    f"more weights than the file stores ({stored:,})"
                )
            width = units


def check_finite_weights(weights: dict[str, np.ndarray], what: str) -> None:
    """A model whose weights hold NaN or infinity predicts nothing meaningful: refuse it."""
    for name, array in weights.items():
        if array.dtype.kind in "fc" and not np.isfinite(array).all():
            count = int(array.size - np.isfinite(array).sum())
            raise ModelFileError(
                f"{what} is unusable: weights {name} hold {count:,} NaN or infinite value{'s' * (count != 1)}"
            )


def check_classes(meta: dict[str, Any], outputs: int, what: str) -> None:
    """Class names must match the output units (one sigmoid unit stands for two classes)."""
    classes = meta.get("classes")
    if classes is None or meta.get("task", "classification") != "classification":
        return
    expected = 2 if outputs == 1 else outputs
    if len(classes) != expected:
        raise ModelFileError(
            f"{what} is inconsistent: it names {len(classes)} classes but its network has {outputs} output "
            f"unit{'s' * (outputs != 1)}"
        )
