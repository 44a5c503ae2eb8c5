"""Plugin discovery and the registry: clashes, broken plugins, no plugins."""

from __future__ import annotations

from typing import Any

import pytest
from fakes import COMPONENTS, V2, Tanh

from nn_core import hookimpl
from nn_core import plugins as plugins_module
from nn_core.errors import PluginError, UnknownComponentError
from nn_core.plugins import build_registry, get_plugin_manager


class OtherTanh(Tanh):
    """A second tanh from another distribution."""


class ClashingPlugin(V2):
    @staticmethod
    @hookimpl
    def nn_components() -> list[type]:
        return [OtherTanh]


class RaisingPlugin(V2):
    @staticmethod
    @hookimpl
    def nn_components() -> list[type]:
        raise RuntimeError("registration exploded")


class BadSchema(Tanh):
    name = "bad_schema"
    params_schema = {"type": "object", "properties": {"x": {"type": "no-such-type"}}}


class InvalidPlugin(V2):
    @staticmethod
    @hookimpl
    def nn_components() -> list[type]:
        return [BadSchema, int]


def make(*plugins: tuple[Any, str]):  # type: ignore[no-untyped-def]
    from fakes import fake_registry

    return fake_registry(*plugins)[1]


def test_lookup_by_kind_name_backend(registry) -> None:  # type: ignore[no-untyped-def]
    info = registry.get("activation", "tanh", "fake")
    assert info.cls is Tanh
    assert info.distribution == "nn-fake"
    assert registry.names("activation", "fake") == ["identity", "tanh"]


def test_unknown_name_lists_installed_and_closest(registry) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnknownComponentError) as err:
        registry.get("activation", "tahn", "fake")
    assert "did you mean 'tanh'?" in str(err.value)
    assert "identity, tanh" in str(err.value)


def test_clash_names_both_distributions() -> None:
    registry = make((ClashingPlugin, "nn-other"))
    with pytest.raises(PluginError) as err:
        registry.get("activation", "tanh", "fake")
    message = str(err.value)
    assert "nn-fake" in message and "nn-other" in message
    assert any("provided by both" in str(p) for p in registry.problems)
    # the rest still works
    assert registry.get("activation", "identity", "fake").distribution == "nn-fake"


def test_plugin_whose_registration_raises_is_isolated() -> None:
    registry = make((RaisingPlugin, "nn-broken"))
    [problem] = registry.problems
    assert problem.distribution == "nn-broken"
    assert "registration exploded" in str(problem)
    assert registry.get("layer", "linear", "fake").cls in COMPONENTS


def test_invalid_component_classes_are_reported_not_registered() -> None:
    registry = make((InvalidPlugin, "nn-invalid"))
    messages = [str(p) for p in registry.problems]
    assert any("params_schema is not a valid JSON Schema" in m for m in messages)
    assert any("not a subclass of nn_core.Component" in m for m in messages)
    assert "bad_schema" not in registry.names("activation")


class _FakeDist:
    def __init__(self, name: str) -> None:
        self.metadata = {"Name": name}
        self.version = "9.9"


class _FakeEntryPoint:
    def __init__(self, name: str, dist: str, target: Any) -> None:
        self.name, self.value, self.dist, self.target = name, f"{dist}.plugin", _FakeDist(dist), target

    def load(self) -> Any:
        if isinstance(self.target, Exception):
            raise self.target
        return self.target


def test_entry_point_that_fails_to_import_is_isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    from fakes import FakePlugin

    eps = [
        _FakeEntryPoint("broken", "nn-broken", ImportError("No module named 'missing_dep'")),
        _FakeEntryPoint("fake", "nn-fake", FakePlugin),
    ]
    monkeypatch.setattr(plugins_module, "entry_points", lambda group: eps)
    pm = get_plugin_manager()
    registry = build_registry(pm)
    [problem] = registry.problems
    assert problem.distribution == "nn-broken"
    assert "missing_dep" in str(problem)
    info = registry.get("layer", "linear", "fake")
    assert (info.distribution, info.version) == ("nn-fake", "9.9")


def test_same_entry_point_name_in_two_distributions_both_load(monkeypatch: pytest.MonkeyPatch) -> None:
    # pluggy's own loader would silently skip the second "plugin"; ours registers both.
    from fakes import FakePlugin

    eps = [_FakeEntryPoint("plugin", "nn-fake", FakePlugin), _FakeEntryPoint("plugin", "nn-other", ClashingPlugin)]
    monkeypatch.setattr(plugins_module, "entry_points", lambda group: eps)
    registry = build_registry(get_plugin_manager())
    with pytest.raises(PluginError, match="nn-fake 9.9 and nn-other 9.9"):
        registry.get("activation", "tanh", "fake")


def test_no_plugins_at_all() -> None:
    registry = build_registry(get_plugin_manager(entry_point_group=None))
    assert registry.all() == []
    with pytest.raises(UnknownComponentError, match="no backend is installed"):
        registry.get("backend", "numpy")


def test_clashed_name_is_a_spec_error_with_its_path(spec_file) -> None:  # type: ignore[no-untyped-def]
    from nn_core.spec import SpecError, load_spec

    registry = make((ClashingPlugin, "nn-other"))
    with pytest.raises(SpecError) as err:
        load_spec(spec_file, registry=registry)
    [issue] = err.value.issues
    assert issue.path == ("model", "layers", 0, "activation")
    assert "provided by both nn-fake 0 and nn-other 0" in str(issue)
