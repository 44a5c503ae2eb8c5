"""Property tests of the spec path: any document ends in a valid spec or a SpecError with paths.

Arbitrary YAML/JSON documents, mutations of a working spec, arbitrary text and
bytes, overrides, YAML tags and aliases: ``load_spec`` either returns a
:class:`Spec` or raises :class:`SpecError` whose issues each have a JSON path
and a one-line message. Never another exception, never a hang: deep, wide and
large documents are refused quickly, and nothing a document says is ever
constructed. nn-core's own tests run with no plugin installed, so the fake
backend of ``fakes.py`` stands in for one.

The suites are deterministic (``derandomize=True``, no example database) with
fixed budgets, so CI runs the same examples every time.
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fakes import SPEC, fake_registry
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from nn_core import cli, plugins
from nn_core.spec import Document, Spec, SpecError, load_spec, parse_json, parse_yaml, read_spec
from nn_core.spec import loader as spec_loader

PM, REGISTRY = fake_registry()
BASE: dict[str, Any] = yaml.safe_load(SPEC)

FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FEW = settings(FUZZ, max_examples=60)

# Words the spec schema and the fake plugin know, so mutations often reach deep validation paths.
WORDS = [
    "name", "seed", "dtype", "backend", "data", "dataset", "split", "dev", "test", "scale", "model", "layers",
    "regularizer", "loss", "optimizer", "schedule", "training", "epochs", "batch_size", "shuffle", "log_every",
    "checkpoint", "dir", "every", "keep", "early_stopping", "monitor", "patience", "min_delta", "restore_best",
    "log", "callbacks", "metrics", "type", "units", "activation", "lr", "n", "classify", "features", "targets",
    "classes", "line", "inline", "linear", "tanh", "identity", "half_squares", "descent", "fake", "numpy",
    "accuracy", "full", "float32", "float64", "standard", "minmax", "none", "dev.loss", "train.accuracy",
    "out.csv", "log.jsonl",
]  # fmt: skip


# -- strategies -------------------------------------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, 1, 2, -1, 2**31, 2**32, 2**63, 10**30]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, 0.5, 1.0, 2.0, -0.0, 1e-300, 1e300]),
    st.text(max_size=20),
    st.sampled_from(WORDS),
)
printable = st.text(st.characters(exclude_categories=("Cc", "Cf", "Cn", "Co", "Cs", "Zl", "Zp")), max_size=12)
keys = st.one_of(st.sampled_from(WORDS), st.sampled_from(WORDS), printable, st.text(max_size=6))
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(keys, children, max_size=6),
    ),
    max_leaves=40,
)


def paths_of(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every JSON path in ``value``, the root included."""
    yield prefix
    if isinstance(value, dict):
        for key, sub in value.items():
            yield from paths_of(sub, prefix + (key,))
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            yield from paths_of(sub, prefix + (index,))


def _parent(doc: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        doc = doc[part]
    return doc


@st.composite
def mutated(draw: st.DrawFn, base: Any, values: st.SearchStrategy[Any] = json_values) -> Any:
    """``base`` after 1-4 random edits: replace, delete, add a key, wrap, or append."""
    doc = json.loads(json.dumps(base))
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(list(paths_of(doc))))
        action = draw(st.sampled_from(["replace", "delete", "add", "wrap", "append", "retype"]))
        if not path:
            if action == "replace":
                doc = draw(values)
            continue
        parent, last = _parent(doc, path), path[-1]
        if action == "replace":
            parent[last] = draw(values)
        elif action == "delete":
            del parent[last]
        elif action == "add" and isinstance(parent[last], dict):
            parent[last][draw(keys)] = draw(values)
        elif action == "wrap":
            parent[last] = draw(st.sampled_from([[parent[last]], {"type": parent[last]}, {draw(keys): parent[last]}]))
        elif action == "append" and isinstance(parent[last], list):
            parent[last].append(draw(values))
        elif action == "retype":
            value = parent[last]
            parent[last] = draw(
                st.sampled_from([str(value), float(value) if isinstance(value, (int, float)) else 0.5, [], {}, None])
            )
    return doc


