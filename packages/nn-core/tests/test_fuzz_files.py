"""Model files and checkpoints, damaged or crafted, are refused with one line; nothing runs, nothing balloons.

Truncations, bit flips, overwritten and inserted bytes of a real model file
and checkpoint either load exactly what was saved (damage to bytes the format
does not use) or raise :class:`ModelFileError` with a one-line message. Crafted
archives (a member header claiming a huge shape, pickled or structured
members, zip bombs, lying zip directories, hostile metadata) are refused before
anything large is allocated, and no pickle is ever loaded.
"""

from __future__ import annotations

import contextlib
import io
import json
import pickle
import struct
import tempfile
import tracemalloc
import warnings
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fakes import SPEC, fake_registry
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nn_core import build, cli, load_spec, plugins, train
from nn_core.checkpoint import load_checkpoint, restore
from nn_core.errors import ModelFileError, NNError
from nn_core.model import Model, load_model
from nn_core.modelfile import METADATA_KEY, ArchiveError, NpzReader, read_archive

PM, REGISTRY = fake_registry()

FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
OVERRIDES = ["data.dataset.classify=true", "metrics=[accuracy]", "data.scale=standard", "training.epochs=20"]


@pytest.fixture(scope="module")
def files() -> Iterator[dict[str, Any]]:
    """A trained model file and one of its checkpoints, as bytes, with what they hold."""
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        spec_path = folder / "spec.yaml"
        spec_path.write_text(SPEC)
        overrides = [*OVERRIDES, f"training.checkpoint={{dir: {folder / 'ckpt'}, every: 10}}"]
        spec = load_spec(spec_path, overrides, REGISTRY)
        run = train(build(spec, REGISTRY), pm=PM)
        from nn_core.model import model_from_run

        model_path = folder / "model.nn"
        model_from_run(run).save(model_path)
        checkpoint_path = folder / "ckpt" / "epoch-000010.ckpt"
        arrays, meta = read_archive(model_path, "model")
        yield {
            "spec": spec,
            "model": model_path.read_bytes(),
            "checkpoint": checkpoint_path.read_bytes(),
            "arrays": arrays,
            "meta": meta,
            "checkpoint_arrays": read_archive(checkpoint_path, "checkpoint")[0],
        }


@pytest.fixture(scope="module")
def tmp_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


def refused(load: Callable[[], Any], path: Path) -> ModelFileError:
    """``load`` raises a one-line ModelFileError that names ``path``."""
    with pytest.raises(ModelFileError) as err:
        load()
    message = str(err.value)
    assert "\n" not in message and str(path) in message, message
    return err.value


