"""Plugin discovery: entry points in group ``nn`` → pluggy manager → registry.

There is no process-wide plugin manager. :func:`load_plugins` builds a
:class:`Plugins` object (the manager and the registry built from it); the
CLI makes one per command and hands it down, and every public function that
needs plugins takes it as ``plugins=`` (None builds a fresh one).

We load entry points ourselves instead of pluggy's
``load_setuptools_entrypoints`` for two reasons: that function silently skips
an entry point whose name is already registered, and it stops at the first
plugin that fails to import. Here each plugin is registered under
``"<distribution>:<entry point>"`` and a failing one becomes a reported
problem while the rest keep working.

Lifecycle hooks are dispatched by pluggy itself (:func:`call_lifecycle`), so
``@hookimpl(wrapper=True)`` implementations work and ``NN_TRACE_HOOKS=1``
prints every hook call to stderr. A plugin written for another version of
the plugin contract (:data:`nn_core.contracts.CONTRACT_VERSION`) is refused
with one line naming its distribution; a misspelt hook is reported.
"""

from __future__ import annotations

import difflib
import inspect
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import entry_points
from types import ModuleType, TracebackType
from typing import Any

import pluggy

from nn_core import hookspecs
from nn_core.errors import NNError, PluginError, exception_line
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
        except pluggy.PluginValidationError as exc:  # its first line names no reason: keep them all, on one
            details = [line.strip() for line in str(exc).splitlines()[1:] if line.strip()]
            self.load_problems.append(PluginProblem(name, distribution, "; ".join(details) or exception_line(exc)))
            return
        except Exception as exc:  # pluggy raises ValueError for a name registered twice
            self.load_problems.append(PluginProblem(name, distribution, exception_line(exc)))
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
                    PluginProblem(name, distribution, f"failed to import {ep.value!r}: {exception_line(exc)}")
                )
                continue
            self.add_plugin(plugin, name, distribution, version)

    def pending_problems(self) -> list[PluginProblem]:
        """Hook implementations no hookspec matches (a misspelt ``nn_epoch_ends``),
        one problem each, naming the distribution and the closest hook.

        What pluggy's ``check_pending`` raises for, collected instead of raised
        so that one plugin's typo never stops the others.
        """
        known = [name for name in dir(hookspecs) if name.startswith(f"{hookspecs.PROJECT}_")]
        problems = []
        for hook_name in sorted(vars(self.hook)):
            caller = getattr(self.hook, hook_name)
            if not isinstance(caller, pluggy.HookCaller) or caller.has_spec():
                continue
            for impl in caller.get_hookimpls():
                if impl.optionalhook:
                    continue
                source = self.sources.get(impl.plugin_name, PluginSource("?", "?"))
                close = difflib.get_close_matches(hook_name, known, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else f" (nn's hooks: {', '.join(known)})"
                problems.append(
                    PluginProblem(impl.plugin_name, source.distribution, f"unknown hook {hook_name!r}{hint}")
                )
        return problems


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


def _contract_problem(pm: PluginManager, plugin_name: str, source: PluginSource) -> PluginProblem | None:
    """None when the plugin answers ``nn_contract_version`` with this nn's version."""
    from nn_core.contracts import CONTRACT_CHANGES, CONTRACT_VERSION

    impls = [i for i in pm.hook.nn_contract_version.get_hookimpls() if i.plugin_name == plugin_name]
    version: Any = 1  # v1 had no such hook
    if impls:
        try:
            version = impls[0].function()
        except Exception as exc:
            return PluginProblem(plugin_name, source.distribution, f"nn_contract_version raised {exception_line(exc)}")
    if version == CONTRACT_VERSION and not isinstance(version, bool):
        return None
    who = f"{source.distribution} {source.version}"
    if isinstance(version, int) and not isinstance(version, bool) and version < CONTRACT_VERSION:
        changes = CONTRACT_CHANGES.get(version, "see what changed")
        line = (
            f"{who} was written for nn's plugin contract v{version}; this nn needs v{CONTRACT_VERSION} "
            f"({changes}): see docs/plugins.md#contract-v{CONTRACT_VERSION}"
        )
    elif isinstance(version, int) and not isinstance(version, bool):
        line = (
            f"{who} was written for nn's plugin contract v{version}; this nn (nn-core) supports "
            f"v{CONTRACT_VERSION}: upgrade nn-core"
        )
    else:
        line = f"{who}: nn_contract_version returned {version!r}, not a contract version (this nn needs 2)"
    return PluginProblem(plugin_name, source.distribution, line, standalone=True)


def build_registry(pm: PluginManager) -> Registry:
    """Call each plugin's ``nn_components`` and index what it returns.

    A plugin written for another contract version registers nothing and is
    reported in one line; so is a hook implementation no hookspec knows.
    """
    registry = Registry(problems=[*pm.load_problems, *pm.pending_problems()])
    for impl in pm.hook.nn_components.get_hookimpls():
        source = pm.sources.get(impl.plugin_name, PluginSource("?", "?"))
        refused = _contract_problem(pm, impl.plugin_name, source)
        if refused is not None:
            registry.problems.append(refused)
            registry.refused[source.distribution] = refused.message
            _remember_refused_names(registry, impl.function, f"{source.distribution} {source.version}")
            # Refused means refused: none of its hooks (lifecycle, commands) runs either, or a v1
            # hook would meet v2 objects in the middle of training.
            pm.unregister(name=impl.plugin_name)
            continue
        try:
            answer: Any = impl.function()
            classes = list(answer)
        except Exception as exc:
            registry.problems.append(
                PluginProblem(impl.plugin_name, source.distribution, f"nn_components raised {exception_line(exc)}")
            )
            continue
        for cls in classes:
            registry.add(cls, distribution=source.distribution, version=source.version, plugin=impl.plugin_name)
    return registry


def _remember_refused_names(registry: Registry, nn_components: Any, who: str) -> None:
    """Which names a refused plugin would have provided, so that a spec naming one is told why
    it is unknown. Its classes are only read (kind and name), never registered or used."""
    try:
        classes = list(nn_components())
    except Exception:  # it was written for another contract: anything may fail, and nothing depends on it
        return
    for cls in classes:
        kind, name = getattr(cls, "kind", None), getattr(cls, "name", None)
        if isinstance(kind, str) and isinstance(name, str):
            registry.refused_names.setdefault((kind, name), who)


@dataclass(frozen=True)
class Plugins:
    """The plugins one command (or one program) works with: a manager and its registry.

    Made by :func:`load_plugins` and handed to what needs it; nn keeps none
    process-wide, so two ``Plugins`` in one process never see each other's
    callbacks or components.
    """

    pm: PluginManager
    registry: Registry

    @property
    def problems(self) -> list[PluginProblem]:
        return self.registry.problems


def load_plugins(entry_point_group: str | None = GROUP, plugins: Iterable[tuple[Any, str]] = ()) -> Plugins:
    """Discover the installed plugins (entry points in ``entry_point_group``) plus
    ``plugins`` (``(plugin, distribution)`` pairs) and build their registry."""
    pm = get_plugin_manager(entry_point_group=entry_point_group, plugins=plugins)
    return Plugins(pm, build_registry(pm))


def resolve(plugins: Plugins | None) -> Plugins:
    """``plugins`` or, when None, the installed ones, freshly loaded (never cached)."""
    return plugins if plugins is not None else load_plugins()


def register_callback(pm: pluggy.PluginManager, callback: Any, distribution: str) -> str:
    """Register a run's callback object for its lifecycle hooks; returns its name."""
    cls = type(callback)
    kind, component = getattr(callback, "kind", None), getattr(callback, "name", None)
    if isinstance(kind, str) and isinstance(component, str) and kind:
        label = f"{kind} {component}"
    else:
        label = f"{cls.__module__}.{cls.__qualname__}"
    name = f"{distribution}:{label}#{id(callback)}"
    who = f"{label} ({distribution})"
    known = [hook for hook in dir(hookspecs) if hook.startswith(f"{hookspecs.PROJECT}_")]
    for attr in dir(callback):
        # A misspelt hook on a run's callback would never be called, silently (pluggy's
        # check_pending only sees plugins registered when the registry is built).
        if pm.parse_hookimpl_opts(callback, attr) is None:
            continue
        if attr not in known:
            close = difflib.get_close_matches(attr, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f" (nn's hooks: {', '.join(known)})"
            raise PluginError(f"{who}: unknown hook {attr!r}{hint}")
        takes = list(inspect.signature(getattr(callback, attr)).parameters)
        passed = list(inspect.signature(getattr(hookspecs, attr)).parameters)
        extra = [arg for arg in takes if arg not in passed]
        if extra:
            raise PluginError(
                f"{who}: {attr}({', '.join(takes)}) takes {', '.join(map(repr, extra))}, which nn does not pass; "
                f"its arguments are ({', '.join(passed)})"
            )
    try:
        pm.register(callback, name=name)
    except pluggy.PluginValidationError as exc:  # a hook argument the hookspec does not have
        details = [line.strip() for line in str(exc).splitlines()[1:] if line.strip()]
        raise PluginError(f"{who}: {'; '.join(details) or exception_line(exc)}") from exc
    if isinstance(pm, PluginManager):
        pm.sources[name] = PluginSource(distribution, "")
    return name


def _module_of(plugin: Any) -> str:
    if isinstance(plugin, ModuleType):
        return plugin.__name__
    if isinstance(plugin, type):
        return plugin.__module__
    return type(plugin).__module__


def _culprit(pm: pluggy.PluginManager, hook: str, tb: TracebackType | None) -> tuple[str, Any] | None:
    """(plugin name, plugin) whose code raised in ``hook``.

    The innermost traceback frame running one of the hook's implementations
    names it exactly (wrappers included: their generator frames run the same
    code). Failing that, the innermost frame in a registered plugin's module
    (or package; nn-core's own modules match only exactly, since the loop
    itself lives in nn_core).
    """
    frames = []
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    impls = {}
    for impl in getattr(pm.hook, hook).get_hookimpls():
        code = getattr(impl.function, "__code__", None)
        if code is not None:
            impls[code] = impl
    for frame in reversed(frames):
        impl = impls.get(frame.f_code)
        if impl is not None:
            return impl.plugin_name, impl.plugin
    owners = [(_module_of(plugin), name, plugin) for name, plugin in pm.list_name_plugin() if plugin is not None]
    for frame in reversed(frames):
        module = frame.f_globals.get("__name__", "")
        for owner, name, plugin in owners:
            top = owner.split(".", 1)[0]
            if module == owner or (top != "nn_core" and module.split(".", 1)[0] == top):
                return name, plugin
    return None


def _label(name: str, plugin: Any) -> str:
    """How a user knows the plugin: its entry point, or what a spec's callback is called."""
    if "#" in name:  # a run's callback: "distribution:kind name#id"
        return name.split("#", 1)[0]
    if not name.isdigit():
        return name
    cls = type(plugin)  # registered without a name (pluggy then uses its id)
    where = f"{cls.__module__}.{cls.__qualname__}"
    kind, component = getattr(plugin, "kind", None), getattr(plugin, "name", None)
    if isinstance(kind, str) and isinstance(component, str):
        return f"{kind} {component} ({where})"
    return where


def call_lifecycle(pm: pluggy.PluginManager, name: str, **kwargs: Any) -> list[Any]:
    """Call lifecycle hook ``name`` through pluggy (wrappers, tracing and all),
    naming the plugin whose implementation raised.

    pluggy's own exception carries no plugin name; a user needs it to know
    which package to blame or uninstall. The message is one line; the
    original exception is chained (``nn --debug`` shows its traceback).
    nn-core's own callbacks (``training.log``...) raise their errors unchanged.
    """
    try:
        result: list[Any] = getattr(pm.hook, name)(**kwargs)
    except Exception as exc:
        culprit = _culprit(pm, name, exc.__traceback__)
        if culprit is None:
            raise
        plugin_name, plugin = culprit
        if isinstance(exc, NNError) and _module_of(plugin).startswith("nn_core."):
            raise
        raise PluginError(f"plugin {_label(plugin_name, plugin)!r} failed in {name}: {exception_line(exc)}") from exc
    return [r for r in result if r is not None] if isinstance(result, list) else result


call_hook = call_lifecycle
"""The name nn-core 0.1 used."""
