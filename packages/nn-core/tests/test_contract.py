"""Plugin contract v2, driven through the fake backend whose arrays are not numpy arrays.

Every test here trains, checkpoints, resumes or saves through ``fakes.FakeBackend``:
its ``Box`` refuses numpy conversion, so any place where nn-core treats a
backend array as numpy fails here. Also: the contract version check, pluggy's
own dispatch of lifecycle hooks (wrappers, tracing, misspelt hooks), backend
dtypes and devices in the schema, and the import graph.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
from fakes import SPEC, V2, Box, Tanh, fake_plugins

from nn_core import build, hookimpl, load_spec, train
from nn_core.checkpoint import Checkpointer, load_checkpoint, restore
from nn_core.contracts import CONTRACT_VERSION, ClosureMinimizer, StepOptimizer
from nn_core.errors import NNError, PluginError
from nn_core.model import load_model, model_from_run
from nn_core.modelfile import section
from nn_core.plugins import Plugins, load_plugins
from nn_core.spec import SpecError

JITTER = ["model.layers[1]={type: jitter, scale: 0.2}", "model.layers[2]={type: linear, units: 1}"]
MOMENTUM = ["optimizer.momentum=0.9", "optimizer.lr=0.05"]


def spec_of(tmp_path: Path, plugins: Plugins, *overrides: str) -> Any:
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC)
    return load_spec(path, list(overrides), plugins=plugins)


# -- arrays never leave the backend except as numpy by name ---------------------------------------


def test_the_fake_backends_arrays_refuse_numpy() -> None:
    boxed = Box(np.zeros(3))
    with pytest.raises(TypeError, match="not a numpy array"):
        np.asarray(boxed)
    with pytest.raises(TypeError):
        np.add(boxed, 1)
    with pytest.raises(TypeError):
        boxed[0]  # type: ignore[index]


def test_training_drives_a_backend_whose_arrays_are_not_numpy(tmp_path: Path) -> None:
    plugins = fake_plugins()
    spec = spec_of(tmp_path, plugins, *JITTER, *MOMENTUM, "training.batch_size=4")
    run = train(build(spec, plugins=plugins), plugins=plugins)
    losses = [row["train"]["loss"] for row in run.history]
    assert losses[-1] < 0.2 * losses[0]
    assert isinstance(run.experiment.splits["train"].X, Box)  # the loop only ever held Boxes


def test_checkpoint_resume_is_bit_identical_with_optimizer_buffer_and_generator_state(tmp_path: Path) -> None:
    """Momentum's velocity, jitter's running buffer and its generator cross the checkpoint
    as numpy arrays by name; resuming mid-run ends in exactly the uninterrupted weights."""
    plugins = fake_plugins()
    ckpt = tmp_path / "ckpt"
    overrides = [*JITTER, *MOMENTUM, "training.batch_size=6", "training.epochs=12"]
    spec = spec_of(tmp_path, plugins, *overrides, f"training.checkpoint={{dir: {ckpt}, every: 5, keep: 5}}")
    straight = train(build(spec, plugins=plugins), plugins=plugins)

    path = ckpt / "epoch-000005.ckpt"
    arrays, meta = load_checkpoint(path)
    assert set(section(arrays, "optimizer")) == {f"velocity.layers.{i}.{p}" for i in (0, 2) for p in ("weight", "bias")}
    assert meta["optimizer_scalars"] == {"steps": 5 * 4}  # 20 samples in batches of 6: 4 steps per epoch
    assert set(section(arrays, "rng")) == {"layers.1.generator"}
    assert "layers.1.running_scale" in section(arrays, "weights")
    assert all(type(a) is np.ndarray for a in arrays.values())

    resumed_experiment = build(spec, plugins=plugins)
    state = restore(resumed_experiment, arrays, meta, str(path))
    resumed = train(resumed_experiment, plugins=plugins, resume=state)
    a, b = straight.experiment.network.state_arrays(), resumed.experiment.network.state_arrays()
    assert a.keys() == b.keys()
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])
    assert straight.history == resumed.history


def test_a_contract_v1_checkpoint_is_refused_in_one_line(tmp_path: Path) -> None:
    from nn_core.errors import ModelFileError
    from nn_core.modelfile import read_archive, write_archive

    plugins = fake_plugins()
    ckpt = tmp_path / "ckpt"
    spec = spec_of(tmp_path, plugins, "training.epochs=2", f"training.checkpoint={{dir: {ckpt}}}")
    train(build(spec, plugins=plugins), plugins=plugins)
    arrays, meta = read_archive(ckpt / "epoch-000002.ckpt", "checkpoint")
    old = tmp_path / "old.ckpt"
    spec_v1 = {k: v for k, v in meta["spec"].items() if k != "device"}
    write_archive(old, "checkpoint", arrays, {**meta, "spec": spec_v1, "rng": {}})  # as nn-core 0.1 wrote them
    with pytest.raises(ModelFileError, match=r"was written by nn-core 0\.1 \(plugin contract v1\)"):
        restore(build(spec, plugins=plugins), *load_checkpoint(old), str(old))


def test_model_file_round_trip_through_the_fake_backend(tmp_path: Path) -> None:
    plugins = fake_plugins()
    spec = spec_of(tmp_path, plugins, *JITTER, "data.dataset.classify=true", "metrics=[accuracy]")
    run = train(build(spec, plugins=plugins), plugins=plugins)
    path = tmp_path / "model.nn"
    model_from_run(run).save(path)
    loaded = load_model(path, plugins=plugins)
    X = np.linspace(-1, 1, 9)[:, None]
    np.testing.assert_array_equal(loaded.predict_proba(X), model_from_run(run).predict_proba(X))
    assert loaded.metadata["backend"] == "fake" and loaded.metadata["dtype"] == "float64"
    saved = loaded.network.state_arrays()
    np.testing.assert_array_equal(
        saved["layers.1.running_scale"], run.experiment.network.state_arrays()["layers.1.running_scale"]
    )


def test_a_tensor_in_an_optimizer_state_dict_is_named_not_pickled(tmp_path: Path) -> None:
    plugins = fake_plugins()
    run = train(build(spec_of(tmp_path, plugins, "training.epochs=2"), plugins=plugins), plugins=plugins)
    optimizer = run.experiment.optimizer
    optimizer.state_dict = lambda: {"velocity": Box(np.zeros(2))}  # type: ignore[method-assign]
    writer = Checkpointer(str(tmp_path / "ckpt"), every=1, keep=1)
    state = {"next_epoch": 3, "next_step": 0, "shuffle_state": np.random.default_rng().bit_generator.state}
    with pytest.raises(NNError, match=r"optimizer descent: state_dict\(\)\['velocity'\] is a Box; contract v2"):
        writer.write(run, state)


def test_closure_minimizer_through_numpy_vectors_only(tmp_path: Path) -> None:
    plugins = fake_plugins()
    spec = spec_of(tmp_path, plugins, "optimizer=steepest", "training.epochs=40", "training.log_every=10")
    experiment = build(spec, plugins=plugins)
    assert isinstance(experiment.optimizer, ClosureMinimizer) and not isinstance(experiment.optimizer, StepOptimizer)
    run = train(experiment, plugins=plugins)
    assert run.epoch == 40 and [row["epoch"] for row in run.history] == [0, 10, 20, 30, 40]
    assert run.history[-1]["train"]["loss"] < run.history[0]["train"]["loss"]
    assert run.stop_reason == "steepest: stopped after 40 iterations: training.epochs (40) reached"


def test_closure_minimizer_that_converges_says_why(tmp_path: Path) -> None:
    plugins = fake_plugins()
    spec = spec_of(tmp_path, plugins, "optimizer={type: steepest, tol: 0.05}", "training.epochs=500")
    run = train(build(spec, plugins=plugins), plugins=plugins)
    assert run.epoch < 500
    assert run.stop_reason is not None and run.stop_reason.startswith("steepest: converged: gradient norm")


# -- backends declare dtypes and devices ----------------------------------------------------------


def test_dtype_and_device_default_to_the_backends(tmp_path: Path) -> None:
    spec = spec_of(tmp_path, fake_plugins())
    assert (spec.dtype, spec.device) == ("float64", "cpu")


def test_unknown_device_is_a_spec_error_at_its_path(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as err:
        spec_of(tmp_path, fake_plugins(), "device=tpu")
    [issue] = err.value.issues
    assert issue.path == ("device",) and "'tpu' is not one of cpu, fakegpu" in str(issue)


def test_known_device_missing_on_this_machine_is_one_line(tmp_path: Path) -> None:
    plugins = fake_plugins()
    spec = spec_of(tmp_path, plugins, "device=fakegpu")
    expected = r"^\(--set device=fakegpu\): device: 'fakegpu' is not available on this machine for backend 'fake' "
    with pytest.raises(NNError, match=expected):
        build(spec, plugins=plugins)


def test_missing_device_written_in_the_file_names_its_line(tmp_path: Path) -> None:
    """The device is only found missing at build time; the error still points at the line that asked for it."""
    plugins = fake_plugins()
    path = tmp_path / "spec.yaml"
    path.write_text("device: fakegpu\n" + SPEC)
    spec = load_spec(path, plugins=plugins)
    with pytest.raises(NNError) as err:
        build(spec, plugins=plugins)
    assert str(err.value).startswith(f"{path}:1:9: device: 'fakegpu' is not available on this machine")
    assert "\n" not in str(err.value)


def test_dtype_the_backend_lacks_is_one_error_at_its_path(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as err:
        spec_of(tmp_path, fake_plugins(), "dtype=float16")
    [issue] = err.value.issues
    assert issue.path == ("dtype",) and "'float16' is not one of float64, float32" in str(issue)


def test_unknown_backend_is_one_error_not_one_per_component(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as err:
        spec_of(tmp_path, fake_plugins(), "backend=torch")
    [issue] = err.value.issues
    assert issue.path == ("backend",) and "unknown backend 'torch'" in str(issue)


def test_any_backend_kinds_are_found_for_every_backend() -> None:
    registry = fake_plugins().registry
    for kind, name in (("initializer", "he_normal"), ("schedule", "step"), ("metric", "accuracy")):
        assert registry.get(kind, name, "fake") is registry.get(kind, name, "another")


def test_an_any_backend_class_and_a_backend_class_of_one_name_clash() -> None:
    class AnyTanh(Tanh):
        """tanh for every backend (not allowed: activations are compute)."""

    class Mine(V2):
        @staticmethod
        @hookimpl
        def nn_components() -> list[type]:
            class Constant(Tanh):  # a backend-specific "initializer"-named rival of nn-core's any-backend one
                """A rival constant initializer bound to the fake backend."""

                kind: ClassVar[str] = "initializer"
                name: ClassVar[str] = "constant"

            return [Constant]

    registry = fake_plugins((Mine, "nn-mine")).registry
    with pytest.raises(PluginError, match=r"initializer 'constant' is provided by both nn-core 0 and nn-mine 0"):
        registry.get("initializer", "constant", "fake")
    assert any("provided by both" in str(p) for p in registry.problems)


# -- the contract version ------------------------------------------------------------------------


class OldPlugin:
    """A plugin written for contract v1: no nn_contract_version hook."""

    @staticmethod
    @hookimpl
    def nn_components() -> list[type]:
        class OldTanh(Tanh):
            """A v1 activation."""

            name = "old_tanh"

        return [OldTanh]


class FuturePlugin(V2):
    @staticmethod
    @hookimpl
    def nn_contract_version() -> int:
        return 3

    @staticmethod
    @hookimpl
    def nn_components() -> list[type]:
        return []


def test_a_v1_plugin_is_refused_in_one_line_naming_its_distribution(tmp_path: Path) -> None:
    assert CONTRACT_VERSION == 2
    plugins = fake_plugins((OldPlugin, "nn-old-plugin"))
    [problem] = plugins.problems
    line = str(problem)
    assert line.startswith("nn-old-plugin 0 was written for nn's plugin contract v1; this nn needs v2 (")
    assert "initializers return numpy arrays" in line and "optimizers are StepOptimizer or ClosureMinimizer" in line
    assert line.endswith("see docs/plugins.md#contract-v2") and "\n" not in line
    assert "old_tanh" not in plugins.registry.names("activation", "fake")  # none of its components
    with pytest.raises(SpecError) as err:  # a spec naming one is a spec error at its path, never a traceback
        spec_of(tmp_path, plugins, "model.layers[0].activation=old_tanh")
    [issue] = err.value.issues
    assert issue.path == ("model", "layers", 0, "activation") and "unknown activation 'old_tanh'" in str(issue)
    assert str(issue).endswith(
        "(nn-old-plugin 0 provides activation 'old_tanh' but was written for another plugin contract; "
        "see docs/plugins.md#contract-v2)"
    )


def test_a_plugin_for_a_newer_contract_is_refused() -> None:
    [problem] = fake_plugins((FuturePlugin, "nn-future")).problems
    assert str(problem) == (
        "nn-future 0 was written for nn's plugin contract v3; this nn (nn-core) supports v2: upgrade nn-core"
    )


def test_the_cli_prints_a_v1_plugin_once_and_trains(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from fakes import install

    from nn_core import cli

    install(monkeypatch, fake_plugins((OldPlugin, "nn-old-plugin")))
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    assert cli.main(["train", str(spec), "-q", "--set", "training.epochs=3"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("nn: warning: nn-old-plugin 0 was written for nn's plugin contract v1")


# -- lifecycle hooks dispatched by pluggy ----------------------------------------------------------


class Wrapper:
    """A new-style pluggy wrapper around nn_epoch_end: sees every result, may change none."""

    def __init__(self) -> None:
        self.epochs: list[int] = []

    @hookimpl(wrapper=True)
    def nn_epoch_end(self, run: Any, epoch: int, metrics: Any) -> Any:
        results = yield
        self.epochs.append(epoch)
        return results


def test_a_wrapper_hook_wraps_and_training_goes_on(tmp_path: Path) -> None:
    wrapper = Wrapper()
    plugins = fake_plugins((wrapper, "nn-wrapper"))
    run = train(build(spec_of(tmp_path, plugins, "training.epochs=7"), plugins=plugins), plugins=plugins)
    assert run.epoch == 7  # a wrapper's generator is not read as "stop"
    assert wrapper.epochs == [1, 2, 3, 4, 5, 6, 7]


def test_nn_trace_hooks_traces_every_hook_call(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    code = f"""
import sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
from fakes import fake_plugins
from test_contract import Wrapper
from nn_core import build, load_spec, train
plugins = fake_plugins((Wrapper(), "nn-wrapper"))
spec = load_spec({str(spec)!r}, ["training.epochs=2"], plugins=plugins)
train(build(spec, plugins=plugins), plugins=plugins)
"""
    env = {"NN_TRACE_HOOKS": "1", "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    traced = result.stderr
    assert "nn_train_start" in traced and "nn_train_end" in traced
    assert traced.count("nn_epoch_end") >= 2  # once per epoch (call and its result)
    assert "run: Run(spec='line-fit', epoch=1, logged=1)" in traced  # short lines, not whole datasets


class Misspelt(V2):
    @staticmethod
    @hookimpl
    def nn_epoch_ends(run: Any, epoch: int, metrics: Any) -> None:
        raise AssertionError("never called")

    @staticmethod
    @hookimpl
    def nn_components() -> list[type]:
        return []


def test_a_misspelt_hook_is_reported_naming_its_distribution() -> None:
    plugins = fake_plugins((Misspelt, "nn-typo"))
    [problem] = plugins.problems
    assert problem.distribution == "nn-typo"
    assert "unknown hook 'nn_epoch_ends'; did you mean 'nn_epoch_end'?" in str(problem)


class Boom(V2):
    @staticmethod
    @hookimpl
    def nn_epoch_end(run: Any, epoch: int, metrics: Any) -> None:
        if epoch == 2:
            raise ValueError("kaboom\nmore detail")


def test_a_failing_hook_names_its_distribution_in_one_line(tmp_path: Path) -> None:
    plugins = fake_plugins((Boom, "nn-boom"))
    with pytest.raises(PluginError) as err:
        train(build(spec_of(tmp_path, plugins), plugins=plugins), plugins=plugins)
    assert str(err.value) == "plugin 'nn-boom:Boom' failed in nn_epoch_end: ValueError: kaboom"
    assert isinstance(err.value.__cause__, ValueError)


def test_no_plugins_object_is_shared_between_loads() -> None:
    first, second = load_plugins(entry_point_group=None), load_plugins(entry_point_group=None)
    assert first is not second and first.pm is not second.pm


# -- the import graph --------------------------------------------------------------------------------


def _imports(path: Path, package_root: Path) -> set[str]:
    """nn_core modules a module imports, at any depth (lazy imports too), outside TYPE_CHECKING blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("nn_core"):
            found.add(node.module)
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                if (package_root / Path(*candidate.split(".")[1:])).with_suffix(".py").exists():
                    found.add(candidate)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("nn_core"))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def test_training_callbacks_checkpoint_and_model_import_no_cycle() -> None:
    import nn_core

    root = Path(nn_core.__file__).parent
    names = {"training", "callbacks", "checkpoint", "model", "run"}
    graph = {f"nn_core.{n}": _imports(root / f"{n}.py", root) for n in names}

    def reaches(start: str, target: str, seen: set[str]) -> bool:
        for nxt in graph.get(start, ()):
            if nxt == target or (nxt not in seen and reaches(nxt, target, seen | {nxt})):
                return True
        return False

    cyclic = sorted(m for m in graph if reaches(m, m, {m}))
    assert cyclic == [], f"import cycle through {cyclic}"
    assert "nn_core.training" not in graph["nn_core.model"] and "nn_core.training" not in graph["nn_core.callbacks"]


