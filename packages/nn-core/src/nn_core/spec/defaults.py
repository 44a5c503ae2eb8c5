"""Filling defaults from the schemas and normalizing component references.

After validation, every component reference becomes ``{type: NAME, ...}``
with all of its parameters present, so the stored spec says exactly what
ran, and later changes to a default never change an old model's meaning.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from nn_core.spec.errors import Path
from nn_core.spec.schema import KIND_KEYWORD, ComposedSchema, resolve_component_refs

Visit = Callable[[Path, str, str], None]


def fill_defaults(data: Any, composed: ComposedSchema, visit: Visit | None = None) -> Any:
    """A normalized copy of ``data``; ``visit(path, kind, name)`` sees each component reference."""
    return _fill(copy.deepcopy(data), composed.schema, composed, (), visit or _ignore)


def _ignore(path: Path, kind: str, name: str) -> None:
    pass


def _resolve(schema: dict[str, Any], composed: ComposedSchema) -> dict[str, Any]:
    target = schema.get("$ref")
    if isinstance(target, str) and target.startswith("#/$defs/"):
        return composed.schema["$defs"][target.rsplit("/", 1)[1]]
    return schema


def _fill(value: Any, schema: dict[str, Any], composed: ComposedSchema, path: Path, visit: Visit) -> Any:
    schema = _resolve(schema, composed)
    kind = schema.get(KIND_KEYWORD)
    if kind and kind != "backend":
        ref = {"type": value} if isinstance(value, str) else value
        visit(path, kind, ref["type"])
        params = composed.params[kind][ref["type"]]
        return _fill_object(ref, params, composed, path, visit)
    if isinstance(value, dict) and "properties" in schema:
        return _fill_object(value, schema, composed, path, visit)
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [_fill(v, schema["items"], composed, path + (i,), visit) for i, v in enumerate(value)]
    return value


def _fill_object(
    value: dict[str, Any], schema: dict[str, Any], composed: ComposedSchema, path: Path, visit: Visit
) -> dict[str, Any]:
    props = resolve_component_refs(schema.get("properties", {}))
    for key, sub in props.items():
        if key not in value and "default" in sub:
            value[key] = copy.deepcopy(sub["default"])
    for key, sub in props.items():
        if key in value and isinstance(sub, dict):
            value[key] = _fill(value[key], sub, composed, path + (key,), visit)
    return value
