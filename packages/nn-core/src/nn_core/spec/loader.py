"""Reading spec documents from YAML (safe loader only) or JSON, with positions.

Besides the data, :func:`read_spec` returns where each value came from
(1-based line and column per JSON path), so a validation error can point
into the file. YAML anchors/aliases are refused (they allow exponential
"billion laughs" documents and are never needed in a spec), as are tags
other than the plain JSON-like ones (a spec never constructs objects) and
duplicate keys, which YAML would otherwise resolve silently by keeping the last.

Documents are bounded before they are built: at most :data:`MAX_SPEC_BYTES`
bytes, :data:`MAX_DEPTH` levels of nesting and :data:`MAX_NODES` values, so
no document makes loading or validation slow or deep enough to crash.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from nn_core.spec.errors import Path, SpecError, SpecIssue

try:  # libyaml's scanner and parser: about five times faster than PyYAML's own
    import yaml.cyaml

    CParser: Any = yaml.cyaml.CParser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    CParser = None

MAX_SPEC_BYTES = 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 100_000
"""Values (scalars, lists, mappings) in one document: far more than any spec needs."""

_TOO_MANY = f"document holds more than {MAX_NODES} values, the most a spec may hold"
_TOO_DEEP = f"document nested deeper than {MAX_DEPTH} levels"
_NO_ALIASES = "YAML anchors and aliases (&name, *name) are not allowed in a spec"


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


class _Guard(Composer):
    """Composer checks, before any node is built: no aliases, bounded depth and size."""

    _depth = 0
    _nodes = 0
    peek_event: Any  # the parser's (PyYAML's or libyaml's)

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise yaml.MarkedYAMLError(None, None, _NO_ALIASES, event.start_mark)
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise yaml.MarkedYAMLError(None, None, _TOO_MANY, event.start_mark)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise yaml.MarkedYAMLError(None, None, _TOO_DEEP, event.start_mark)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _SpecLoader(_Guard, yaml.SafeLoader):
    """PyYAML's pure-Python safe loader, guarded."""


_LOADERS: list[type] = [_SpecLoader]

if CParser is not None:

    class _CSpecLoader(_Guard, CParser, SafeConstructor, Resolver):
        """libyaml's parser with PyYAML's composer (guarded) and safe constructor."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            Composer.__init__(self)

    _LOADERS.insert(0, _CSpecLoader)

# YAML 1.1 reads ``1e-3`` (no dot) as a string; specs mean the number, as YAML 1.2 and JSON do.
for _loader in _LOADERS:
    _loader.add_implicit_resolver(  # type: ignore[attr-defined]
        "tag:yaml.org,2002:float",
        re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
        list("-+0123456789"),
    )

_PLAIN_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("map", "seq", "str", "int", "float", "bool", "null")}


def _make_loader(text: str) -> Any:
    """The fastest available guarded loader for ``text`` (libyaml reads only encodable text)."""
    if _LOADERS[0] is not _SpecLoader:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return _SpecLoader(text)  # which then refuses the character, with its position
    return _LOADERS[0](text)


def load_scalar(text: str) -> Any:
    """A value as a spec file would read it (for ``--set``); plain tags only.

    Raises ``yaml.YAMLError`` or ``ValueError`` for text that is not such a value.
    """
    loader = _make_loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        return _walk(node, loader, (), Document(None), 0)
    except SpecError as exc:
        raise ValueError(exc.issues[0].message) from None
    finally:
        loader.dispose()


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _scalar(node: yaml.Node, loader: Any, path: Path, doc: Document) -> Any:
    """Construct a scalar (or a key) after checking its tag; a value Python refuses is a spec error."""
    if node.tag not in _PLAIN_TAGS:
        line, col = _mark(node)
        raise SpecError([SpecIssue(path, f"YAML tag {node.tag!r} is not allowed in a spec", doc.source, line, col)])
    try:
        return loader.construct_object(node, deep=True)
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        line, col = _mark(node)
        reason = str(exc).split(";")[0]
        raise SpecError([SpecIssue(path, f"invalid value: {reason}", doc.source, line, col)]) from None


def _walk(node: yaml.Node, loader: Any, path: Path, doc: Document, depth: int) -> Any:
    """Build Python data from a YAML node, recording each value's position."""
    if depth > MAX_DEPTH:
        raise SpecError([doc.issue(path, _TOO_DEEP)])
    doc.positions[path] = _mark(node)
    if node.tag not in _PLAIN_TAGS:
        line, col = _mark(node)
        raise SpecError([SpecIssue(path, f"YAML tag {node.tag!r} is not allowed in a spec", doc.source, line, col)])
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                kind = "list" if isinstance(key_node, yaml.SequenceNode) else "mapping"
                raise SpecError([doc.issue(path, f"keys must be strings, got a {kind}")])
            key = _scalar(key_node, loader, path, doc)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                raise SpecError([doc.issue(path, f"keys must be strings, got {type(key).__name__}")])
            key = str(key) if not isinstance(key, str) else key
            if not key.isprintable():
                raise SpecError([doc.issue(path, _unprintable(key))])
            if key in result:
                line, col = _mark(key_node)
                raise SpecError([SpecIssue(path + (key,), "duplicate key", doc.source, line, col)])
            result[key] = _walk(value_node, loader, path + (key,), doc, depth + 1)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_walk(item, loader, path + (i,), doc, depth + 1) for i, item in enumerate(node.value)]
    return _scalar(node, loader, path, doc)


