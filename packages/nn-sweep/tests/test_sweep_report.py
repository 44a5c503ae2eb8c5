"""The ranked table tells small objectives apart."""

from __future__ import annotations

from nn_sweep.report import summarize, table


def _record(key: str, loss: float) -> dict[str, object]:
    return {
        "key": key,
        "spec_hash": key,
        "overrides": {"optimizer.lr": 0.1},
        "fold": None,
        "status": "ok",
        "metrics": {"dev": {"loss": loss}},
        "seconds": 1.0,
    }


def test_tiny_losses_keep_their_significant_digits() -> None:
    rows = summarize([_record("a" * 16, 3.2e-06), _record("b" * 16, 0.0014)], "dev.loss", "min")
    lines = table(rows, "dev.loss", None).splitlines()
    assert lines[2].split()[:3] == ["1", "a" * 10, "3.2e-06"]
    assert lines[3].split()[:3] == ["2", "b" * 10, "0.0014"]


def test_the_summary_line_counts_runs_not_trials_under_cv() -> None:
    from nn_sweep.commands import ran_words

    assert ran_words(1, None) == "1 trial"
    assert ran_words(8, None) == "8 trials"
    assert ran_words(200, 200) == "200 runs (each trial once per fold, 200 folds)"