def same_arrays(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    return a.keys() == b.keys() and all(
        a[k].dtype == b[k].dtype and np.array_equal(a[k], b[k], equal_nan=True) for k in a
    )


# -- damage to real files -------------------------------------------------------------------------------------------


@st.composite
def damage(draw: st.DrawFn, size: int) -> list[tuple[str, int, Any]]:
    """1-3 edits: (action, offset, argument)."""
    edits = []
    for _ in range(draw(st.integers(1, 3))):
        action = draw(st.sampled_from(["truncate", "flip", "overwrite", "insert", "delete", "zero"]))
        offset = draw(st.one_of(st.integers(0, size), st.integers(max(0, size - 200), size)))  # the zip directory
        if action == "flip":
            argument: Any = draw(st.integers(0, 7))
        elif action in ("overwrite", "insert"):
            argument = draw(st.binary(min_size=1, max_size=16))
        else:
            argument = draw(st.integers(1, 64))
        edits.append((action, offset, argument))
    return edits


def damaged(data: bytes, edits: list[tuple[str, int, Any]]) -> bytes:
    raw = bytearray(data)
    for action, offset, argument in edits:
        offset = min(offset, len(raw))
        if action == "truncate":
            del raw[offset:]
        elif action == "flip" and offset < len(raw):
            raw[offset] ^= 1 << argument
        elif action == "overwrite":
            raw[offset : offset + len(argument)] = argument
        elif action == "insert":
            raw[offset:offset] = argument
        elif action == "delete":
            del raw[offset : offset + argument]
        elif action == "zero":
            raw[offset : offset + argument] = bytes(len(raw[offset : offset + argument]))
    return bytes(raw)


@FUZZ
@given(st.data())
def test_damaged_model_file(files: dict[str, Any], tmp_dir: Path, data: st.DataObject) -> None:
    path = tmp_dir / "damaged.nn"
    path.write_bytes(damaged(files["model"], data.draw(damage(len(files["model"])))))
    try:
        model = load_model(path, REGISTRY)
    except ModelFileError as exc:
        assert "\n" not in str(exc) and str(path) in str(exc)
        return
    # damage the format does not read (zip timestamps, comments, padding): exactly what was saved
    assert isinstance(model, Model)
    assert same_arrays(read_archive(path, "model")[0], files["arrays"])


@FUZZ
@given(st.data())
def test_damaged_checkpoint(files: dict[str, Any], tmp_dir: Path, data: st.DataObject) -> None:
    path = tmp_dir / "damaged.ckpt"
    path.write_bytes(damaged(files["checkpoint"], data.draw(damage(len(files["checkpoint"])))))
    try:
        arrays, meta = load_checkpoint(path)
    except ModelFileError as exc:
        assert "\n" not in str(exc) and str(path) in str(exc)
        return
    assert same_arrays(arrays, files["checkpoint_arrays"])
    restore(build(files["spec"], REGISTRY), arrays, meta, str(path))


@FUZZ
@given(st.binary(max_size=2000))
def test_random_bytes(tmp_dir: Path, data: bytes) -> None:
    path = tmp_dir / "random.nn"
    path.write_bytes(data)
    refused(lambda: load_model(path, REGISTRY), path)
    refused(lambda: load_checkpoint(path), path)


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


WRONG_TYPES = {
    "empty": b"",
    "png": b"\x89PNG\r\n\x1a\n" + bytes(64),
    "gzip": b"\x1f\x8b\x08\x00" + bytes(32),
    "pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
    "elf": b"\x7fELF\x02\x01\x01" + bytes(64),
    "npy": _npy(np.arange(10.0)),
    "json": json.dumps({"format": "nn", "kind": "model", "format_version": 1}).encode(),
    "yaml spec": SPEC.encode(),
    "zip header only": b"PK\x03\x04" + bytes(26),
    "empty zip": b"PK\x05\x06" + bytes(18),
}


@pytest.mark.parametrize("name", sorted(WRONG_TYPES))
def test_wrong_file_types(name: str, tmp_path: Path) -> None:
    path = tmp_path / "wrong.nn"
    path.write_bytes(WRONG_TYPES[name])
    refused(lambda: load_model(path, REGISTRY), path)
    refused(lambda: load_checkpoint(path), path)


class Marker:
    """Unpickling this creates a file: proof that loading ran code."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Path.touch, (self.path,))


def test_pickles_are_never_loaded(tmp_path: Path, files: dict[str, Any]) -> None:
    marker = tmp_path / "pwned"
    plain = tmp_path / "pickle.nn"
    plain.write_bytes(pickle.dumps(Marker(marker)))
    refused(lambda: load_model(plain, REGISTRY), plain)
    # a pickled member in an archive whose metadata is perfectly valid
    evil = tmp_path / "evil.nn"
    payload = io.BytesIO()
    np.save(payload, np.array([Marker(marker)], dtype=object), allow_pickle=True)
    write_zip(evil, [(f"{METADATA_KEY}.npy", meta_member(files["meta"])), ("weights/x.npy", payload.getvalue())])
    assert "non-numeric dtype object" in str(refused(lambda: load_model(evil, REGISTRY), evil))
    assert not marker.exists()


# -- crafted archives ----------------------------------------------------------------------------------------------


def npy_header(header: dict[str, Any] | str, version: tuple[int, int] = (1, 0)) -> bytes:
    """A raw .npy header: magic, version, length, the (possibly malformed) dict text, padding."""
    text = header if isinstance(header, str) else repr(header)
    text_bytes = text.encode("latin1")
    length_format = "<H" if version == (1, 0) else "<I"
    prefix = 6 + 2 + struct.calcsize(length_format)
    padding = 64 - (prefix + len(text_bytes) + 1) % 64
    body = text_bytes + b" " * padding + b"\n"
    return b"\x93NUMPY" + bytes(version) + struct.pack(length_format, len(body)) + body


def meta_member(meta: dict[str, Any]) -> bytes:
    return _npy(np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))


def write_zip(path: Path, members: list[tuple[str, bytes]], compression: int = zipfile.ZIP_STORED) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Duplicate name" when a test wants one
        with zipfile.ZipFile(path, "w", compression) as archive:
            for name, content in members:
                archive.writestr(name, content)


def with_meta(files: dict[str, Any], *members: tuple[str, bytes], meta: dict[str, Any] | None = None) -> list:
    return [(f"{METADATA_KEY}.npy", meta_member(files["meta"] if meta is None else meta)), *members]


HUGE = (1 << 20, 1 << 20)  # 8 TiB of float64


def crafted(files: dict[str, Any]) -> dict[str, list[tuple[str, bytes]]]:
    good_weight = _npy(np.ones((4, 1)))
    return {
        "huge shape": with_meta(files, ("weights/a.npy", npy_header({"descr": "<f8", "fortran_order": False,
                                                                     "shape": HUGE}) + bytes(64))),
        "large shape": with_meta(files, ("weights/a.npy", npy_header({"descr": "<f8", "fortran_order": False,
                                                                      "shape": (1 << 27,)}) + bytes(64))),
        "huge shape, fortran": with_meta(files, ("weights/a.npy", npy_header({"descr": "<f8", "fortran_order": True,
                                                                              "shape": HUGE}) + bytes(64))),
        "huge shape, v2 header": with_meta(files, ("weights/a.npy", npy_header(
            {"descr": "<f8", "fortran_order": False, "shape": HUGE}, (2, 0)) + bytes(64))),
        "huge metadata claim": [(f"{METADATA_KEY}.npy", npy_header({"descr": "|u1", "fortran_order": False,
                                                                    "shape": (1 << 40,)}) + b"{}")],
        "shape one short": with_meta(files, ("weights/a.npy", good_weight[:-8])),
        "shape one long": with_meta(files, ("weights/a.npy", good_weight + bytes(8))),
        "negative shape": with_meta(files, ("weights/a.npy", npy_header({"descr": "<f8", "fortran_order": False,
                                                                         "shape": (-1,)}))),
        "code in header": with_meta(files, ("weights/a.npy", npy_header(
            "{'descr': __import__('os').system('touch pwned'), 'fortran_order': False, 'shape': (1,)}"))),
        "huge header length": with_meta(files, ("weights/a.npy", b"\x93NUMPY\x02\x00" + struct.pack("<I", 1 << 31))),
        "npy version 3": with_meta(files, ("weights/a.npy", npy_header(
            {"descr": "<f8", "fortran_order": False, "shape": (1,)}, (3, 0)) + bytes(8))),
        "bad magic": with_meta(files, ("weights/a.npy", b"NOTNUMPY" + bytes(100))),
        "object dtype": with_meta(files, ("weights/a.npy", npy_header({"descr": "|O", "fortran_order": False,
                                                                       "shape": (1,)}) + pickle.dumps(1))),
        "structured dtype": with_meta(files, ("weights/a.npy", _npy(np.zeros(2, dtype=[("a", "<f8"), ("b", "<i4")])))),
        "complex dtype": with_meta(files, ("weights/a.npy", _npy(np.zeros(2, dtype=np.complex128)))),
        "string dtype": with_meta(files, ("weights/a.npy", _npy(np.array(["abc"])))),
        "datetime dtype": with_meta(files, ("weights/a.npy", _npy(np.array(["2001-01-01"], dtype="M8[D]")))),
        "void dtype": with_meta(files, ("weights/a.npy", npy_header({"descr": "|V8", "fortran_order": False,
                                                                     "shape": (1,)}) + bytes(8))),
        "not a .npy member": with_meta(files, ("weights/a", b"raw bytes")),
        "duplicate member": with_meta(files, ("weights/a.npy", good_weight), ("weights/a.npy", good_weight)),
        "metadata not bytes": [(f"{METADATA_KEY}.npy", _npy(np.zeros(3)))],
        "metadata 2-D": [(f"{METADATA_KEY}.npy", _npy(np.zeros((2, 2), dtype=np.uint8)))],
        "metadata not UTF-8": [(f"{METADATA_KEY}.npy", _npy(np.frombuffer(b"\xff\xfe{}", dtype=np.uint8)))],
        "metadata not JSON": [(f"{METADATA_KEY}.npy", _npy(np.frombuffer(b"{format: nn", dtype=np.uint8)))],
        "metadata a list": with_meta(files, meta=[1, 2]),  # type: ignore[arg-type]
        "metadata deep": with_meta(files, meta={**files["meta"], "x": json.loads("[" * 900 + "]" * 900)}),
        "metadata huge integer": [(f"{METADATA_KEY}.npy", _npy(np.frombuffer(
            b'{"format": "nn", "format_version": 1, "kind": "model", "epochs": ' + b"9" * 5000 + b"}", np.uint8)))],
        "kind with newline": with_meta(files, meta={**files["meta"], "kind": "model\nnn: error: forged"}),
        "version a string": with_meta(files, meta={**files["meta"], "format_version": "1\n2"}),
        "no spec": with_meta(files, meta={k: v for k, v in files["meta"].items() if k != "spec"}),
        "spec a path": with_meta(files, meta={**files["meta"], "spec": "/etc/passwd"}),
        "spec deep": with_meta(files, meta={**files["meta"], "spec": {"name": json.loads("[" * 600 + "]" * 600)}}),
        "spec invalid": with_meta(files, meta={**files["meta"], "spec": {**files["meta"]["spec"], "seed": -1}}),
        "spec of another backend": with_meta(files, meta={**files["meta"], "spec": {**files["meta"]["spec"],
                                                                                    "backend": "numpy"}}),
        "weights missing": with_meta(files),
        "weights of the wrong shape": with_meta(files, *[
            (f"{name}.npy", _npy(np.zeros((3, 3)) if name.endswith("weight") else array))
            for name, array in files["arrays"].items()]),
        "input_dim not a number": with_meta(files, *[(f"{name}.npy", _npy(array))
                                                     for name, array in files["arrays"].items()],
                                            meta={**files["meta"], "input_dim": "x"}),
    }  # fmt: skip


CRAFTED_NAMES = sorted(crafted({"meta": {"spec": {}}, "arrays": {}}))


@pytest.mark.parametrize("name", CRAFTED_NAMES)
def test_crafted_archives_are_refused_without_allocating(
    name: str, files: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # "code in header" would touch ./pwned
    path = tmp_path / "crafted.nn"
    write_zip(path, crafted(files)[name])
    tracemalloc.start()
    try:
        refused(lambda: load_model(path, REGISTRY), path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 32 * 2**20, f"loading allocated {peak:,} bytes"
    assert not (tmp_path / "pwned").exists()
    if name == "spec a path":  # refused as metadata, never read as a spec file
        assert "no spec" in str(refused(lambda: load_model(path, REGISTRY), path))


def patch_sizes(path: Path, *, file_size: int | None = None, compress_size: int | None = None) -> None:
    """Rewrite the sizes the zip directory (and local header) claims for the last member."""
    raw = bytearray(path.read_bytes())
    central = raw.rfind(b"PK\x01\x02")
    local = raw.rfind(b"PK\x03\x04")
    if compress_size is not None:
        struct.pack_into("<I", raw, central + 20, compress_size)
        struct.pack_into("<I", raw, local + 18, compress_size)
    if file_size is not None:
        struct.pack_into("<I", raw, central + 24, file_size)
        struct.pack_into("<I", raw, local + 22, file_size)
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize(
    "name, compression, sizes",
    [
        ("stored member claiming more than it holds", zipfile.ZIP_STORED, {"file_size": 2**32 - 1}),
        ("stored member claiming more than the file", zipfile.ZIP_STORED, {"file_size": 2**31, "compress_size": 2**31}),
        ("deflate bomb beyond DEFLATE's ratio", zipfile.ZIP_DEFLATED, {"file_size": 2**32 - 1}),
        ("bzip2", zipfile.ZIP_BZIP2, {}),
        ("lzma", zipfile.ZIP_LZMA, {}),
    ],
)
def test_lying_zip_directories(
    name: str, compression: int, sizes: dict[str, int], files: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "lying.nn"
    header = npy_header({"descr": "<f8", "fortran_order": False, "shape": (2**28 - 16,)})
    write_zip(path, with_meta(files, ("weights/a.npy", header + bytes(4096))), compression)
    patch_sizes(path, **sizes)
    tracemalloc.start()
    try:
        refused(lambda: load_model(path, REGISTRY), path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 32 * 2**20, f"loading allocated {peak:,} bytes"


def test_a_real_deflate_bomb_is_bounded(files: dict[str, Any], tmp_path: Path) -> None:
    """A legal deflated member expands at most ~1032:1, and the total is capped."""
    path = tmp_path / "bomb.nn"
    zeros = _npy(np.zeros(2**21))  # 16 MiB that deflate to ~16 KiB
    write_zip(path, with_meta(files, ("weights/zeros.npy", zeros)), zipfile.ZIP_DEFLATED)
    with pytest.raises(ArchiveError, match="at most 1,000,000 are read"):
        NpzReader(path, max_bytes=1_000_000)
    assert path.stat().st_size < 100_000


def test_encrypted_members_and_too_many_members(files: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "many.nn"
    write_zip(path, with_meta(files, *[(f"weights/{i}.npy", _npy(np.zeros(1))) for i in range(20)]))
    with pytest.raises(ArchiveError, match="21 members; at most 10"):
        NpzReader(path, max_members=10)
    raw = bytearray(path.read_bytes())
    central = raw.rfind(b"PK\x01\x02")
    raw[central + 8] |= 0x1  # the "encrypted" flag of the last member
    path.write_bytes(bytes(raw))
    refused(lambda: load_model(path, REGISTRY), path)


@pytest.mark.parametrize("where", ["/dev/zero", "/dev/urandom", "/dev/null", "directory", "missing"])
def test_not_regular_files(where: str, tmp_path: Path) -> None:
    path = {"directory": tmp_path, "missing": tmp_path / "missing.nn"}.get(where, Path(where))
    if not path.exists() and where.startswith("/dev"):
        pytest.skip(f"no {where} here")
    refused(lambda: load_model(path, REGISTRY), path)


# -- through the CLI -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["huge shape", "object dtype", "kind with newline", "spec deep", "metadata deep"])
@pytest.mark.parametrize("command", ["evaluate", "predict", "plot history"])
def test_cli_refuses_bad_model_files_in_one_line(
    name: str, command: str, files: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plugins, "load_plugins", lambda *a, **k: plugins.Plugins(PM, REGISTRY))
    path = tmp_path / "bad.nn"
    write_zip(path, crafted(files)[name])
    inputs = tmp_path / "inputs.csv"
    inputs.write_text("x\n0.5\n")
    argv = {
        "evaluate": ["evaluate", str(path)],
        "predict": ["predict", str(path), str(inputs), "-o", str(tmp_path / "out.csv")],
        "plot history": ["plot", "history", str(path), "-o", str(tmp_path / "out.png")],
    }[command]
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = cli.main(argv)
    lines = err.getvalue().splitlines()
    if command == "plot history" and any("matplotlib" in line for line in lines):
        pytest.skip("matplotlib is not installed")
    assert code == 1, err.getvalue()
    assert len(lines) == 1 and lines[0].startswith("nn: error: ") and str(path) in lines[0], lines
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "out.png").exists()


def test_restoring_a_checkpoint_with_a_bad_loop_state(files: dict[str, Any], tmp_path: Path) -> None:
    arrays, meta = files["checkpoint_arrays"], read_checkpoint_meta(files, tmp_path)
    for bad in (
        {"next_epoch": "x"},
        {"next_epoch": 0},
        {"next_step": -1},
        {"next_epoch": True},
        {"shuffle_state": {"bit_generator": "MT19937"}},
        {"shuffle_state": "x"},
        {"history": "abc"},
        {"history": [1, 2]},
        {"optimizer_scalars": [1]},
        {"spec": {**meta["spec"], "training": 5}},
    ):
        with pytest.raises(NNError) as err:
            restore(build(files["spec"], REGISTRY), arrays, {**meta, **bad}, "ckpt")
        assert "\n" not in str(err.value)


def read_checkpoint_meta(files: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "good.ckpt"
    path.write_bytes(files["checkpoint"])
    return load_checkpoint(path)[1]
