"""Specs: loading, overrides, schema composition, validation, typed result."""

from __future__ import annotations

from pathlib import Path as FsPath
from typing import TYPE_CHECKING, Any

from nn_core.registry import Registry
from nn_core.spec.errors import SpecError, SpecIssue, format_path
from nn_core.spec.loader import Document, check_shape, parse_json, parse_yaml, read_spec
from nn_core.spec.model import ComponentSpec, Spec, to_spec
from nn_core.spec.overrides import apply_overrides
from nn_core.spec.schema import ComposedSchema, compose_schema
from nn_core.spec.validate import validate

if TYPE_CHECKING:
    from nn_core.plugins import Plugins


def load_spec(
    source: str | FsPath | dict[str, Any],
    overrides: list[str] | tuple[str, ...] = (),
    registry: Registry | None = None,
    *,
    plugins: Plugins | None = None,
) -> Spec:
    """Read (a path) or take (a dict) a spec, apply ``--set`` overrides, validate.

    Raises :class:`SpecError` listing every problem, each with its path and,
    for files, line and column. Components are those of ``plugins`` (or an
    explicit ``registry``; with neither, the installed plugins, loaded afresh).
    """
    import copy

    if registry is None:
        from nn_core.plugins import resolve

        registry = resolve(plugins).registry
    if isinstance(source, dict):
        check_shape(source)  # before deepcopy, which recurses
        document = Document(copy.deepcopy(source), None)
    else:
        document = read_spec(source)
    apply_overrides(document, list(overrides))
    normalized, composed = validate(document, registry)
    written = isinstance(document.data, dict) and "device" in document.data
    device_location = document.issue(("device",), "").location if written else ""
    return to_spec(normalized, composed, document.source, device_location)


__all__ = [
    "ComponentSpec",
    "ComposedSchema",
    "Document",
    "Spec",
    "SpecError",
    "SpecIssue",
    "compose_schema",
    "format_path",
    "load_spec",
    "parse_json",
    "parse_yaml",
    "read_spec",
    "validate",
]
