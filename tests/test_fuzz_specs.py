"""Property tests: every spec in specs/, mutated, ends in a valid spec or a SpecError with paths.

With nn-numpy and nn-datasets installed, each tutorial spec is edited at
random (values replaced, keys dropped or added, components wrapped, text cut
or garbled, ``--set`` overrides) and loaded: the outcome is a :class:`Spec`
or a :class:`SpecError` whose issues each have a path and a one-line message.
A sample goes through ``nn validate`` (in-process and as a subprocess): a
non-zero exit, one ``nn: error:`` line per problem, no traceback. Specs that
still validate build and train for a couple of epochs, failing (if at all)
only with nn's own errors.

Deterministic: ``derandomize=True`` and no example database.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from nn_core import build, cli, train
from nn_core.errors import NNError
from nn_core.plugins import load_plugins
from nn_core.spec import Spec, SpecError, load_spec

SPECS = sorted((Path(__file__).resolve().parents[1] / "specs").glob("*.yaml"))
TEXTS = {path.name: path.read_text(encoding="utf-8") for path in SPECS}
DOCS = {name: yaml.safe_load(text) for name, text in TEXTS.items()}
REGISTRY = load_plugins().registry

FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FEW = settings(FUZZ, max_examples=40)


def paths_of(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, sub in value.items():
            yield from paths_of(sub, prefix + (key,))
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            yield from paths_of(sub, prefix + (index,))


def at(doc: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        doc = doc[part]
    return doc


# every key and string value of the specs, so that edits often stay meaningful
WORDS = sorted(
    {str(part) for doc in DOCS.values() for path in paths_of(doc) for part in path if isinstance(part, str)}
    | {v for doc in DOCS.values() for path in paths_of(doc) if isinstance(v := at(doc, path), str)}
    | {"dense", "dropout", "batch_norm", "relu", "tanh", "sigmoid", "softmax", "full", "none", "adam", "momentum"}
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.sampled_from([0, 1, 2, 3, -1, 10**6, 2**31, 2**64]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, 0.5, 1.0, 1e-12, 1e12]),
    st.text(max_size=12),
    st.sampled_from(WORDS),
)
keys = st.one_of(st.sampled_from(WORDS), st.sampled_from(WORDS), st.text(max_size=8))
values = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=4)),
    max_leaves=20,
)


@st.composite
def mutated(draw: st.DrawFn, values: st.SearchStrategy[Any] = values) -> tuple[str, Any]:
    """(spec name, its document after 1-4 random edits)."""
    name = draw(st.sampled_from(sorted(DOCS)))
    doc = json.loads(json.dumps(DOCS[name]))
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from([p for p in paths_of(doc) if p]))
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        last = path[-1]
        action = draw(st.sampled_from(["replace", "delete", "add", "wrap", "append"]))
        if action == "replace":
            parent[last] = draw(values)
        elif action == "delete":
            del parent[last]
        elif action == "add" and isinstance(parent[last], dict):
            parent[last][draw(keys)] = draw(values)
        elif action == "wrap":
            parent[last] = draw(st.sampled_from([[parent[last]], {"type": parent[last]}]))
        elif action == "append" and isinstance(parent[last], list):
            parent[last].append(draw(values))
    return name, doc


def note(label: str) -> None:
    """Count an outcome in hypothesis's statistics (``--hypothesis-show-statistics``)."""
    with contextlib.suppress(Exception):  # outside a hypothesis test
        event(label)


def check(load: Callable[[], Any]) -> Spec | SpecError:
    """A Spec, or a SpecError whose every issue has a path and a one-line message."""
    try:
        result = load()
    except SpecError as error:
        assert error.issues
        for issue in error.issues:
            assert isinstance(issue.path, tuple)
            assert all(isinstance(part, (str, int)) for part in issue.path)
            assert issue.message and "\n" not in issue.message, issue.message
        assert len(str(error).splitlines()) == len(error.issues)
        note("SpecError")
        return error
    assert isinstance(result, Spec)
    note("valid")
    return result


@pytest.fixture(scope="module")
def tmp_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


def test_every_spec_is_fuzzed() -> None:
    assert len(DOCS) >= 12
    for name in DOCS:
        assert isinstance(load_spec(DOCS[name], registry=REGISTRY), Spec), name


@FUZZ
@given(mutated())
def test_mutated_specs(tmp_dir: Path, case: tuple[str, Any]) -> None:
    name, doc = case
    check(lambda: load_spec(doc, registry=REGISTRY))
    path = tmp_dir / name
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    check(lambda: load_spec(path, registry=REGISTRY))
    path = tmp_dir / (name[: -len(".yaml")] + ".json")
    path.write_text(json.dumps(doc), encoding="utf-8")
    check(lambda: load_spec(path, registry=REGISTRY))


SNIPPETS = [b": ", b"- ", b"&a ", b"*a", b"!!python/name:os.system ", b"{", b"[", b"\t", b"\xff", b"\x00", b"#"]