def test_a_model_file_moves_to_another_installed_backend(tmp_path: Path) -> None:
    """Trained on "fake", loaded where only "fake2" is installed: same names, same weights, same predictions."""
    from fakes import COMPONENTS, FakeBackend

    plugins = fake_plugins()
    spec = spec_of(tmp_path, plugins, *JITTER, "data.dataset.classify=true", "metrics=[accuracy]")
    run = train(build(spec, plugins=plugins), plugins=plugins)
    path = tmp_path / "model.nn"
    model_from_run(run).save(path)

    # The same components registered for a second backend, "fake2", and "fake" not installed.
    moved = [type(c.__name__, (c,), {"backend": "fake2"}) for c in COMPONENTS if c.backend == "fake"]
    backend2 = type("Fake2Backend", (FakeBackend,), {"name": "fake2", "__doc__": "fake, moved"})
    others = [c for c in COMPONENTS if c.backend is None and c is not FakeBackend]

    class Fake2(V2):
        @staticmethod
        @hookimpl
        def nn_components() -> list[type]:
            return [*moved, *others, backend2]

    import nn_core.builtins
    from nn_core.plugins import build_registry, get_plugin_manager

    pm = get_plugin_manager(entry_point_group=None, plugins=[(nn_core.builtins, "nn-core"), (Fake2, "nn-fake2")])
    elsewhere = Plugins(pm, build_registry(pm))
    loaded = load_model(path, plugins=elsewhere)
    assert loaded.spec.backend == "fake2" and loaded.metadata["trained_on_backend"] == "fake"
    X = np.linspace(-1, 1, 9)[:, None]
    np.testing.assert_array_equal(loaded.predict_proba(X), model_from_run(run).predict_proba(X))


def test_default_backend_is_numpy_else_the_only_one_else_required(tmp_path: Path) -> None:
    from fakes import FakeBackend

    without_backend = SPEC.replace("backend: fake\n", "")
    path = tmp_path / "spec.yaml"
    path.write_text(without_backend)
    assert load_spec(path, plugins=fake_plugins()).backend == "fake"  # the only installed backend

    class Second(V2):
        @staticmethod
        @hookimpl
        def nn_components() -> list[type]:
            return [type("OtherBackend", (FakeBackend,), {"name": "other", "__doc__": "another"})]

    with pytest.raises(SpecError) as err:
        load_spec(path, plugins=fake_plugins((Second, "nn-other")))
    [issue] = err.value.issues
    assert "missing required key 'backend': several backends are installed (fake, other); name one" in str(issue)