yaml_text = st.text(
    alphabet=st.sampled_from(list("abcdefxyz0123456789.-+eE_:,[]{}#&*!|>'\"%@`?<=~ \t\n\\/")),
    max_size=200,
)


# -- checks -----------------------------------------------------------------------------------------------------


def check(load: Callable[[], Any], expect: type = Spec) -> Any:
    """Run ``load``: an ``expect`` (a Spec), or a SpecError whose every issue has a path and a one-line message."""
    try:
        result = load()
    except SpecError as error:
        assert error.issues, "a SpecError lists at least one problem"
        for issue in error.issues:
            assert isinstance(issue.path, tuple)
            assert all(isinstance(part, (str, int)) for part in issue.path)
            assert issue.message and "\n" not in issue.message, issue.message
        assert len(str(error).splitlines()) == len(error.issues)
        with contextlib.suppress(Exception):  # outside a hypothesis test
            event(f"SpecError: {error.issues[0].message[:30]}")
        return error
    assert isinstance(result, expect)
    with contextlib.suppress(Exception):
        event(f"valid {type(result).__name__}")
    return result


@pytest.fixture(scope="module")
def tmp_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def as_yaml(doc: Any) -> str:
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


# -- arbitrary and mutated documents -----------------------------------------------------------------------------


def test_the_fake_spec_is_valid() -> None:
    assert isinstance(load_spec(BASE, registry=REGISTRY), Spec)


@FUZZ
@given(json_values)
def test_arbitrary_documents(doc: Any) -> None:
    if isinstance(doc, dict):
        check(lambda: load_spec(doc, registry=REGISTRY))
    check(lambda: parse_json(json.dumps(doc)), Document)
    document = check(lambda: parse_yaml(as_yaml(doc)), Document)
    if isinstance(document, Document) and isinstance(document.data, dict):
        check(lambda: load_spec(document.data, registry=REGISTRY))


@FUZZ
@given(mutated(BASE))
def test_mutated_spec_as_data(doc: Any) -> None:
    if isinstance(doc, dict):
        check(lambda: load_spec(doc, registry=REGISTRY))


@FUZZ
@given(mutated(BASE), st.sampled_from(["yaml", "json"]))
def test_mutated_spec_as_file(tmp_dir: Path, doc: Any, fmt: str) -> None:
    text = as_yaml(doc) if fmt == "yaml" else json.dumps(doc, indent=1)
    path = write(tmp_dir, f"spec.{fmt}", text)
    check(lambda: load_spec(path, registry=REGISTRY))


@FUZZ
@given(yaml_text)
def test_yaml_like_text(tmp_dir: Path, text: str) -> None:
    path = write(tmp_dir, "text.yaml", text)
    check(lambda: load_spec(path, registry=REGISTRY))
    check(lambda: read_spec(path), Document)


@FUZZ
@given(st.binary(max_size=300), st.sampled_from(["yaml", "json"]))
def test_arbitrary_bytes(tmp_dir: Path, data: bytes, fmt: str) -> None:
    path = write(tmp_dir, f"bytes.{fmt}", data)
    check(lambda: load_spec(path, registry=REGISTRY))


@FUZZ
@given(st.data())
def test_text_edits_of_the_spec_file(tmp_dir: Path, data: st.DataObject) -> None:
    """Cut, insert or replace characters of the YAML text itself."""
    text = SPEC
    for _ in range(data.draw(st.integers(1, 3))):
        start = data.draw(st.integers(0, len(text)))
        end = data.draw(st.integers(start, min(len(text), start + 20)))
        text = text[:start] + data.draw(yaml_text.map(lambda t: t[:10])) + text[end:]
    path = write(tmp_dir, "edited.yaml", text)
    check(lambda: load_spec(path, registry=REGISTRY))


