"""What an outsider's broken plugin gets (issue 13's audit): one line per problem,
whatever the plugin's exception looks like, and no class whose defaults its own
schema refuses."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pytest
from fakes import V2

from nn_core import hookimpl
from nn_core import plugins as plugins_module
from nn_core.contracts import Schedule
from nn_core.errors import PluginError, exception_line
from nn_core.plugins import build_registry, call_lifecycle, get_plugin_manager

TWO_LINES = "boom at import\nsecond line of the message"


class _Dist:
    def __init__(self, name: str) -> None:
        self.metadata = {"Name": name}
        self.version = "6.6.6"


class _EntryPoint:
    def __init__(self, name: str, target: Any) -> None:
        self.name, self.value, self.dist, self.target = name, f"nn_hostile.{name}", _Dist("nn-hostile"), target

    def load(self) -> Any:
        if isinstance(self.target, Exception):
            raise self.target
        return self.target


def test_exception_line_keeps_the_first_line() -> None:
    assert exception_line(RuntimeError(TWO_LINES)) == "RuntimeError: boom at import"
    assert exception_line(ValueError("one")) == "ValueError: one"
    assert exception_line(KeyError()) == "KeyError"
    assert exception_line(ValueError("\n\n  late start\n")) == "ValueError: late start"


def test_multi_line_import_failure_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plugins_module, "entry_points", lambda group: [_EntryPoint("boom", RuntimeError(TWO_LINES))])
    [problem] = build_registry(get_plugin_manager()).problems
    assert "\n" not in str(problem)
    assert problem.distribution == "nn-hostile"
    assert "failed to import 'nn_hostile.boom': RuntimeError: boom at import" in str(problem)


class RaisesInComponents(V2):
    @staticmethod
    @hookimpl
    def nn_components() -> list[type]:
        raise ValueError(TWO_LINES)


def test_multi_line_nn_components_failure_is_one_line() -> None:
    [problem] = build_registry(
        get_plugin_manager(entry_point_group=None, plugins=[(RaisesInComponents, "nn-x")])
    ).problems
    assert str(problem).endswith("nn_components raised ValueError: boom at import")


class RaisesInHook(V2):
    @staticmethod
    @hookimpl
    def nn_train_start(run: Any) -> None:
        raise ValueError(TWO_LINES)


def test_multi_line_lifecycle_failure_is_one_line_naming_the_distribution() -> None:
    pm = get_plugin_manager(entry_point_group=None, plugins=[(RaisesInHook, "nn-x")])
    with pytest.raises(PluginError) as err:
        call_lifecycle(pm, "nn_train_start", run=None)
    assert str(err.value) == "plugin 'nn-x:RaisesInHook' failed in nn_train_start: ValueError: boom at import"


class Wobbly(Schedule):
    """A default its own property refuses: k would reach __init__ as 1 although minimum is 5."""

    name: ClassVar[str] = "wobbly"
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {"k": {"type": "integer", "minimum": 5, "default": 1, "description": "k"}},
    }

    def __init__(self, *, k: int = 1) -> None:
        self.k = k

    def lr(self, base_lr: float, epoch: int) -> float:
        return base_lr


class WobblyPlugin(V2):
    @staticmethod
    @hookimpl
    def nn_components() -> list[type]:
        return [Wobbly]


def test_a_default_that_breaks_its_own_schema_is_refused_at_registration() -> None:
    registry = build_registry(get_plugin_manager(entry_point_group=None, plugins=[(WobblyPlugin, "nn-wobbly")]))
    [problem] = registry.problems
    assert problem.distribution == "nn-wobbly"
    assert str(problem).endswith(
        "Wobbly.params_schema: the default 1 of parameter 'k' does not validate against its own schema: "
        "1 is less than the minimum of 5"
    )
    assert registry.names("schedule") == []


def test_a_multi_line_internal_error_is_one_line(spec_file, installed, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import nn_core.experiment
    from nn_core.cli import main

    def boom(*a: Any, **k: Any) -> None:
        raise ValueError(TWO_LINES)

    monkeypatch.setattr(nn_core.experiment, "build", boom)
    assert main(["train", str(spec_file)]) == 3
    [line] = capsys.readouterr().err.splitlines()
    assert line == "nn: internal error: ValueError: boom at import (run with --debug for the traceback)"


def test_plugins_show_says_which_way_a_metric_improves(installed, capsys) -> None:  # type: ignore[no-untyped-def]
    import json

    from nn_core.cli import main

    assert main(["plugins", "show", "accuracy"]) == 0
    assert capsys.readouterr().out.rstrip().endswith("higher is better: yes (early stopping)")
    assert main(["plugins", "show", "accuracy", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["components"][0]["higher_is_better"] is True


def test_a_spec_naming_a_refused_class_is_told_why() -> None:
    from nn_core.errors import UnknownComponentError

    registry = build_registry(get_plugin_manager(entry_point_group=None, plugins=[(WobblyPlugin, "nn-wobbly")]))
    with pytest.raises(UnknownComponentError) as err:
        registry.get("schedule", "wobbly")
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith("unknown schedule 'wobbly'")
    assert "(a schedule 'wobbly' was refused at registration: nn-wobbly 0: " in message
    assert message.endswith("1 is less than the minimum of 5)")


class HelloCommand(V2):
    """A plugin command, a clash with a built-in and a failing handler."""

    @staticmethod
    @hookimpl
    def nn_register_commands(subparsers: Any) -> None:
        hello = subparsers.add_parser("hello", help="say hello")
        hello.add_argument("who")
        hello.set_defaults(handler=lambda args, plugins: print(f"hello {args.who}, {len(plugins.registry.all())}") or 0)
        subparsers.add_parser("train").set_defaults(handler=lambda args, plugins: 99)
        subparsers.add_parser("crash").set_defaults(handler=lambda args, plugins: 1 / 0)


class OtherHello(V2):
    @staticmethod
    @hookimpl
    def nn_register_commands(subparsers: Any) -> None:
        subparsers.add_parser("hello").set_defaults(handler=lambda args, plugins: 42)


def test_plugin_commands_run_and_taken_names_are_refused_naming_both(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    # nn_register_commands was documented and declared but nothing ever called it.
    from fakes import fake_plugins, install

    from nn_core.cli import main

    loaded = fake_plugins((HelloCommand, "nn-hello"), (OtherHello, "nn-other"))
    install(monkeypatch, loaded)
    assert main(["hello", "world"]) == 0
    out, err = capsys.readouterr()
    assert out == f"hello world, {len(loaded.registry.all())}\n"
    assert err.splitlines() == [
        "nn: warning: nn-hello 0: command 'train' is a built-in command; nn-hello 0's is not added",
        "nn: warning: nn-other 0: command 'hello' is also provided by nn-hello 0; nn-other 0's is not added",
    ]
    assert main(["crash"]) == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        "nn: error: nn-hello 0: command 'crash' failed: ZeroDivisionError: division by zero"
    )


def test_built_in_commands_do_not_load_plugins_for_commands(monkeypatch, capsys, spec_file) -> None:  # type: ignore[no-untyped-def]
    from fakes import fake_plugins, install

    from nn_core.cli import main

    install(monkeypatch, fake_plugins((HelloCommand, "nn-hello")))
    assert main(["validate", str(spec_file)]) == 0
    assert "command" not in capsys.readouterr().err  # the plugin's clash with 'train' is not even looked at


class V1WithHooks:
    """A contract-v1 plugin (no nn_contract_version) whose lifecycle hook reads v1 objects."""

    @staticmethod
    @hookimpl
    def nn_components() -> list[type]:
        return [Wobbly]

    @staticmethod
    @hookimpl
    def nn_epoch_end(run: Any, epoch: int, metrics: Any) -> None:
        raise AttributeError("'Network' object has no attribute 'flat_params'")


def test_a_refused_plugin_has_no_hooks_either() -> None:
    # Its lifecycle hooks used to run in the middle of training, against v2 objects.
    pm = get_plugin_manager(entry_point_group=None, plugins=[(V1WithHooks, "nn-old")])
    registry = build_registry(pm)
    assert "was written for nn's plugin contract v1" in str(registry.problems[0])
    assert pm.hook.nn_epoch_end.get_hookimpls() == []
    assert call_lifecycle(pm, "nn_epoch_end", run=None, epoch=1, metrics=None) == []


def test_a_metric_named_loss_is_refused() -> None:
    # It silently replaced the loss in every split's results, early stopping on dev.loss included.
    from nn_core.contracts import Metric

    class Loss(Metric):
        """Claims the loss's key."""

        name: ClassVar[str] = "loss"

        def compute(self, y_true: Any, proba: Any) -> float:
            return 123.0

    class LossPlugin(V2):
        @staticmethod
        @hookimpl
        def nn_components() -> list[type]:
            return [Loss]

    registry = build_registry(get_plugin_manager(entry_point_group=None, plugins=[(LossPlugin, "nn-x")]))
    [problem] = registry.problems
    assert "is a metric named 'loss', a key nn's results already use for something else" in str(problem)
    assert registry.names("metric") == []


