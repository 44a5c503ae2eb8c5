"""The spec's JSON Schema, composed from the core schema and every installed component.

Each component kind becomes a definition in ``$defs``: a bare name (a string
from the installed names) or an object ``{type: NAME, ...params}`` whose
parameters are checked against that component's own ``params_schema``,
closed to unknown keys. Selection uses ``if``/``then`` on ``type`` rather
than ``oneOf``, so an error reads ``'tahn' is not one of [...]`` at the exact
path instead of "not valid under any of the given schemas".
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from nn_core.component import KINDS, REF_KEYWORD
from nn_core.registry import Registry

DIALECT = "https://json-schema.org/draft/2020-12/schema"
KIND_KEYWORD = "x-nn-kind"
"""Annotation on the name enums, so errors know which kind was unknown."""

NEEDS_KEYWORD = "x-nn-required-params"
"""Annotation listing, per component name, the parameters a bare name would lack."""

DEFAULT_BACKEND = "numpy"
"""The default backend when installed; else the only installed backend is."""


def default_backend(registry: Registry) -> str | None:
    """``numpy`` when installed, else the only installed backend, else None (the spec must say)."""
    names = registry.names("backend")
    if DEFAULT_BACKEND in names or not names:
        return DEFAULT_BACKEND
    return names[0] if len(names) == 1 else None


def ref(kind: str) -> dict[str, Any]:
    return {"$ref": f"#/$defs/{kind}"}


def _device_schema(cls: Any) -> dict[str, Any]:
    pattern = getattr(cls, "device_pattern", None)
    if pattern:
        return {"type": "string", "pattern": pattern}
    return {"enum": list(getattr(cls, "known_devices", ("cpu",)))}


def _backend_settings(
    registry: Registry, backend: str | None, default: str | None
) -> tuple[dict[str, Any], dict[str, Any], list[Any]]:
    """``dtype`` and ``device`` properties, and one ``if``/``then`` per installed backend
    restricting them to what that backend declares."""
    classes: dict[str, Any] = {}
    for name in registry.names("backend"):
        try:
            classes[name] = registry.get("backend", name).cls
        except Exception:  # a clashed backend: its name is reported where used
            continue
    all_dtypes = sorted({d for cls in classes.values() for d in getattr(cls, "dtypes", ())}) or ["float64", "float32"]
    chosen = classes.get(backend or "")
    # With backends installed, only the chosen backend's clause below restricts dtype (one error, not two).
    dtype: dict[str, Any] = {"type": "string", "description": "the dtype the backend computes in"}
    if not classes:
        dtype["enum"] = all_dtypes
    device: dict[str, Any] = {"type": "string", "description": "where the backend computes: cpu, cuda, cuda:1, ..."}
    if chosen is not None:
        dtype["default"] = chosen.default_dtype
        device["default"] = chosen.default_device
    clauses = []
    for name, cls in sorted(classes.items()):
        condition: dict[str, Any] = {"properties": {"backend": {"const": name}}, "required": ["backend"]}
        if name == default:  # the default backend applies when the spec names none
            condition = {"anyOf": [condition, {"not": {"required": ["backend"]}}]}
        clauses.append(
            {
                "if": condition,
                "then": {"properties": {"dtype": {"enum": list(cls.dtypes)}, "device": _device_schema(cls)}},
            }
        )
    return dtype, device, clauses


def _core_schema(backends: list[str], default: str | None) -> dict[str, Any]:
    integer_or_full = {
        "if": {"type": "string"},
        "then": {"const": "full"},
        "else": {"type": "integer", "minimum": 1},
        "default": "full",
        "description": "samples per step, or 'full' for full-batch gradient descent",
    }
    return {
        "$schema": DIALECT,
        "title": "nn experiment spec",
        "type": "object",
        "properties": {
            # editors attach a schema to a JSON file through this key; nn itself ignores it
            "$schema": {"type": "string", "description": "the spec schema's URI or path, for editors (`nn schema`)"},
            "name": {"type": "string", "default": "experiment"},
            "seed": {"type": "integer", "minimum": 0, "maximum": 2**32 - 1, "default": 0},
            "backend": {"enum": backends, KIND_KEYWORD: "backend", **({"default": default} if default else {})},
            "data": {
                "type": "object",
                "properties": {
                    "dataset": ref("dataset"),
                    "split": {
                        "type": "object",
                        "properties": {
                            "dev": {"type": "number", "minimum": 0, "exclusiveMaximum": 1, "default": 0},
                            "test": {"type": "number", "minimum": 0, "exclusiveMaximum": 1, "default": 0},
                        },
                        "additionalProperties": False,
                        "default": {},
                    },
                    "scale": {
                        "enum": ["none", "standard", "minmax"],
                        "default": "none",
                        "description": "feature scaling fitted on the train split, stored in the model file",
                    },
                },
                "required": ["dataset"],
                "additionalProperties": False,
            },
            "model": {
                "type": "object",
                "properties": {
                    "layers": {"type": "array", "minItems": 1, "items": ref("layer")},
                    "regularizer": ref("regularizer"),
                },
                "required": ["layers"],
                "additionalProperties": False,
            },
            "loss": ref("loss"),
            "optimizer": ref("optimizer"),
            "schedule": ref("schedule"),
            "training": {
                "type": "object",
                "properties": {
                    "epochs": {"type": "integer", "minimum": 1, "default": 100},
                    "batch_size": integer_or_full,
                    "shuffle": {"type": "boolean", "default": True},
                    "log_every": {
                        "type": "integer",
                        "minimum": 1,
                        "description": "epochs between metric logs (default: epochs / 10)",
                    },
                    "checkpoint": {
                        "type": "object",
                        "properties": {
                            "dir": {"type": "string", "minLength": 1},
                            "every": {"type": "integer", "minimum": 1, "default": 1},
                            "keep": {"type": "integer", "minimum": 1, "default": 3},
                        },
                        "required": ["dir"],
                        "additionalProperties": False,
                        "description": "write a resumable checkpoint every N epochs into dir, keeping the last K",
                    },
                    "clip_norm": {
                        "type": "number",
                        "exclusiveMinimum": 0,
                        "description": "rescale each step's gradient to this global L2 norm when it is larger",
                    },
                    "clip_value": {
                        "type": "number",
                        "exclusiveMinimum": 0,
                        "description": "clamp each gradient entry to [-clip_value, clip_value] before each step",
                    },
                    "early_stopping": {
                        "type": "object",
                        "properties": {
                            "monitor": {
                                "type": "string",
                                "pattern": "^(train|dev|test)\\.[A-Za-z_][A-Za-z0-9_]*$",
                                "default": "dev.loss",
                            },
                            "patience": {
                                "type": "integer",
                                "minimum": 1,
                                "default": 5,
                                "description": "epochs (not logs) without improvement before stopping",
                            },
                            "min_delta": {"type": "number", "minimum": 0, "default": 0.0},
                            "restore_best": {"type": "boolean", "default": True},
                        },
                        "additionalProperties": False,
                        "description": "stop when the monitored metric stops improving (read at each logged epoch)",
                    },
                    "log": {
                        "type": "string",
                        "pattern": "(\\.(csv|jsonl)|/)$",
                        "description": "write each logged epoch's metrics to this .csv or .jsonl file, or as "
                        "TensorBoard event files into this directory (a trailing slash; needs tensorboardX)",
                    },
                    "callbacks": {"type": "array", "items": ref("callback"), "default": []},
                },
                "additionalProperties": False,
                "default": {},
            },
            "metrics": {"type": "array", "items": ref("metric"), "default": ["accuracy"]},
        },
        "required": ["data", "model", "loss", "optimizer", *([] if default else ["backend"])],
        "additionalProperties": False,
    }


def resolve_component_refs(schema: Any) -> Any:
    """Replace ``component_ref`` markers with ``$ref`` to the kind's definition."""
    if isinstance(schema, dict):
        if REF_KEYWORD in schema:
            out = ref(schema[REF_KEYWORD])
            for key in ("default", "description"):
                if key in schema:
                    out[key] = copy.deepcopy(schema[key])
            return out
        return {k: resolve_component_refs(v) for k, v in schema.items()}
    if isinstance(schema, list):
        return [resolve_component_refs(v) for v in schema]
    return schema


