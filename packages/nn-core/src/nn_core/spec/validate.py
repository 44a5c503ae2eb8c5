"""Validation: every schema error, rewritten as a message a user can act on."""

from __future__ import annotations

import difflib
import math
from typing import Any

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError

from nn_core.errors import NNError, PluginError
from nn_core.registry import Registry
from nn_core.spec.errors import Path, SpecError, SpecIssue
from nn_core.spec.loader import Document, check_shape
from nn_core.spec.schema import KIND_KEYWORD, NEEDS_KEYWORD, ComposedSchema, compose_schema, default_backend

_TYPE_NAMES = {
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "null",
}


MAX_ISSUES = 100
"""Problems listed per spec; a document with more gets a last line saying so."""


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_integer(checker: Any, instance: Any) -> bool:
    """A Python int: JSON Schema also counts ``5.0``, which ``range()`` and array shapes refuse."""
    return isinstance(instance, int) and not isinstance(instance, bool)


def _is_number(checker: Any, instance: Any) -> bool:
    """A finite number: NaN passes every ``minimum`` (its comparisons are all false) and inf makes no weight."""
    return isinstance(instance, (int, float)) and not isinstance(instance, bool) and math.isfinite(instance)


def _identity(value: Any) -> Any:
    """A hashable stand-in equal for values JSON Schema calls equal (``1 == 1.0``, ``True != 1``)."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, float)):
        return ("number", value)
    if isinstance(value, dict):
        return ("object", frozenset((key, _identity(v)) for key, v in value.items()))
    if isinstance(value, (list, tuple)):
        return ("array", tuple(_identity(v) for v in value))
    try:
        hash(value)
    except TypeError:
        return ("other", repr(value))
    return (type(value).__name__, value)


def _unique_items(validator: Any, unique: Any, instance: Any, schema: Any) -> Any:
    """``uniqueItems`` in linear time (jsonschema compares lists of mappings pairwise)."""
    if not unique or not validator.is_type(instance, "array"):
        return
    seen: set[Any] = set()
    for item in instance:
        identity = _identity(item)
        if identity in seen:
            yield ValidationError(f"{_describe(item)} appears more than once")
            return
        seen.add(identity)


SpecValidator = validators.extend(
    Draft202012Validator,
    validators={"uniqueItems": _unique_items},
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine_many({"integer": _is_integer, "number": _is_number}),
)


_BOUNDS = {
    "minimum": "at least",
    "maximum": "at most",
    "exclusiveMinimum": "greater than",
    "exclusiveMaximum": "less than",
}
"""jsonschema's numeric bounds, in the words a spec's author reads."""


def bound_message(error: ValidationError) -> str:
    """Say "must be greater than 0, got -1", not jsonschema's "-1 is less than or equal to the minimum of 0"."""
    if error.validator not in _BOUNDS:
        return error.message
    bound = _describe(error.validator_value)
    return f"must be {_BOUNDS[str(error.validator)]} {bound}, got {_describe(error.instance)}"


