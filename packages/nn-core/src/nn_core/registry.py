"""The registry: every installed component, indexed by (kind, name, backend).

Built once per process (or per test) from a plugin manager. Problems found
while building it (a plugin that fails to import or registers something
invalid, two distributions claiming one name) are collected, not raised, so
one broken plugin never takes the others down; a clashing name raises when
it is used, naming both distributions.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import best_match

from nn_core.component import COMPUTE_KINDS, KINDS, Component
from nn_core.errors import PluginError, UnknownComponentError

Key = tuple[str, str, "str | None"]


@dataclass(frozen=True)
class ComponentInfo:
    """A registered component class and where it came from."""

    cls: type[Component]
    distribution: str
    version: str
    plugin: str

    @property
    def kind(self) -> str:
        return self.cls.kind

    @property
    def name(self) -> str:
        return self.cls.name

    @property
    def backend(self) -> str | None:
        return self.cls.backend

    @property
    def provider(self) -> str:
        return f"{self.distribution} {self.version}"

    @property
    def summary(self) -> str:
        doc = (self.cls.__doc__ or "").strip()
        return doc.splitlines()[0] if doc else ""


@dataclass(frozen=True)
class PluginProblem:
    """Something wrong with one plugin; reported, never fatal to the others."""

    plugin: str
    distribution: str
    message: str
    standalone: bool = False
    """The message names the distribution itself (a contract-version refusal)."""

    def __str__(self) -> str:
        if self.standalone:
            return self.message
        return f"plugin {self.plugin!r} ({self.distribution}): {self.message}"


@dataclass
class Registry:
    """Component classes by (kind, name, backend), plus what went wrong."""

    components: dict[Key, ComponentInfo] = field(default_factory=dict)
    clashes: dict[Key, list[ComponentInfo]] = field(default_factory=dict)
    problems: list[PluginProblem] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)
    """Distributions refused for their contract version, with the reason."""
    refused_names: dict[tuple[str, str], str] = field(default_factory=dict)
    """(kind, name) → the refused distribution that would have provided it."""
    invalid_names: dict[tuple[str, str], str] = field(default_factory=dict)
    """(kind, name) → why a class claiming it was refused (``nn-x 1.0: ... not a valid JSON Schema``)."""

    # -- building -------------------------------------------------------------

    def add(self, cls: Any, *, distribution: str, version: str, plugin: str) -> None:
        """Register one class; an invalid class becomes a problem of its plugin."""
        try:
            check_component_class(cls)
        except PluginError as exc:
            self.problems.append(PluginProblem(plugin, distribution, str(exc)))
            kind, name = getattr(cls, "kind", None), getattr(cls, "name", None)
            if isinstance(kind, str) and isinstance(name, str) and name:
                self.invalid_names.setdefault((kind, name), f"{distribution} {version}: {exc}")
            return
        info = ComponentInfo(cls, distribution, version, plugin)
        key: Key = (cls.kind, cls.name, cls.backend)
        rival = self._cross_backend_rival(key)
        if rival is not None:
            # An any-backend class and a backend-specific one of the same kind and
            # name: which one a spec means is ambiguous, so neither is used.
            rival_key: Key = (rival.kind, rival.name, rival.backend)
            key = (cls.kind, cls.name, None)
            previous = self.clashes.pop(rival_key, None) or [self.components.pop(rival_key)]
            if key in self.components:
                previous.insert(0, self.components.pop(key))
            self.clashes[key] = [*self.clashes.get(key, []), *previous, info]
            self.problems.append(PluginProblem(plugin, distribution, self._clash_message(key), standalone=True))
            return
        if key in self.clashes:
            self.clashes[key].append(info)
        elif key in self.components:
            first = self.components.pop(key)
            self.clashes[key] = [first, info]
            self.problems.append(PluginProblem(plugin, distribution, self._clash_message(key), standalone=True))
        else:
            self.components[key] = info

    def _cross_backend_rival(self, key: Key) -> ComponentInfo | None:
        """A registered class of the same kind and name on the other side of the
        any-backend line (``backend = None`` versus a named backend)."""
        kind, name, backend = key
        for (k, n, b), info in list(self.components.items()):
            if k == kind and n == name and (b is None) != (backend is None):
                return info
        for (k, n, b), infos in self.clashes.items():
            if k == kind and n == name and (b is None) != (backend is None):
                return infos[0]
        return None

    def _clash_message(self, key: Key) -> str:
        kind, name, backend = key
        where = f" (backend {backend})" if backend else ""
        who = " and ".join(i.provider for i in self.clashes[key])
        return f"{kind} {name!r}{where} is provided by both {who}; uninstall one of them to use {name!r}"

    # -- lookup ---------------------------------------------------------------

    def names(self, kind: str, backend: str | None = None) -> list[str]:
        """Installed names of a kind (for a backend, plus backend-agnostic ones)."""
        found = {
            name
            for (k, name, b) in list(self.components) + list(self.clashes)
            if k == kind and (b is None or backend is None or b == backend)
        }
        return sorted(found)

    def get(self, kind: str, name: str, backend: str | None = None) -> ComponentInfo:
        """The component providing ``name``; backend-specific before agnostic."""
        for key in ((kind, name, backend), (kind, name, None)):
            if key in self.clashes:
                raise PluginError(self._clash_message(key))
            if key in self.components:
                return self.components[key]
            if key[2] is None:
                break
        raise UnknownComponentError(self.unknown_message(kind, name, self.names(kind, backend)))

    def unknown_message(self, kind: str, name: str, installed: list[str]) -> str:
        """:func:`unknown_name_message`, saying so when a refused (old-contract) plugin has the name."""
        message = unknown_name_message(kind, name, installed)
        refused = self.refused_names.get((kind, name))
        if refused is not None:
            message += (
                f" ({refused} provides {kind} {name!r} but was written for another plugin contract; "
                "see docs/plugins.md#contract-v2)"
            )
        invalid = self.invalid_names.get((kind, name))
        if invalid is not None:
            message += f" (a {kind} {name!r} was refused at registration: {invalid})"
        return message

    def create(self, kind: str, name: str, backend: str | None = None, **params: Any) -> Any:
        return self.get(kind, name, backend).cls(**params)

    def all(self) -> list[ComponentInfo]:
        infos = list(self.components.values())
        for clashed in self.clashes.values():
            infos.extend(clashed)
        return sorted(infos, key=lambda i: (KINDS.index(i.kind), i.name, i.backend or ""))


def unknown_name_message(kind: str, name: str, installed: list[str]) -> str:
    """``unknown activation 'tahn'; did you mean 'tanh'? Installed activations: ...`` (``'xyz'. Installed ...``)."""
    message = f"unknown {kind} {name!r}"
    close = difflib.get_close_matches(str(name), installed, n=1, cutoff=0.6)
    message += f"; did you mean {close[0]!r}?" if close else "."
    kinds = f"{kind}es" if kind.endswith("s") else f"{kind}s"
    if installed:
        message += f" Installed {kinds}: {', '.join(installed)}"
    else:
        message += f"; no {kind} is installed (is a backend plugin such as nn-numpy installed?)"
    return message


RESERVED_METRIC_NAMES = frozenset({"loss", "samples", "confusion_matrix", "per_class"})
"""Keys of a split's results besides its metrics: a metric of one of these names would
silently replace the loss (early stopping on ``dev.loss`` included) or a report."""


def check_component_class(cls: Any) -> None:
    """Reject a class the registry could not index or validate against."""
    if not isinstance(cls, type) or not issubclass(cls, Component):
        raise PluginError(f"{cls!r} is not a subclass of nn_core.Component")
    label = f"{cls.__module__}.{cls.__qualname__}"
    if cls.kind not in KINDS:
        raise PluginError(f"{label} has kind {cls.kind!r}; kinds are {', '.join(KINDS)}")
    if not isinstance(cls.name, str) or not cls.name:
        raise PluginError(f"{label} has no name")
    if cls.kind == "metric" and cls.name in RESERVED_METRIC_NAMES:
        raise PluginError(
            f"{label} is a metric named {cls.name!r}, a key nn's results already use for something else "
            f"(reserved: {', '.join(sorted(RESERVED_METRIC_NAMES))})"
        )
    if cls.kind in COMPUTE_KINDS and not cls.backend:
        raise PluginError(f"{label} is a {cls.kind} and must name its backend")
    if cls.kind == "optimizer":
        from nn_core.contracts import ClosureMinimizer, StepOptimizer

        if not issubclass(cls, (StepOptimizer, ClosureMinimizer)):
            raise PluginError(
                f"{label} must derive from nn_core.contracts.StepOptimizer or ClosureMinimizer "
                "(see docs/plugins.md#contract-v2)"
            )
    schema = cls.params_schema
    if not isinstance(schema, dict) or schema.get("type") != "object":
        raise PluginError(f"{label}.params_schema must be a JSON Schema of type 'object'")
    if "type" in schema.get("properties", {}):
        raise PluginError(f"{label}.params_schema may not define 'type': it names the component")
    error = best_match(_metaschema().iter_errors(schema))
    if error is not None:
        raise PluginError(f"{label}.params_schema is not a valid JSON Schema: {error.message}")
    for key, prop in schema.get("properties", {}).items():
        # A default its own property refuses would reach the constructor unchecked
        # (defaults are filled after validation), so the class is refused instead.
        if isinstance(prop, dict) and "default" in prop:
            wrong = best_match(Draft7Validator(prop).iter_errors(prop["default"]))
            if wrong is not None:
                raise PluginError(
                    f"{label}.params_schema: the default {prop['default']!r} of parameter {key!r} "
                    f"does not validate against its own schema: {wrong.message}"
                )


_META: list[Draft7Validator] = []


def _metaschema() -> Draft7Validator:
    """A structural check of parameter schemas, run for every component at every start.

    Draft 7's metaschema catches what goes wrong in practice (a misspelt type,
    a non-list ``required``) six times faster than 2020-12's, whose dynamic
    references cost ~3 ms per schema; the conformance kit (``nn_core.testing``)
    checks against the full 2020-12 metaschema.
    """
    if not _META:
        _META.append(Draft7Validator(Draft7Validator.META_SCHEMA))
    return _META[0]