def closed_params(name: str, params_schema: dict[str, Any]) -> dict[str, Any]:
    """A component's params schema plus ``type``, closed to unknown keys."""
    closed = resolve_component_refs(copy.deepcopy(params_schema))
    closed["properties"] = {"type": {"const": name}, **closed.get("properties", {})}
    closed["additionalProperties"] = False
    return closed


def kind_definition(kind: str, params: dict[str, dict[str, Any]]) -> dict[str, Any]:
    names = sorted(params)
    name_enum = {"enum": names, KIND_KEYWORD: kind}
    as_object: dict[str, Any] = {"type": "object", "required": ["type"], "properties": {"type": name_enum}}
    if names:  # an empty allOf is not a valid schema
        as_object["allOf"] = [
            {
                "if": {"properties": {"type": {"const": name}}, "required": ["type"]},
                "then": closed_params(name, params[name]),
            }
            for name in names
        ]
    # A bare name stands for the component with default parameters, so it is
    # allowed only for components whose parameters all have defaults.
    needs = {name: sorted(params[name].get("required", [])) for name in names if params[name].get("required")}
    as_name: dict[str, Any] = name_enum
    if needs:
        as_name = {"allOf": [name_enum, {"not": {"enum": sorted(needs)}, NEEDS_KEYWORD: needs}]}
    return {
        "description": f"a {kind}: a name, or {{type: NAME, ...parameters}}",
        KIND_KEYWORD: kind,
        "if": {"type": "string"},
        "then": as_name,
        "else": as_object,
    }


@dataclass(frozen=True)
class ComposedSchema:
    """The full schema plus, per kind and name, the raw params schemas."""

    schema: dict[str, Any]
    params: dict[str, dict[str, dict[str, Any]]]
    backend: str


def compose_schema(registry: Registry, backend: str | None = None) -> ComposedSchema:
    """Core schema + every installed component of ``backend`` (and agnostic ones).

    ``backend`` None means the default backend (:func:`default_backend`).
    """
    default = default_backend(registry)
    if backend is None:
        backend = default or DEFAULT_BACKEND
    params: dict[str, dict[str, dict[str, Any]]] = {kind: {} for kind in KINDS}
    for info in registry.all():
        if info.kind not in params:
            continue
        if info.backend is not None and info.backend != backend:
            continue
        params[info.kind][info.name] = info.cls.params_schema
    schema = _core_schema(sorted(params["backend"]), default)
    dtype, device, clauses = _backend_settings(registry, backend, default)
    schema["properties"] = {"dtype": dtype, "device": device, **schema["properties"]}
    if clauses:
        schema["allOf"] = clauses
    schema["$defs"] = {kind: kind_definition(kind, by_name) for kind, by_name in params.items() if kind != "backend"}
    return ComposedSchema(schema, params, backend)
