"""pytest fixtures and helpers for testing nn plugins.

Enable it in your top-level ``conftest.py``::

    pytest_plugins = ["nn_core.testing.pytest_plugin"]

Then::

    from nn_core.testing import check_component
    from nn_core.testing.pytest_plugin import components_of

    @pytest.mark.parametrize("component", components_of("nn-my-plugin"))
    def test_conformance(component, nn_registry):
        check_component(component, registry=nn_registry)

gives one test per component, with ids like ``activation-swish``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from nn_core.registry import Registry
from nn_core.testing.components import components_of_distribution, installed_registry


def components_of(distribution: str, registry: Registry | None = None) -> list[Any]:
    """``pytest.param`` per component ``distribution`` registers, with id ``kind-name``.

    Made at collection time from the installed entry points (or
    ``registry``). A distribution that registers nothing is a collection
    error naming the distributions that do, never an empty, silently
    passing parametrization. Names shared by two backends get the backend
    appended to their ids.
    """
    infos = components_of_distribution(distribution, registry)
    counts = Counter((i.kind, i.name) for i in infos)
    return [
        pytest.param(
            info,
            id=f"{info.kind}-{info.name}" + (f"-{info.backend}" if counts[(info.kind, info.name)] > 1 else ""),
        )
        for info in infos
    ]


@pytest.fixture
def nn_registry() -> Registry:
    """A fresh registry of the installed plugins (entry points in group ``nn``), built for this test."""
    return installed_registry()


@pytest.fixture
def nn_registry_of() -> Callable[..., Registry]:
    """Build a registry from plugin objects, without installing them::

        def test_mine(nn_registry_of):
            registry = nn_registry_of((my_plugin, "nn-my-plugin"), with_installed=False)

    Each argument is ``(plugin, distribution)``: a module or object with
    ``@hookimpl`` functions. ``with_installed=True`` adds the installed
    entry points (where a plugin's nested components, such as a layer's
    default activation, come from).
    """
    from nn_core.plugins import build_registry, get_plugin_manager

    def make(*plugins: tuple[Any, str], with_installed: bool = False) -> Registry:
        group = "nn" if with_installed else None
        pairs: Iterable[tuple[Any, str]] = plugins
        return build_registry(get_plugin_manager(entry_point_group=group, plugins=pairs))

    return make


def pytest_report_header(config: pytest.Config) -> str:
    """One header line: which nn plugin distributions this run sees, and their problems."""
    registry = installed_registry()
    dists = sorted({f"{i.distribution} {i.version}" for i in registry.all()})
    line = f"nn plugins: {', '.join(dists) or 'none installed'}"
    if registry.problems:
        line += f" ({len(registry.problems)} problem(s): run `nn plugins`)"
    return line
