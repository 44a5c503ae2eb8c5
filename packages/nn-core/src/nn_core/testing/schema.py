"""Identity and parameters: a valid JSON Schema whose defaults validate and construct.

The spec builder constructs a component with every parameter its schema
defaults, nested component references (a layer's ``activation``) already
constructed; :func:`construct` does the same here. A required parameter
without a default gets the first of its schema's ``examples``, else a small
value the kit finds valid (an integer ``units`` becomes 3).
"""

from __future__ import annotations

import copy
from typing import Any

from jsonschema import Draft202012Validator

from nn_core.component import REF_KEYWORD, Component
from nn_core.errors import NNError, PluginError
from nn_core.registry import ComponentInfo, Registry, check_component_class
from nn_core.testing._common import Subject, call, subject

_CANDIDATES: dict[str, list[Any]] = {
    "integer": [3, 1, 2, 10, 0, 100, -1],
    "number": [0.5, 1.0, 0.1, 0.01, 2.0, 10.0, 0.0, -0.5],
    "boolean": [False, True],
    "string": ["example", "x"],
    "array": [[]],
    "object": [{}],
    "null": [None],
}


def _strip_refs(schema: Any) -> Any:
    """The schema with component references unconstrained (they are checked by lookup)."""
    if isinstance(schema, dict):
        if REF_KEYWORD in schema:
            return {}
        return {k: _strip_refs(v) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_strip_refs(v) for v in schema]
    return schema


def _ref_kind(schema: Any) -> tuple[str, bool] | None:
    """(kind, is_list) when a property is a component reference or a list of them."""
    if not isinstance(schema, dict):
        return None
    if REF_KEYWORD in schema:
        return str(schema[REF_KEYWORD]), False
    items = schema.get("items")
    if isinstance(items, dict) and REF_KEYWORD in items:
        return str(items[REF_KEYWORD]), True
    return None


def example_value(schema: dict[str, Any]) -> tuple[bool, Any]:
    """(found, value): a value valid under ``schema``, for a required parameter without default."""
    for key in ("examples", "enum"):
        if schema.get(key):
            return True, copy.deepcopy(schema[key][0])
    if "const" in schema:
        return True, copy.deepcopy(schema["const"])
    types = schema.get("type", list(_CANDIDATES))
    validator = Draft202012Validator(_strip_refs(schema))
    for type_name in [types] if isinstance(types, str) else types:
        for candidate in _candidates(type_name, schema):
            if validator.is_valid(candidate):
                return True, candidate
    return False, None


def _candidates(type_name: str, schema: dict[str, Any]) -> list[Any]:
    """Plain values of a type, then for arrays and objects one built from their parts."""
    candidates = list(_CANDIDATES.get(type_name, []))
    if type_name == "array" and isinstance(schema.get("items"), dict):
        found, item = example_value(schema["items"])
        if found:
            candidates.append([item] * max(1, int(schema.get("minItems", 1))))
    elif type_name == "object":
        props = schema.get("properties", {})
        built = {}
        for key in schema.get("required", []):
            found, value = example_value(props.get(key, {}))
            if not found:
                return candidates
            built[key] = value
        candidates.append(built)
    return candidates