overrides = st.builds(
    lambda path, value: f"{path}={value}",
    st.one_of(
        st.sampled_from([".".join(map(str, p)) for p in paths_of(BASE) if p]),
        st.lists(st.one_of(st.sampled_from(WORDS), st.integers(0, 3).map(lambda i: f"[{i}]")), max_size=4).map(
            lambda parts: ".".join(parts)
        ),
        st.text(max_size=15),
    ),
    st.one_of(yaml_text.map(lambda t: t[:20]), st.sampled_from(["1", "0", "-1", "1e3", "full", "[1, 2]", "{a: 1}"])),
)


@FUZZ
@given(st.lists(st.one_of(overrides, overrides, overrides, st.text(max_size=20)), max_size=4))
def test_overrides(sets: list[str]) -> None:
    check(lambda: load_spec(BASE, sets, registry=REGISTRY))


# -- tags and aliases: refused, never constructed -----------------------------------------------------------------

MARKER_DIR = Path(tempfile.gettempdir())


def dangerous_values(marker: Path) -> list[str]:
    return [
        f"!!python/object/apply:pathlib.Path.touch ['{marker}']",
        f"!!python/object/apply:os.system ['touch {marker}']",
        f"!!python/object/new:pathlib.Path ['{marker}']",
        "!!python/name:os.system",
        "!!python/module:os",
        "!!python/tuple [1, 2]",
        f"!<tag:yaml.org,2002:python/object/apply:os.system> ['touch {marker}']",
        "!custom 3",
        "!!binary aGVsbG8=",
        "!!timestamp 2001-12-14",
        "2001-12-14",
        "!!set {a, b}",
        "!!omap [a: 1]",
        "!!pairs [a: 1]",
        "!!float 1",
        "&anchor 3",
        "*anchor",
        "[&a x, *a]",
        "{<<: {units: 3}}",
        "!!merge <<",
    ]


@FUZZ
@given(st.data())
def test_tags_and_aliases_are_refused_anywhere(tmp_dir: Path, data: st.DataObject) -> None:
    marker = tmp_dir / "constructed"
    value = data.draw(st.sampled_from(dangerous_values(marker)))
    lines = SPEC.splitlines()
    # replace the value of one `key: value` or `{key: value` occurrence by the dangerous one
    spots = [(i, j) for i, line in enumerate(lines) for j in range(len(line)) if line.startswith(": ", j)]
    i, j = data.draw(st.sampled_from(spots))
    line = lines[i]
    end = min([k for k in (line.find(",", j), line.find("}", j)) if k != -1], default=len(line))
    lines[i] = line[: j + 2] + value + line[end:]
    path = write(tmp_dir, "tagged.yaml", "\n".join(lines) + "\n")
    outcome = check(lambda: load_spec(path, registry=REGISTRY))
    assert not marker.exists(), "a YAML tag constructed an object"
    if value.startswith(("!", "&", "*", "[&", "{<<", "2001")) and not value.startswith("!!float"):
        assert isinstance(outcome, SpecError), value