def _message(error: ValidationError, registry: Registry) -> tuple[Path, str]:
    """(path, message) for one jsonschema error."""
    path: Path = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    validator = error.validator
    if validator == "enum":
        kind = schema.get(KIND_KEYWORD)
        if kind:
            return path, registry.unknown_message(kind, str(error.instance), list(schema["enum"]))
        options = [str(o) for o in schema.get("enum", [])]
        close = difflib.get_close_matches(str(error.instance), options, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return path, f"{_describe(error.instance)} is not one of {', '.join(options)}{hint}"
    if validator == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        instance: Any = error.instance
        extra = sorted(set(instance) - set(allowed), key=str)  # keys from --set may be ints
        key = extra[0] if extra else "?"
        owner = error.instance.get("type") if isinstance(error.instance, dict) else None
        what = f"parameter {key!r} for {owner}" if owner else f"key {key!r}"
        close = difflib.get_close_matches(str(key), allowed, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        names = ", ".join(a for a in allowed if a != "type") or "none"
        return path + (key,), f"unknown {what}{hint} (allowed: {names})"
    if validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else "?"
        return path, f"missing required key {missing!r}"
    if validator == "type":
        value: Any = error.validator_value
        expected = [str(t) for t in (value if isinstance(value, list) else [value])]
        wanted = " or ".join(_TYPE_NAMES.get(t, t) for t in expected)
        if isinstance(error.instance, float) and not math.isfinite(error.instance) and "number" in expected:
            wanted = wanted.replace("a number", "a finite number")
        return path, f"expected {wanted}, got {_describe(error.instance)}"
    if validator == "not" and NEEDS_KEYWORD in schema:
        name = str(error.instance)
        needed = schema[NEEDS_KEYWORD].get(name, [])
        example = ", ".join(f"{p}: ..." for p in needed)
        return path, f"{name!r} needs parameters {', '.join(needed)}: write {{type: {name}, {example}}}"
    if validator == "pattern" and "description" in schema:  # say what fits, not the regular expression
        return path, f"{_describe(error.instance)} does not fit: {schema['description']}"
    if validator in _BOUNDS:
        return path, bound_message(error)
    if validator == "const" and schema.get("const") == "full":
        return path, f"expected a positive integer or 'full', got {_describe(error.instance)}"
    return path, error.message


def check_backend_installed(registry: Registry) -> None:
    if not registry.names("backend"):
        from nn_core.hints import install_hint

        raise NNError(
            f"no nn backend is installed: install one, e.g. `{install_hint('nn-numpy')}`, "
            "then `nn plugins` lists what is available"
        )


def schema_for(document: Document, registry: Registry) -> ComposedSchema:
    """The schema for the backend the document names.

    An uninstalled backend composes the default backend's schema, so the spec
    gets one error (at ``backend``) instead of one per layer, loss and
    optimizer that "is not installed" for a backend that is not there.
    """
    data = document.data
    backend = data.get("backend") if isinstance(data, dict) else None
    if not isinstance(backend, str) or backend not in registry.names("backend"):
        backend = None
    return compose_schema(registry, backend)


def collect_issues(document: Document, composed: ComposedSchema, registry: Registry) -> list[SpecIssue]:
    """Every problem of the document, ordered by position in the file."""
    if not isinstance(document.data, dict):
        return [document.issue((), f"a spec must be a mapping of keys, got {_describe(document.data)}")]
    validator = SpecValidator(composed.schema)
    seen: set[tuple[Path, str]] = set()
    issues: list[SpecIssue] = []
    more = False
    for error in validator.iter_errors(document.data):
        path, message = _message(error, registry)
        if len(message) > 500:  # jsonschema quotes the whole value: keep each problem to one readable line
            message = message[:497] + "..."
        if (path, message) in seen:
            continue
        if len(issues) == MAX_ISSUES:
            more = True
            break
        seen.add((path, message))
        issues.append(document.issue(path, message))
    issues.sort(key=lambda i: (i.line or 0, i.column or 0, str(i.path)))
    if more:
        issues.append(SpecIssue((), f"more problems follow; only the first {MAX_ISSUES} are listed", document.source))
    return issues


def validate(document: Document, registry: Registry) -> tuple[dict[str, Any], ComposedSchema]:
    """Check a document; return it normalized with defaults, or raise :class:`SpecError`."""
    from nn_core.spec.defaults import fill_defaults

    check_backend_installed(registry)
    check_shape(document.data, document.source)
    if isinstance(document.data, dict) and "backend" not in document.data and default_backend(registry) is None:
        # No default among several backends: one error, not one per component of no backend.
        installed = ", ".join(registry.names("backend"))
        raise SpecError(
            [
                document.issue(
                    (), f"missing required key 'backend': several backends are installed ({installed}); name one"
                )
            ]
        )
    composed = schema_for(document, registry)
    issues = collect_issues(document, composed, registry)
    if issues:
        raise SpecError(issues)
    clashes: list[SpecIssue] = []

    def check_clash(path: Path, kind: str, name: str) -> None:
        # A name two distributions claim validates (it is installed) but cannot be built.
        try:
            registry.get(kind, name, composed.backend)
        except PluginError as exc:
            clashes.append(document.issue(path, str(exc)))

    normalized = fill_defaults(document.data, composed, check_clash)
    if clashes:
        raise SpecError(clashes)
    return normalized, composed
