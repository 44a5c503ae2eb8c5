"""Model files: round trip, provenance, and refusal of anything else."""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest
from fakes import fake_registry

from nn_core import build, load_spec, train
from nn_core.errors import ModelFileError
from nn_core.model import load_model, model_from_run


@pytest.fixture
def trained(spec_file: Path, registry, tmp_path: Path):  # type: ignore[no-untyped-def]
    spec = load_spec(spec_file, ["data.dataset.classify=true", "metrics=[accuracy]", "data.scale=standard"], registry)
    run = train(build(spec, registry), pm=fake_registry()[0])
    path = tmp_path / "model.nn"
    model = model_from_run(run)
    model.save(path)
    return model, path


def test_round_trip_predicts_the_same(trained, registry) -> None:  # type: ignore[no-untyped-def]
    model, path = trained
    loaded = load_model(path, registry)
    X = np.linspace(-1, 1, 7)[:, None]
    assert np.array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert list(loaded.predict(X)) == ["neg", "neg", "neg", "pos", "pos", "pos", "pos"]
    assert loaded.metadata["scaling"] == "standard"
    assert loaded.metadata["data_hash"].startswith("sha256:")
    assert loaded.metadata["spec"]["training"]["shuffle"] is True  # defaults filled
    assert loaded.metadata["history"][0]["epoch"] == 0


def test_provenance_records_each_component(trained) -> None:  # type: ignore[no-untyped-def]
    model, _ = trained
    used = {(c["kind"], c["name"]): c["distribution"] for c in model.metadata["components"]}
    assert used[("layer", "linear")] == "nn-fake"
    assert used[("activation", "tanh")] == "nn-fake"
    assert used[("dataset", "line")] == "nn-fake"
    assert used[("backend", "fake")] == "nn-fake"


def test_missing_component_names_the_distribution(trained) -> None:  # type: ignore[no-untyped-def]
    _, path = trained
    import nn_core.builtins
    from nn_core.plugins import build_registry, get_plugin_manager

    bare = build_registry(get_plugin_manager(entry_point_group=None, plugins=[(nn_core.builtins, "nn-core")]))
    with pytest.raises(ModelFileError) as err:
        load_model(path, bare)
    assert "`pip install nn-fake` provides layer 'linear'" in str(err.value)


def test_truncated_file_refused(trained, tmp_path: Path, registry) -> None:  # type: ignore[no-untyped-def]
    _, path = trained
    cut = tmp_path / "cut.nn"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ModelFileError, match="is not a readable nn model file"):
        load_model(cut, registry)


def test_random_bytes_refused(tmp_path: Path, registry) -> None:  # type: ignore[no-untyped-def]
    junk = tmp_path / "junk.nn"
    junk.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(ModelFileError, match="junk.nn"):
        load_model(junk, registry)


class _Marker:
    """Unpickling this creates a file: proof that loading ran code."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Path.touch, (self.path,))


def test_pickle_refused_and_never_unpickled(tmp_path: Path, registry) -> None:  # type: ignore[no-untyped-def]
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.nn"
    evil.write_bytes(pickle.dumps(_Marker(marker)))
    with pytest.raises(ModelFileError):
        load_model(evil, registry)
    # and a pickled member inside an otherwise valid-looking archive
    evil_zip = tmp_path / "evil-zip.nn"
    arr = np.array([_Marker(marker)], dtype=object)
    meta = np.frombuffer(b'{"format": "nn", "kind": "model", "format_version": 1}', np.uint8)
    with open(evil_zip, "wb") as f:
        np.savez(f, __nn_metadata__=meta, payload=arr)
    with pytest.raises(ModelFileError):
        load_model(evil_zip, registry)
    assert not marker.exists()


def test_foreign_npz_and_wrong_kind_refused(trained, tmp_path: Path, registry) -> None:  # type: ignore[no-untyped-def]
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, a=np.arange(3))
    with pytest.raises(ModelFileError, match="is not an nn model file"):
        load_model(foreign, registry)
    assert zipfile.is_zipfile(foreign)


def test_missing_file(tmp_path: Path, registry) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ModelFileError, match="model file not found"):
        load_model(tmp_path / "nope.nn", registry)
