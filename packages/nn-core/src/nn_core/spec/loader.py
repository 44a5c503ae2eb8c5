"""Reading spec documents from YAML (safe loader only) or JSON, with positions.

Besides the data, :func:`read_spec` returns where each value came from
(1-based line and column per JSON path), so a validation error can point
into the file. YAML anchors/aliases are refused (they allow exponential
"billion laughs" documents and are never needed in a spec), as are duplicate
keys, which YAML would otherwise resolve silently by keeping the last.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

import yaml

from nn_core.spec.errors import Path, SpecError, SpecIssue

MAX_SPEC_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 64


@dataclass
class Document:
    """A parsed spec document and where its values came from."""

    data: Any
    source: str | None = None
    positions: dict[Path, tuple[int, int]] = field(default_factory=dict)
    override_sources: dict[Path, str] = field(default_factory=dict)

    def position(self, path: Path) -> tuple[int | None, int | None]:
        """Position of ``path`` or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            pos = self.positions.get(tuple(path[:end]))
            if pos is not None:
                return pos
        return None, None

    def issue(self, path: Path, message: str) -> SpecIssue:
        for end in range(len(path), 0, -1):
            override = self.override_sources.get(tuple(path[:end]))
            if override is not None:
                return SpecIssue(path, message, f"({override})")
        line, column = self.position(path)
        return SpecIssue(path, message, self.source, line, column)


class _SpecLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases: a spec never needs them."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.MarkedYAMLError(None, None, "YAML aliases (*name) are not allowed in a spec", event.start_mark)
        return super().compose_node(parent, index)


# YAML 1.1 reads ``1e-3`` (no dot) as a string; specs mean the number, as YAML 1.2 and JSON do.
_SpecLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)

_PLAIN_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("map", "seq", "str", "int", "float", "bool", "null")}


def load_scalar(text: str) -> Any:
    """A value as a spec file would read it (for ``--set``); safe loader only."""
    loader = _SpecLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _walk(node: yaml.Node, loader: _SpecLoader, path: Path, doc: Document, depth: int) -> Any:
    """Build Python data from a YAML node, recording each value's position."""
    if depth > MAX_DEPTH:
        raise SpecError([doc.issue(path, f"document nested deeper than {MAX_DEPTH} levels")])
    doc.positions[path] = _mark(node)
    if node.tag not in _PLAIN_TAGS:
        line, col = _mark(node)
        raise SpecError([SpecIssue(path, f"YAML tag {node.tag!r} is not allowed in a spec", doc.source, line, col)])
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                raise SpecError([doc.issue(path, f"keys must be strings, got {type(key).__name__}")])
            key = str(key) if not isinstance(key, str) else key
            if key in result:
                line, col = _mark(key_node)
                raise SpecError([SpecIssue(path + (key,), "duplicate key", doc.source, line, col)])
            result[key] = _walk(value_node, loader, path + (key,), doc, depth + 1)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_walk(item, loader, path + (i,), doc, depth + 1) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def parse_yaml(text: str, source: str | None = None) -> Document:
    doc = Document(None, source)
    loader = _SpecLoader(text)
    try:
        node = loader.get_single_node()
        doc.data = {} if node is None else _walk(node, loader, (), doc, 0)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        what = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise SpecError([SpecIssue((), f"invalid YAML: {what}", source, line, column)]) from None
    except yaml.YAMLError as exc:
        raise SpecError([SpecIssue((), f"invalid YAML: {exc}", source)]) from None
    except RecursionError:
        raise SpecError([SpecIssue((), "document nested too deeply", source)]) from None
    finally:
        loader.dispose()
    return doc


def parse_json(text: str, source: str | None = None) -> Document:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SpecError([SpecIssue((), f"invalid JSON: {exc.msg}", source, exc.lineno, exc.colno)]) from None
    except RecursionError:
        raise SpecError([SpecIssue((), "document nested too deeply", source)]) from None
    # JSON is (nearly) YAML: reuse the YAML walk for positions, best effort.
    try:
        positions = parse_yaml(text, source).positions
    except SpecError:
        positions = {}
    return Document(data, source, positions)


def read_spec(path: str | FsPath) -> Document:
    """Parse a spec file (``.json`` as JSON, anything else as YAML)."""
    path = FsPath(path)
    try:
        size = path.stat().st_size
        if size > MAX_SPEC_BYTES:
            raise SpecError([SpecIssue((), f"spec file is {size} bytes; the limit is {MAX_SPEC_BYTES}", str(path))])
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError([SpecIssue((), "spec file not found", str(path))]) from None
    except UnicodeDecodeError as exc:
        raise SpecError([SpecIssue((), f"spec file is not UTF-8 text ({exc.reason})", str(path))]) from None
    except OSError as exc:
        raise SpecError([SpecIssue((), f"cannot read spec file: {exc.strerror}", str(path))]) from None
    parse = parse_json if path.suffix.lower() == ".json" else parse_yaml
    return parse(text, str(path))
