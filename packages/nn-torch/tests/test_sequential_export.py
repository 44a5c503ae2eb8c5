"""``--format torch``: the state dict loads into torch.nn.Sequential with weights_only=True and predicts the same."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from torch_test_networks import make_network

torch = pytest.importorskip("torch")

from nn_core.export import export_model  # noqa: E402
from nn_core.model import Model  # noqa: E402
from nn_core.scaling import Scaler  # noqa: E402
from nn_torch.export import ExportError, TorchExporter  # noqa: E402

LAYERS = [
    ("dense", {"units": 12, "activation": "leaky_relu", "activation_params": {"alpha": 0.1}}),
    ("batch_norm", {"momentum": 0.7, "eps": 1e-3}),
    ("dropout", {"rate": 0.2}),
    ("dense", {"units": 8, "activation": "gelu"}),
    ("dense", {"units": 8, "activation": "elu", "activation_params": {"alpha": 0.5}}),
    ("dense", {"units": 8, "activation": "softplus"}),
    ("dense", {"units": 8, "activation": "tanh"}),
    ("dense", {"units": 8, "activation": "sigmoid"}),
    ("dense", {"units": 8, "activation": "relu"}),
    ("dense", {"units": 3, "activation": "softmax"}),
]


def trained_model(backend: str, dtype: str, scaling: str = "standard") -> tuple[Model, np.ndarray]:
    """A model whose batch-norm statistics and weights moved away from their initial values."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 5)) * 3 + 2
    net = make_network(backend, LAYERS, dtype=dtype)
    scaler = Scaler.fit(scaling, X)
    Xs = net.to_backend(scaler.transform(X))
    for _ in range(5):
        net.forward(Xs, True)  # running statistics move
    arrays = net.state_arrays()
    net.load_state_arrays({k: v + (0.01 * rng.standard_normal(v.shape)).astype(v.dtype) for k, v in arrays.items()})
    return Model(net, None, scaler, {"input_dim": 5}), X  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("backend", "dtype", "rtol"), [("torch", "float64", 1e-9), ("numpy", "float64", 1e-9), ("torch", "float32", 1e-5)]
)
def test_exported_state_dict_predicts_the_same(tmp_path: Path, backend: str, dtype: str, rtol: float) -> None:
    model, X = trained_model(backend, dtype)
    path = tmp_path / "model.pt"
    note = export_model(model, TorchExporter(), path)
    assert note is not None and str(path) in note and ".nntmp" not in note
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pt"]  # no temporary left behind

    state = torch.load(path, weights_only=True)
    assert all(isinstance(v, torch.Tensor) for v in state.values())
    namespace: dict = {}
    exec(note, namespace)  # the printed recipe, as a user would paste it
    sequential = namespace["model"]
    assert isinstance(sequential, torch.nn.Sequential) and not sequential.training
    assert [type(m).__name__ for m in sequential] == [
        "BatchNorm1d",
        "Linear",
        "LeakyReLU",
        "BatchNorm1d",
        "Dropout",
        "Linear",
        "GELU",
        "Linear",
        "ELU",
        "Linear",
        "Softplus",
        "Linear",
        "Tanh",
        "Linear",
        "Sigmoid",
        "Linear",
        "ReLU",
        "Linear",
        "Softmax",
    ]
    assert sequential[3].momentum == pytest.approx(0.3) and sequential[3].eps == 1e-3
    with torch.no_grad():
        got = sequential(torch.from_numpy(X.astype(dtype))).numpy()
    np.testing.assert_allclose(got, model.predict_proba(X), rtol=rtol, atol=rtol * 1e-2)


def test_a_model_without_scaling_starts_with_the_first_layer(tmp_path: Path) -> None:
    model, X = trained_model("torch", "float64", scaling="none")
    path = tmp_path / "plain.pt"
    export_model(model, TorchExporter(), path)
    state = torch.load(path, weights_only=True)
    assert next(iter(state)) == "0.weight"
    assert state["0.weight"].dtype == torch.float64


def test_a_layer_torch_cannot_express_stops_the_export_and_keeps_the_old_file(tmp_path: Path) -> None:
    model, _ = trained_model("torch", "float64")

    class Swish:
        name = "swish"

    model.network.layers[3].activation = Swish()
    path = tmp_path / "model.pt"
    path.write_bytes(b"previous export")
    with pytest.raises(
        ExportError, match=r"^nn export --format torch: layers\[3\] uses activation 'swish', which has no"
    ):
        export_model(model, TorchExporter(), path)
    assert path.read_bytes() == b"previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pt"]