@pytest.mark.parametrize(
    "text",
    [
        "a: &x 1\nb: *x\n",
        "a: &x [1, 2]\nb: *x\n",
        "<<: {name: x}\n",
        "a: !!python/object/apply:os.system ['true']\n",
        "? !!python/object/apply:os.system ['true']\n: 1\n",
        "? [a, b]\n: 1\n",
        "? {a: 1}\n: 1\n",
        "? 2001-13-45\n: 1\n",
        "a: !!binary aGVsbG8=\n",
        "a: 2001-12-14\n",
        "a: !!set {x}\n",
        "a: !local x\n",
        "a: 1\na: 2\n",
        "a: 1\n---\nb: 2\n",
        "a: \x00\n",
        "a: \x07\n",
        'a: "\\ud800"\n',
        "a: " + "9" * 5000 + "\n",
        "? " + "9" * 5000 + "\n: 1\n",
        "a: 0x" + "f" * 5000 + "\n",
        "[" * 100 + "]" * 100,
        "{a: " * 100 + "1" + "}" * 100,
        "".join(" " * i + "a:\n" for i in range(100)),
        "".join(" " * i + "- \n" for i in range(100)),
    ],
)
@pytest.mark.parametrize("parser", ["libyaml", "python"])
def test_hostile_yaml_is_a_spec_error(text: str, parser: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if parser == "python":
        monkeypatch.setattr(spec_loader, "_LOADERS", [spec_loader._SpecLoader])
    elif spec_loader.CParser is None:
        pytest.skip("PyYAML built without libyaml")
    path = write(tmp_path, "hostile.yaml", text)
    assert isinstance(check(lambda: load_spec(path, registry=REGISTRY)), SpecError)


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1, "a": 2}',
        '{"name": ' + "9" * 5000 + "}",
        "[" * 100 + "]" * 100,
        "[" * 100_000 + "]" * 100_000,
        '{"a": NaN, "b": Infinity}',
        '{"a": "\\ud800"}',
        "[" + ",".join(["0"] * 200_000) + "]",
        '{"name": "x"',
        "\ufeff{}",
    ],
)
def test_hostile_json_is_a_spec_error(text: str, tmp_path: Path) -> None:
    path = write(tmp_path, "hostile.json", text)
    assert isinstance(check(lambda: load_spec(path, registry=REGISTRY)), SpecError)


# -- size and depth: refused quickly ------------------------------------------------------------------------------


SLOW_IN_PURE_PYTHON = {"many values", "many keys", "many problems", "long string"}


def timed(load: Callable[[], Any], limit: float) -> Spec | SpecError:
    started = time.perf_counter()
    outcome = check(load)
    elapsed = time.perf_counter() - started
    assert elapsed < limit, f"took {elapsed:.1f}s"
    return outcome