def parse_yaml(text: str, source: str | None = None) -> Document:
    doc = Document(None, source)
    loader = None
    try:
        loader = _make_loader(text)
        node = loader.get_single_node()
        doc.data = {} if node is None else _walk(node, loader, (), doc, 0)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        what = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise SpecError([SpecIssue((), f"invalid YAML: {what}", source, line, column)]) from None
    except yaml.YAMLError as exc:  # ReaderError: a character YAML does not allow, e.g. NUL
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SpecError([SpecIssue((), f"invalid YAML: {reason}", source)]) from None
    except RecursionError:
        raise SpecError([SpecIssue((), "document nested too deeply", source)]) from None
    finally:
        if loader is not None:
            loader.dispose()
    return doc


def _unprintable(key: str) -> str:
    return f"key {key!r} holds control or other unprintable characters"


def check_shape(data: Any, source: str | None = None) -> None:
    """Refuse data nested deeper than :data:`MAX_DEPTH`, holding more than :data:`MAX_NODES` values,
    or with keys that would not print on one line (``"a\\nb"``: every problem is reported on one line).

    Iterative, so it is safe on data of any depth (JSON, dicts given directly).
    """
    stack: list[tuple[Any, Path]] = [(data, ())]
    nodes = 0
    while stack:
        value, path = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            raise SpecError([SpecIssue((), _TOO_MANY, source)])
        if len(path) > MAX_DEPTH:
            raise SpecError([SpecIssue((), _TOO_DEEP, source)])
        if isinstance(value, dict):
            for key, sub in value.items():
                if isinstance(key, str) and not key.isprintable():
                    raise SpecError([SpecIssue(path, _unprintable(key), source)])
                stack.append((sub, path + (key,) if isinstance(key, (str, int)) else path + (str(key),)))
        elif isinstance(value, (list, tuple)):
            stack.extend((sub, path + (index,)) for index, sub in enumerate(value))


class _DuplicateKey(Exception):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def parse_json(text: str, source: str | None = None) -> Document:
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise SpecError([SpecIssue((), f"invalid JSON: {exc.msg}", source, exc.lineno, exc.colno)]) from None
    except _DuplicateKey as exc:
        try:  # the YAML walk names the key's path and position when the text is also YAML
            parse_yaml(text, source)
        except SpecError as yaml_error:
            if yaml_error.issues[0].message == "duplicate key":
                raise SpecError(yaml_error.issues) from None
        raise SpecError([SpecIssue((), f"duplicate key {exc.args[0]!r}", source)]) from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise SpecError([SpecIssue((), f"invalid JSON: {str(exc).split(';')[0]}", source)]) from None
    except RecursionError:
        raise SpecError([SpecIssue((), "document nested too deeply", source)]) from None
    check_shape(data, source)
    # JSON is (nearly) YAML: reuse the YAML walk for positions, best effort.
    try:
        positions = parse_yaml(text, source).positions
    except SpecError:
        positions = {}
    return Document(data, source, positions)


def read_spec(path: str | FsPath) -> Document:
    """Parse a spec file (``.json`` as JSON, anything else as YAML)."""
    path = FsPath(path)
    too_big = f"spec file is larger than {MAX_SPEC_BYTES} bytes, the most a spec may be"
    try:
        if path.stat().st_size > MAX_SPEC_BYTES:
            raise SpecError([SpecIssue((), too_big, str(path))])
        # O_NONBLOCK for the open only: a named FIFO nobody writes to then reads as empty instead of
        # waiting forever, while a pipe with a writer (``nn train <(...)``) is still read to its end.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        try:
            os.set_blocking(fd, True)
        except BaseException:
            os.close(fd)
            raise
        with open(fd, encoding="utf-8") as f:  # bounded: a pipe or /dev/zero has no size to check
            text = f.read(MAX_SPEC_BYTES + 1)
        if len(text) > MAX_SPEC_BYTES:
            raise SpecError([SpecIssue((), too_big, str(path))])
    except FileNotFoundError:
        raise SpecError([SpecIssue((), "spec file not found", str(path))]) from None
    except UnicodeDecodeError as exc:
        raise SpecError([SpecIssue((), f"spec file is not UTF-8 text ({exc.reason})", str(path))]) from None
    except OSError as exc:
        raise SpecError([SpecIssue((), f"cannot read spec file: {exc.strerror}", str(path))]) from None
    parse = parse_json if path.suffix.lower() == ".json" else parse_yaml
    return parse(text, str(path))
