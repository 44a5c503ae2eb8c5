"""``--set dotted.path=value`` overrides, applied to the document before validation.

Paths use dots and optional list indices: ``training.epochs``,
``model.layers[1].units`` or ``model.layers.1.units``. Values are read as
YAML scalars (``0.1``, ``true``, ``relu``, ``[1, 2]``). Setting a parameter
of a component given by bare name turns it into ``{type: NAME, param: value}``.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from nn_core.spec.errors import Path, SpecError, SpecIssue, format_path
from nn_core.spec.loader import Document, load_scalar

_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_path(text: str) -> Path:
    parts: list[str | int] = []
    pos = 0
    for match in _PART.finditer(text):
        gap = text[pos : match.start()].strip(".")
        if gap:
            raise ValueError(f"cannot parse {text!r} near {gap!r}")
        name, index = match.groups()
        parts.append(int(index) if index is not None else (int(name) if name.isdigit() else name))
        pos = match.end()
    if not parts or text[pos:].strip("."):
        raise ValueError(f"cannot parse path {text!r}")
    return tuple(parts)


def _one_line(exc: Exception) -> str:
    """A YAML error's problem without its multi-line position (the value is a few characters)."""
    if isinstance(exc, yaml.MarkedYAMLError):
        return " ".join(str(p) for p in (exc.context, exc.problem) if p) or type(exc).__name__
    return " ".join(str(exc).split()) or type(exc).__name__


def apply_override(document: Document, assignment: str) -> None:
    """Apply one ``path=value`` to ``document`` in place."""
    where = f"--set {assignment}" if assignment.isprintable() else f"--set {assignment!r}"
    if "=" not in assignment:
        raise SpecError([SpecIssue((), f"override must look like path=value, got {assignment!r}", where)])
    key, _, raw = assignment.partition("=")
    try:
        path = parse_path(key.strip())
        value = load_scalar(raw) if raw.strip() else ""
    except (ValueError, yaml.YAMLError) as exc:
        raise SpecError([SpecIssue((), f"bad override: {_one_line(exc)}", where)]) from None
    assign(document, path, value, where)


def assign(document: Document, path: Path, value: Any, where: str) -> None:
    """Set ``path`` of ``document`` to ``value`` in place, creating mappings on the way.

    ``where`` names the override in error messages (``--set a.b=1``, or an
    estimator parameter); a bare component name on the way gains parameters.
    """
    if not path:
        raise SpecError([SpecIssue((), "an override needs a path", where)])
    if not isinstance(document.data, dict):
        document.data = {}
    node: Any = document.data
    created: Path | None = None  # the first mapping this override made: errors about it name the override
    for i, part in enumerate(path[:-1]):
        nxt = path[i + 1]
        if isinstance(node, list):
            if not isinstance(part, int) or part >= len(node):
                raise SpecError([SpecIssue(path[: i + 1], f"no such list item (list has {len(node)})", where)])
        elif isinstance(node, dict):
            if part not in node or node[part] is None:
                node[part] = [] if isinstance(nxt, int) else {}
                created = created or path[: i + 1]
            elif isinstance(node[part], str) and isinstance(nxt, str):
                node[part] = {"type": node[part]}  # bare component name gains a parameter
        else:
            raise SpecError([SpecIssue(path[:i], f"{format_path(path[:i])} is not a mapping or list", where)])
        node = node[part]
    last = path[-1]
    if isinstance(node, list):
        if not isinstance(last, int) or last > len(node):
            raise SpecError([SpecIssue(path, f"no such list item (list has {len(node)})", where)])
        if last == len(node):
            node.append(value)
        else:
            node[last] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise SpecError([SpecIssue(path[:-1], f"{format_path(path[:-1])} is not a mapping or list", where)])
    document.override_sources[path] = where
    if created is not None:
        document.override_sources.setdefault(created, where)


def apply_overrides(document: Document, assignments: list[str]) -> Document:
    for assignment in assignments:
        apply_override(document, assignment)
    return document