def test_a_run_callback_with_a_misspelt_hook_or_argument_is_one_line(registry) -> None:  # type: ignore[no-untyped-def]
    # A misspelt hook name was never called, silently; a misspelt argument was a multi-line
    # pluggy PluginValidationError reported as an internal error.
    from nn_core.contracts import Callback
    from nn_core.plugins import register_callback

    class Misspelt(Callback):
        """nn_epoch_ends"""

        name: ClassVar[str] = "misspelt"

        @hookimpl
        def nn_epoch_ends(self, run: Any, epoch: int, metrics: Any) -> bool:
            return True

    class WrongArgument(Callback):
        """metric for metrics"""

        name: ClassVar[str] = "wrong_argument"

        @hookimpl
        def nn_epoch_end(self, run: Any, epoch: int, metric: Any) -> bool:
            return True

    pm = get_plugin_manager(entry_point_group=None)
    with pytest.raises(PluginError) as err:
        register_callback(pm, Misspelt(), "nn-x")
    assert str(err.value) == "callback misspelt (nn-x): unknown hook 'nn_epoch_ends'; did you mean 'nn_epoch_end'?"
    with pytest.raises(PluginError) as err:
        register_callback(pm, WrongArgument(), "nn-x")
    assert str(err.value) == (
        "callback wrong_argument (nn-x): nn_epoch_end(run, epoch, metric) takes 'metric', which nn does not pass; "
        "its arguments are (run, epoch, metrics)"
    )


