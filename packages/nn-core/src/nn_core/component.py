"""Component base classes: the contracts every plugin implements.

A component is a class with a ``kind``, a ``name``, a JSON Schema for its
parameters (``params_schema``) and, for compute components, the ``backend``
it runs on. Plugins return component classes from the ``nn_components``
hook; the registry indexes them by ``(kind, name, backend)``.

The spec builder instantiates a component with its validated parameters as
keyword arguments (defaults already filled from ``params_schema``), so a
component's ``__init__`` signature mirrors its schema.

Nested component references inside ``params_schema`` are written with
:func:`component_ref`; the schema composer turns them into references to the
composed definition of that kind, and the builder instantiates them before
the owning component is constructed.
"""

from __future__ import annotations

from typing import Any, ClassVar

KINDS: tuple[str, ...] = (
    "backend",
    "layer",
    "activation",
    "loss",
    "optimizer",
    "initializer",
    "schedule",
    "regularizer",
    "metric",
    "dataset",
    "callback",
)
"""Every component kind nn knows. Compute kinds carry a backend."""

COMPUTE_KINDS: frozenset[str] = frozenset({"layer", "activation", "loss", "regularizer"})
"""Kinds whose implementations are backend-specific and must name their backend.

Optimizers may name one (step optimizers work on a backend's arrays) or be
``backend = None`` (closure minimizers, which see numpy vectors only).
Initializers, schedules, metrics, datasets and callbacks are host-side
arithmetic or data: ``backend = None``, registered once for every backend."""

REF_KEYWORD = "x-nn-component"


def component_ref(kind: str, default: Any = None) -> dict[str, Any]:
    """Schema fragment for a parameter that is itself a component reference."""
    if kind not in KINDS:
        raise ValueError(f"unknown component kind {kind!r}; kinds are {', '.join(KINDS)}")
    fragment: dict[str, Any] = {REF_KEYWORD: kind}
    if default is not None:
        fragment["default"] = default
    return fragment


class Component:
    """Base of every component: identity, parameter schema, docstring."""

    kind: ClassVar[str] = ""
    name: ClassVar[str] = ""
    backend: ClassVar[str | None] = None
    params_schema: ClassVar[dict[str, Any]] = {"type": "object", "properties": {}}

    def __init__(self, **params: Any) -> None:
        self.params = params

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in getattr(self, "params", {}).items())
        return f"{type(self).__name__}({args})"
