"""nn's conformance kit as a pytest plugin: the fixtures nn_registry and nn_registry_of."""

pytest_plugins = ["nn_core.testing.pytest_plugin"]
