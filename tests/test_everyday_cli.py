"""Everyday CLI features (issue 17) with the installed numpy backend: reports, JSON, predictions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from nn_core.cli import main

ROOT = Path(__file__).resolve().parents[1]
SPEC = str(ROOT / "specs" / "moons-3-class.yaml")
SHORT = ["--set", "training.epochs=200"]


@pytest.fixture
def model3(tmp_path: Path) -> Path:
    path = tmp_path / "m3.nn"
    assert main(["train", SPEC, "-q", "-o", str(path), *SHORT]) == 0
    return path


def test_evaluate_prints_a_per_class_report_beside_the_confusion_matrix(model3: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    capsys.readouterr()
    assert main(["evaluate", str(model3)]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if "precision" in line)
    assert "recall" in header and "f1" in header and "support" in header
    rows = [line for line in out.splitlines() if "|" in line and "precision" not in line]
    assert len(rows) == 3
    # each row: the confusion counts, then scores consistent with them
    for k, row in enumerate(rows):
        counts_part, scores_part = row.split("|")
        counts = [int(v) for v in counts_part.split()[1:]]
        precision, recall, f1, support = scores_part.split()
        assert int(support) == sum(counts) == 100
        assert float(recall) == pytest.approx(counts[k] / 100, abs=1e-4)


def test_evaluate_json_has_per_class_scores_matching_sklearn(model3: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    sk = pytest.importorskip("sklearn.metrics")
    capsys.readouterr()
    assert main(["evaluate", str(model3), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    matrix = np.asarray(result["train"]["confusion_matrix"])
    y_true = np.repeat(np.arange(3), matrix.sum(axis=1))
    y_pred = np.concatenate([np.repeat(np.arange(3), row) for row in matrix])
    expected = sk.precision_recall_fscore_support(y_true, y_pred)
    report = result["train"]["per_class"]
    for k in range(3):
        assert report[k]["precision"] == pytest.approx(expected[0][k])
        assert report[k]["recall"] == pytest.approx(expected[1][k])
        assert report[k]["f1"] == pytest.approx(expected[2][k])
        assert report[k]["support"] == expected[3][k]


def test_new_metrics_train_and_log(capsys) -> None:  # type: ignore[no-untyped-def]
    metrics = "metrics=[accuracy, f1, f1_micro, roc_auc, {type: top_k_accuracy, k: 2}, log_loss]"
    assert main(["train", SPEC, "-q", "--json", *SHORT, "--set", metrics]) == 0
    result = json.loads(capsys.readouterr().out)
    train = result["train"]
    assert train["f1_micro"] == pytest.approx(train["accuracy"])  # single-label: micro F1 is accuracy
    assert train["top_k_accuracy"] >= train["accuracy"]
    assert 0.5 < train["roc_auc"] <= 1 and train["log_loss"] > 0


def test_version_lists_nn_and_its_installed_distributions(capsys) -> None:  # type: ignore[no-untyped-def]
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["nn-core", version("nn-core")]
    assert ["nn-numpy", version("nn-numpy")] in [line.split() for line in lines]


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_before_or_after_the_command_shows_the_traceback(where: str, tmp_path: Path) -> None:
    from nn_core.errors import NNError

    argv = ["--debug", "validate", str(tmp_path / "nope.yaml")]
    if where == "after":
        argv = ["validate", "--debug", str(tmp_path / "nope.yaml")]
    with pytest.raises(NNError, match="spec file not found"):
        main(argv)


def test_missing_spec_file_message_has_no_top_level_marker(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["validate", str(tmp_path / "nope.yaml")]) == 2
    assert capsys.readouterr().err.strip() == f"nn: error: {tmp_path / 'nope.yaml'}: spec file not found"


def test_wording_of_unknown_parameter_and_unknown_name(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["validate", SPEC, "--set", "optimizer.momentm=0.9"]) == 2
    assert "unknown parameter 'momentm' for sgd; did you mean 'momentum'?" in capsys.readouterr().err
    assert main(["validate", SPEC, "--set", "model.layers[0].activation=zzzzz"]) == 2
    assert "unknown activation 'zzzzz'. Installed activations: " in capsys.readouterr().err


def test_a_spec_given_as_a_model_says_so(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["evaluate", SPEC]) != 0
    assert f"{SPEC} is a spec, not a model file; train it first: nn train {SPEC} -o model.nn" in capsys.readouterr().err


def test_json_spec_may_carry_its_schema(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    import yaml
    from jsonschema import Draft202012Validator

    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    (tmp_path / "nn.schema.json").write_text(json.dumps(schema))
    document = {"$schema": "nn.schema.json", **yaml.safe_load(Path(SPEC).read_text())}
    Draft202012Validator(schema).validate(document)  # the editor's view: nn schema accepts it
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(document))
    assert main(["validate", str(spec), "--json"]) == 0
    resolved = json.loads(capsys.readouterr().out)  # exactly one JSON document
    assert resolved["valid"] and resolved["spec"]["training"]["epochs"] == 5000
    assert main(["train", str(spec), "-q", *SHORT]) == 0


def test_class_weights_lift_the_recall_of_a_rare_class(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, size=(380, 2)), rng.normal(1.2, 1, size=(20, 2))])  # 5 % of class 1
    y = np.r_[np.zeros(380, int), np.ones(20, int)]
    data = tmp_path / "rare.csv"
    data.write_text("a,b,y\n" + "".join(f"{a},{b},{c}\n" for (a, b), c in zip(X, y, strict=True)))
    base = [
        "--set",
        f"data.dataset={{type: csv, path: {data}, label: y}}",
        "--set",
        "training.epochs=300",
        "--set",
        "metrics=[accuracy, recall, f1]",
        "--json",
        "-q",
    ]
    spirals = str(ROOT / "specs" / "spirals.yaml")
    assert main(["train", spirals, *base]) == 0
    plain = json.loads(capsys.readouterr().out)["train"]
    weighted_loss = "loss={type: binary_cross_entropy, class_weight: [1, 19]}"
    assert main(["train", spirals, *base, "--set", weighted_loss]) == 0
    weighted = json.loads(capsys.readouterr().out)["train"]
    # unweighted, the rare class is mostly ignored; weighted, both classes are found
    assert weighted["recall"] > plain["recall"] + 0.1


@pytest.mark.parametrize(
    "command",
    [
        ["validate", SPEC],
        ["train", SPEC, *SHORT],
        ["gradcheck", SPEC, "--samples", "4"],
        ["summary", SPEC],
        ["plugins"],
        ["plugins", "show", "accuracy"],
        ["evaluate", "MODEL"],
    ],
    ids=lambda c: " ".join(c[:2]),
)
def test_json_leaves_stdout_one_document(command: list[str], model3: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    capsys.readouterr()
    argv = [str(model3) if a == "MODEL" else a for a in command]
    assert main([*argv, "--json"]) == 0
    out = capsys.readouterr().out
    json.loads(out)  # the whole of stdout, not just its last line
    assert out.count("\n") == 1
