"""Plugin discovery: entry points in group ``nn`` → pluggy manager → registry.

We load entry points ourselves instead of pluggy's
``load_setuptools_entrypoints`` for two reasons: that function silently skips
an entry point whose name is already registered, and it stops at the first
plugin that fails to import. Here each plugin is registered under
``"<distribution>:<entry point>"`` and a failing one becomes a reported
problem while the rest keep working.

Set ``NN_TRACE_HOOKS=1`` to print every hook call to stderr.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

import pluggy

from nn_core import hookspecs
from nn_core.registry import PluginProblem, Registry

GROUP = "nn"


@dataclass(frozen=True)
class PluginSource:
    """Which distribution a registered plugin object came from."""

    distribution: str
    version: str


class PluginManager(pluggy.PluginManager):
    """A pluggy manager that remembers each plugin's distribution."""

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT)
        self.add_hookspecs(hookspecs)
        self.sources: dict[str, PluginSource] = {}
        self.load_problems: list[PluginProblem] = []
        if os.environ.get("NN_TRACE_HOOKS"):
            self.trace.root.setwriter(sys.stderr.write)
            self.enable_tracing()

    def add_plugin(self, plugin: Any, name: str, distribution: str, version: str = "0") -> None:
        """Register ``plugin`` as coming from ``distribution``."""
        try:
            self.register(plugin, name=name)
        except Exception as exc:  # pluggy raises ValueError and PluginValidationError
            self.load_problems.append(PluginProblem(name, distribution, f"{type(exc).__name__}: {exc}"))
            return
        self.sources[name] = PluginSource(distribution, version)

    def load_entry_points(self, group: str = GROUP) -> None:
        """Import and register every entry point in ``group``."""
        for ep in sorted(entry_points(group=group), key=lambda e: e.name):
            dist = ep.dist
            distribution = dist.metadata["Name"] if dist is not None else "?"
            version = dist.version if dist is not None else "?"
            name = f"{distribution}:{ep.name}"
            try:
                plugin = ep.load()
            except Exception as exc:
                self.load_problems.append(
                    PluginProblem(name, distribution, f"failed to import {ep.value!r}: {type(exc).__name__}: {exc}")
                )
                continue
            self.add_plugin(plugin, name, distribution, version)


def get_plugin_manager(
    *, entry_point_group: str | None = GROUP, plugins: Iterable[tuple[Any, str]] = ()
) -> PluginManager:
    """A fresh manager: entry points of ``entry_point_group`` plus ``plugins``.

    ``plugins`` are ``(plugin, distribution)`` pairs, for tests and for
    programs that embed nn with components of their own.
    """
    pm = PluginManager()
    if entry_point_group:
        pm.load_entry_points(entry_point_group)
    for plugin, distribution in plugins:
        pm.add_plugin(plugin, f"{distribution}:{getattr(plugin, '__name__', id(plugin))}", distribution)
    return pm


def build_registry(pm: PluginManager) -> Registry:
    """Call each plugin's ``nn_components`` and index what it returns."""
    registry = Registry(problems=list(pm.load_problems))
    for impl in pm.hook.nn_components.get_hookimpls():
        source = pm.sources.get(impl.plugin_name, PluginSource("?", "?"))
        try:
            answer: Any = impl.function()
            classes = list(answer)
        except Exception as exc:
            registry.problems.append(
                PluginProblem(
                    impl.plugin_name, source.distribution, f"nn_components raised {type(exc).__name__}: {exc}"
                )
            )
            continue
        for cls in classes:
            registry.add(cls, distribution=source.distribution, version=source.version, plugin=impl.plugin_name)
    return registry


_default: tuple[PluginManager, Registry] | None = None


def default_registry() -> Registry:
    """The process-wide registry from installed entry points, built on first use."""
    return default_plugins()[1]


def default_plugins() -> tuple[PluginManager, Registry]:
    global _default
    if _default is None:
        pm = get_plugin_manager()
        _default = (pm, build_registry(pm))
    return _default


def _plugin_label(pm: pluggy.PluginManager, impl: Any) -> str:
    """How a user knows the plugin: its entry point, or what a spec's callback is called."""
    name = impl.plugin_name
    if name in getattr(pm, "sources", {}) or not name.isdigit():
        return str(name)
    plugin = impl.plugin  # registered without a name (pluggy then uses its id): an object, e.g. a callback
    cls = type(plugin)
    where = f"{cls.__module__}.{cls.__qualname__}"
    kind, component = getattr(plugin, "kind", None), getattr(plugin, "name", None)
    if isinstance(kind, str) and isinstance(component, str):
        return f"{kind} {component} ({where})"
    return where


def call_hook(pm: pluggy.PluginManager, name: str, **kwargs: Any) -> list[Any]:
    """Call lifecycle hook ``name`` like pluggy does (last registered first), but
    name the plugin whose implementation raised.

    pluggy's own exception carries no plugin name; a user needs it to know
    which package to blame or uninstall. The message is one line; the
    original exception is chained (``nn --debug`` shows its traceback).
    nn-core's own callbacks (``training.log``...) raise their errors unchanged.
    """
    from nn_core.errors import NNError, PluginError

    results = []
    for impl in reversed(getattr(pm.hook, name).get_hookimpls()):
        args = {arg: kwargs[arg] for arg in impl.argnames}
        try:
            result = impl.function(**args)
        except Exception as exc:
            if isinstance(exc, NNError) and type(impl.plugin).__module__.startswith("nn_core."):
                raise
            lines = str(exc).strip().splitlines()
            reason = f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
            raise PluginError(f"plugin {_plugin_label(pm, impl)!r} failed in {name}: {reason}") from exc
        if result is not None:
            results.append(result)
    return results