@pytest.mark.parametrize("parser", ["libyaml", "python"])
@pytest.mark.parametrize(
    "name, make",
    [
        ("deep flow", lambda: "[" * 200_000 + "]" * 200_000),
        ("deep flow, unclosed", lambda: "[" * 1_000_000),
        ("deep block", lambda: "".join(" " * i + "a:\n" for i in range(3000))),
        ("deep mixed", lambda: "a: " + "{b: [" * 2000),
        ("billion laughs", lambda: "a: &a [x, x, x, x, x, x, x, x, x]\n"
         + "".join(f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
                   for p, c in zip("abcdefgh", "bcdefghi", strict=True))),
        ("many values", lambda: "[" + "1," * 300_000 + "1]"),
        ("many keys", lambda: "".join(f"k{i}: {i}\n" for i in range(60_000))),
        ("long string", lambda: "name: " + "x" * 1_000_000),
        ("over the byte limit", lambda: "# " + "x" * (spec_loader.MAX_SPEC_BYTES + 10)),
        ("many problems", lambda: as_yaml({**BASE, "metrics": ["nope"] * 50_000})),
    ],
)  # fmt: skip
def test_huge_and_deep_documents_fail_fast(
    name: str, make: Callable[[], str], parser: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if parser == "python":
        if name in SLOW_IN_PURE_PYTHON:
            pytest.skip("PyYAML's pure-Python scanner takes about 25 us a byte: only with libyaml")
        monkeypatch.setattr(spec_loader, "_LOADERS", [spec_loader._SpecLoader])
    elif spec_loader.CParser is None:
        pytest.skip("PyYAML built without libyaml")
    path = write(tmp_path, "big.yaml", make())
    outcome = timed(lambda: load_spec(path, registry=REGISTRY), limit=10.0)
    assert isinstance(outcome, SpecError)
    assert len(outcome.issues) <= 101


def test_many_problems_are_capped_with_a_last_line() -> None:
    outcome = timed(lambda: load_spec({**BASE, "metrics": ["nope"] * 50_000}, registry=REGISTRY), limit=5.0)
    assert isinstance(outcome, SpecError)
    assert len(outcome.issues) == 101
    assert "only the first 100 are listed" in outcome.issues[-1].message


def test_deep_and_wide_data_given_directly() -> None:
    deep: list[Any] = []
    node = deep
    for _ in range(300):
        node.append([])
        node = node[0]
    assert isinstance(timed(lambda: load_spec({**BASE, "name": deep}, registry=REGISTRY), 5.0), SpecError)
    wide = {**BASE, "data": {"dataset": {"type": "inline", "features": [[0.0]] * 150_000, "targets": [0]}}}
    assert isinstance(timed(lambda: load_spec(wide, registry=REGISTRY), 5.0), SpecError)


def test_unique_items_is_linear() -> None:
    """jsonschema compares lists of mappings pairwise (quadratic): ours hashes them."""
    from nn_core.spec.validate import SpecValidator

    items = [{"a": i} for i in range(20_000)]
    started = time.perf_counter()
    assert SpecValidator({"uniqueItems": True}).is_valid(items)
    assert not SpecValidator({"uniqueItems": True}).is_valid([*items, {"a": 7}])
    assert not SpecValidator({"uniqueItems": True}).is_valid([1, 1.0])
    assert SpecValidator({"uniqueItems": True}).is_valid([1, True, [1], [True], {"a": 1}, {"a": True}])
    assert time.perf_counter() - started < 2.0


# -- values that validate but would crash later ---------------------------------------------------------------


@pytest.mark.parametrize(
    "override",
    ["training.epochs=5.0", "training.epochs=1e3", "seed=3.0", "model.layers[0].units=4.0", "data.dataset.n=2.0"],
)
def test_integers_must_be_integers(override: str) -> None:
    outcome = check(lambda: load_spec(BASE, [override], registry=REGISTRY))
    assert isinstance(outcome, SpecError)
    assert "expected an integer" in outcome.issues[0].message


@pytest.mark.parametrize("sets", [["1=3", "foo=2"], ["model.1=3", "model.x=1"], ["0=1"]])
def test_keys_of_mixed_types(sets: list[str]) -> None:
    assert isinstance(check(lambda: load_spec(BASE, sets, registry=REGISTRY)), SpecError)


def test_valid_mutations_build_and_train() -> None:
    """A sample of mutations that validate also build and train with the fake backend."""
    from nn_core import build, train

    for sets in (["training.epochs=3"], ["training.epochs=2", "data.dataset.n=3"], ["training.batch_size=7"]):
        spec = load_spec(BASE, sets, registry=REGISTRY)
        train(build(spec, REGISTRY), pm=PM)


# -- the CLI: one line per problem, no traceback ------------------------------------------------------------------


@FEW
@given(st.one_of(mutated(BASE), json_values))
def test_cli_validate_reports_each_problem_on_one_line(tmp_dir: Path, doc: Any) -> None:
    path = write(tmp_dir, "cli.yaml", as_yaml(doc))
    expected = check(lambda: load_spec(path, registry=REGISTRY))
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        mp.setattr(plugins, "load_plugins", lambda *a, **k: plugins.Plugins(PM, REGISTRY))
        code = cli.main(["validate", str(path)])
    lines = err.getvalue().splitlines()
    assert "Traceback" not in err.getvalue()
    if isinstance(expected, Spec):
        assert code == 0 and not lines
    else:
        assert code == SpecError.exit_code
        assert len(lines) == len(expected.issues)
        assert all(line.startswith("nn: error: ") for line in lines)


def test_limits_leave_room_for_real_specs() -> None:
    assert spec_loader.MAX_DEPTH >= 16
    assert spec_loader.MAX_NODES >= 10_000
    assert spec_loader.MAX_SPEC_BYTES >= 64 * 1024