class WrongArgumentModule(V2):
    @staticmethod
    @hookimpl
    def nn_epoch_end(run: Any, epoch: int, metric: Any) -> None:
        return None


def test_a_plugin_hook_with_an_argument_nn_does_not_pass_says_which() -> None:
    # The report kept pluggy's first line only: "Plugin '...' for hook 'nn_epoch_end'", no reason.
    registry = build_registry(get_plugin_manager(entry_point_group=None, plugins=[(WrongArgumentModule, "nn-x")]))
    [problem] = registry.problems
    assert "\n" not in str(problem)
    assert "Argument(s) {'metric'} are declared in the hookimpl but can not be found in the hookspec" in str(problem)


def test_a_clash_warning_blames_neither_side() -> None:
    # It read "plugin 'nn-core:nn-core' (nn-core): metric 'accuracy' is provided by both nn-hostile
    # 6.6.6 and nn-core 0.2.0": the plugin registered second was named as the culprit.
    class Twin(V2):
        @staticmethod
        @hookimpl
        def nn_components() -> list[type]:
            return [Wobbly2]

    class Wobbly2(Schedule):
        """A valid schedule claimed by two distributions."""

        name: ClassVar[str] = "twin"

        def lr(self, base_lr: float, epoch: int) -> float:
            return base_lr

    pm = get_plugin_manager(entry_point_group=None, plugins=[(Twin, "nn-first"), (Twin(), "nn-second")])
    [problem] = build_registry(pm).problems
    assert str(problem) == (
        "schedule 'twin' is provided by both nn-first 0 and nn-second 0; uninstall one of them to use 'twin'"
    )


def _metric(name: str, compute: Any) -> type:
    from nn_core.contracts import Metric

    return type(name, (Metric,), {"__doc__": f"{name}.", "name": name, "compute": compute})


def test_the_kit_calls_a_metric_as_nn_does() -> None:
    # The kit checked metrics for identity only: a metric that broke on a one-sigmoid-unit
    # model, returned NaN or reordered nn's arrays in place passed it.
    from nn_core.errors import DataError
    from nn_core.testing import ConformanceError, check_metric

    def first_two_columns(self: Any, y: Any, proba: Any) -> float:
        if y.dtype.kind == "f":
            raise DataError("labels only")
        return float(np.mean(proba[:, 1] > proba[:, 0]))

    def nan(self: Any, y: Any, proba: Any) -> float:
        return float("nan")

    def sorts(self: Any, y: Any, proba: Any) -> float:
        proba.sort(axis=0)
        return 0.0

    def never(self: Any, y: Any, proba: Any) -> float:
        raise DataError("never")

    def fine(self: Any, y: Any, proba: Any) -> float:
        if y.dtype.kind == "f":
            raise DataError("labels only")
        return float(np.mean((proba[:, 0] > 0.5) == y) if proba.shape[1] == 1 else np.mean(proba.argmax(1) == y))

    cases = [
        (first_two_columns, r"compute on a one-sigmoid-unit binary model .* raised IndexError: .*raises nn_core"),
        (nan, r"compute on a one-sigmoid-unit binary model .* returned nan; a metric returns a finite number"),
        (sorts, r"changed its inputs in place; the next metric reads them"),
        (never, r"raised DataError on every kind of target .*: it applies to none"),
    ]
    for compute, message in cases:
        with pytest.raises(ConformanceError, match=message):
            check_metric(
                _metric(compute.__name__, compute), registry=build_registry(get_plugin_manager(entry_point_group=None))
            )
    check_metric(_metric("fine", fine), registry=build_registry(get_plugin_manager(entry_point_group=None)))