@FUZZ
@given(st.sampled_from(sorted(TEXTS)), st.data())
def test_garbled_spec_files(tmp_dir: Path, name: str, data: st.DataObject) -> None:
    """Byte-level damage: cuts, insertions, bit flips and swapped lines of the spec file."""
    raw = bytearray(TEXTS[name].encode("utf-8"))
    for _ in range(data.draw(st.integers(1, 4))):
        action = data.draw(st.sampled_from(["cut", "insert", "flip", "swap", "truncate"]))
        at = data.draw(st.integers(0, len(raw)))
        if action == "cut":
            del raw[at : at + data.draw(st.integers(1, 30))]
        elif action == "insert":
            raw[at:at] = data.draw(st.binary(min_size=1, max_size=8) | st.sampled_from(SNIPPETS))
        elif action == "flip" and raw:
            index = min(at, len(raw) - 1)
            raw[index] ^= 1 << data.draw(st.integers(0, 7))
        elif action == "swap":
            lines = bytes(raw).split(b"\n")
            i, j = data.draw(st.integers(0, len(lines) - 1)), data.draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            raw = bytearray(b"\n".join(lines))
        elif action == "truncate":
            del raw[at:]
    path = tmp_dir / name
    path.write_bytes(bytes(raw))
    check(lambda: load_spec(path, registry=REGISTRY))


override_paths = st.sampled_from(
    sorted({".".join(str(p) for p in path) for doc in DOCS.values() for path in paths_of(doc) if path})
)
override_values = st.one_of(
    st.sampled_from(["0", "1", "-1", "1e3", "2.5", "full", "true", "null", "[]", "{}", "[1, 2]", "relu", "", ".nan"]),
    st.text(max_size=12),
)


@FUZZ
@given(st.sampled_from(SPECS), st.lists(st.builds("{}={}".format, override_paths, override_values), max_size=3))
def test_overrides_of_specs(spec: Path, sets: list[str]) -> None:
    check(lambda: load_spec(spec, sets, registry=REGISTRY))


TRAINABLE = sorted(name for name in DOCS if not name.startswith(("mnist", "welch-iris")))  # no Kaggle data here


COMPONENT_NAMES = sorted(
    {name for kind in ("activation", "initializer", "loss", "optimizer", "metric") for name in REGISTRY.names(kind)}
    | {"full", "standard", "minmax", "none", "float32"}
)


@st.composite
def tweaked(draw: st.DrawFn) -> tuple[str, Any]:
    """(spec name, its document with 1-3 scalars replaced by small values of the same type)."""
    name = draw(st.sampled_from(TRAINABLE))
    doc = json.loads(json.dumps(DOCS[name]))
    leaves = [p for p in paths_of(doc) if p and not isinstance(at(doc, p), (dict, list)) and p[-1] != "epochs"]
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(leaves))
        value = at(doc, path)
        if isinstance(value, bool):
            new: Any = draw(st.booleans())
        elif isinstance(value, int):
            new = draw(st.integers(1, 40))
        elif isinstance(value, float):
            new = draw(st.sampled_from([0.0, 1e-4, 0.01, 0.1, 0.5, 0.99, 1.0, 2.0, 10.0]))
        else:
            new = draw(st.sampled_from(COMPONENT_NAMES))
        at(doc, path[:-1])[path[-1]] = new
    return name, doc


@settings(FUZZ, max_examples=150)
@given(tweaked())
def test_valid_tweaks_build_and_train(case: tuple[str, Any]) -> None:
    """What validates also builds and trains (2 epochs), or stops with one of nn's own errors."""
    name, doc = case
    outcome = check(lambda: load_spec(doc, ["training.epochs=2"], registry=REGISTRY))
    if isinstance(outcome, SpecError):
        return
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("error")
        try:
            train(build(outcome, REGISTRY))
            note("trained")
        except NNError as exc:
            assert "\n" not in str(exc)
            note(f"{type(exc).__name__}: {str(exc)[:40]}")


# -- the CLI -------------------------------------------------------------------------------------------------------


@FEW
@given(mutated())
def test_cli_validate_sample(tmp_dir: Path, case: tuple[str, Any]) -> None:
    name, doc = case
    path = tmp_dir / f"cli-{name}"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    expected = check(lambda: load_spec(path, registry=REGISTRY))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["validate", str(path)])
    assert "Traceback" not in err.getvalue()
    lines = [line for line in err.getvalue().splitlines() if not line.startswith("nn: warning:")]
    if isinstance(expected, Spec):
        assert code == 0 and not lines
    else:
        assert code == SpecError.exit_code
        assert len(lines) == len(expected.issues)
        assert all(line.startswith("nn: error: ") for line in lines)


BAD_SPECS: dict[str, str | bytes] = {
    "alias": "a: &x 1\nb: *x\n",
    "python tag": "name: !!python/object/apply:os.system ['echo pwned']\n",
    "typo": TEXTS["spirals.yaml"].replace("tanh", "tahn").replace("epochs", "epoch"),
    "float epochs": TEXTS["moons-ffnn.yaml"] + "\n",
    "deep": "[" * 10_000,
    "binary": b"\x00\x01\x02\xff\xfe",
}


@pytest.mark.parametrize("name", sorted(BAD_SPECS))
def test_nn_validate_subprocess(name: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    text = BAD_SPECS[name]
    if name == "float epochs":
        assert isinstance(text, str)
        doc = yaml.safe_load(text)
        doc["training"]["epochs"] = float(doc["training"]["epochs"])
        text = yaml.safe_dump(doc)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    expected = check(lambda: load_spec(path, registry=REGISTRY))
    assert isinstance(expected, SpecError)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "nn_core.cli", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == SpecError.exit_code, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if not line.startswith("nn: warning:")]
    assert len(lines) == len(expected.issues)
    assert all(line.startswith("nn: error: ") for line in lines)
    assert not (tmp_path / "pwned").exists()