def parameters(subj: Subject) -> dict[str, Any]:
    """The parameters the builder would pass, as spec values: defaults, examples, overrides."""
    schema = subj.cls.params_schema
    props: dict[str, Any] = schema.get("properties", {})
    unknown = sorted(set(subj.overrides) - set(props))
    if unknown:
        raise ValueError(f"{subj.label} has no parameter {', '.join(map(repr, unknown))}; it has {sorted(props)}")
    required = set(schema.get("required", []))
    params: dict[str, Any] = {}
    for name, sub in props.items():
        ref = _ref_kind(sub)
        if name in subj.overrides:
            params[name] = subj.overrides[name]
        elif isinstance(sub, dict) and "default" in sub:
            params[name] = copy.deepcopy(sub["default"])
            if ref is None:
                problem = next(iter(Draft202012Validator(_strip_refs(sub)).iter_errors(params[name])), None)
                if problem is not None:
                    raise subj.fail(
                        f"the default {params[name]!r} of parameter {name!r} does not validate "
                        f"against its own schema: {problem.message}"
                    )
        elif name in required:
            if ref is not None:
                names = subj.lookup_registry().names(ref[0], subj.cls.backend)
                if not names:
                    raise subj.fail(f"parameter {name!r} needs a {ref[0]}, and none is installed")
                params[name] = [names[0]] if ref[1] else names[0]
                continue
            found, value = example_value(sub if isinstance(sub, dict) else {})
            if not found:
                raise ValueError(
                    f"{subj.label}: parameter {name!r} is required and has no default, no `examples` "
                    f"and no value the kit can guess; pass one, e.g. check_component(cls, {name}=...)"
                )
            params[name] = value
    plain = {k: v for k, v in params.items() if not isinstance(v, Component)}
    for problem in Draft202012Validator(_strip_refs(schema)).iter_errors(plain):
        where = ".".join(str(p) for p in problem.absolute_path) or "(parameters)"
        if problem.absolute_path and problem.absolute_path[0] in subj.overrides:
            raise ValueError(f"{subj.label}: parameter {where} is invalid: {problem.message}")
        raise subj.fail(f"its defaults do not validate against its params_schema at {where}: {problem.message}")
    return params


def _nested(subj: Subject, param: str, kind: str, value: Any) -> Any:
    """Construct one component reference (a name or ``{type: NAME, ...}``) fresh."""
    if isinstance(value, Component):
        return value
    if isinstance(value, str):
        name, params = value, {}
    elif isinstance(value, dict) and isinstance(value.get("type"), str):
        params = {k: v for k, v in value.items() if k != "type"}
        name = value["type"]
    else:
        raise subj.fail(f"parameter {param!r} should name a {kind}, got {value!r}")
    registry = subj.lookup_registry()
    try:
        info = registry.get(kind, name, subj.cls.backend)
    except NNError as exc:
        raise subj.fail(f"parameter {param!r} names {kind} {name!r}, which cannot be used: {exc}") from None
    inner = Subject(info.cls, f"{kind} {name!r} (parameter {param!r} of {subj.label})", registry, params)
    return construct(inner)


def construct(subj: Subject) -> Any:
    """A fresh instance built the way the spec builder builds it."""
    params = parameters(subj)
    props = subj.cls.params_schema.get("properties", {})
    for name, value in list(params.items()):
        ref = _ref_kind(props.get(name))
        if ref is None or value is None:
            continue
        kind, is_list = ref
        if is_list:
            params[name] = [_nested(subj, name, kind, v) for v in value]
        else:
            params[name] = _nested(subj, name, kind, value)
    shown = ", ".join(f"{k}={v!r}" for k, v in params.items())
    return call(subj, f"constructing it with ({shown})", subj.cls, **params)


def check_schema(
    component: type[Component] | ComponentInfo, /, *, registry: Registry | None = None, **params: Any
) -> None:
    """Identity and parameters: what the registry and the schema composer rely on.

    A valid ``kind``, ``name`` and (for compute kinds) ``backend``; a
    docstring (``nn plugins show`` prints it); ``params_schema`` a valid JSON
    Schema of type object whose defaults validate; and the class constructs
    from those defaults (plus ``params``), nested component references
    resolved in ``registry`` (default: the installed plugins).
    """
    subj = subject(component, registry, params)
    try:
        check_component_class(subj.cls)
    except PluginError as exc:
        raise subj.fail(str(exc)) from None
    if not (subj.cls.__dict__.get("__doc__") or "").strip():
        raise subj.fail("has no docstring (`nn plugins show` prints it as the component's documentation)")
    subj.new()
