"""README shows what the repository holds, and its commands leave the checkout clean."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_spirals_block_is_the_spec_file() -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", readme, flags=re.S)
    spirals = [b for b in blocks if "name: spirals\n" in b]
    assert spirals == [(ROOT / "specs" / "spirals.yaml").read_text()]


def test_outputs_of_readme_commands_are_ignored_by_git() -> None:
    readme = (ROOT / "README.md").read_text() + (ROOT / "docs" / "plugins.md").read_text()
    written = set(re.findall(r"(?:-o|>) ([\w./-]+\.(?:nn|png|gif|csv|json))", readme))
    written |= set(re.findall(r"--resume ([\w./-]+\.ckpt)", readme))
    assert {"spirals.nn", "spirals-boundary.png", "submission.csv"} <= written
    check = subprocess.run(
        ["git", "check-ignore", "--no-index", *sorted(written)], cwd=ROOT, capture_output=True, text=True
    )
    ignored = set(check.stdout.split())
    assert ignored == written, f"not ignored: {sorted(written - ignored)}"


def test_readme_python_api_block_prints_what_its_comments_say(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    readme = (ROOT / "README.md").read_text()
    block = readme.split("## Python API\n\n```python\n")[1].split("```")[0]
    said = re.search(r"model\.predict\(X\) +# labels of the data's type: (array\(\[[\d, ]+\]\)) here", block)
    assert said is not None, "the predict comment changed; update this test"
    shape = re.search(r"model\.predict_proba\(X\) +#.*shape (\(\d+, \d+\))", block)
    assert shape is not None
    monkeypatch.chdir(tmp_path)
    scope: dict[str, object] = {}
    exec(block.replace('"specs/spirals.yaml"', repr(str(ROOT / "specs" / "spirals.yaml"))), scope)
    model, X = scope["model"], scope["X"]
    expected = eval(said.group(1), {"array": np.array})
    predicted = model.predict(X)  # type: ignore[attr-defined]
    assert predicted.dtype.kind == "i" and predicted.tolist() == expected.tolist()
    assert str(model.predict_proba(X).shape) == shape.group(1)  # type: ignore[attr-defined]
