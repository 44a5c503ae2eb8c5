"""From trial records to results: one row per trial (folds averaged), ranked by the objective."""

from __future__ import annotations

import math
import statistics
from typing import Any


def objective_value(record: dict[str, Any], metric: str) -> float | None:
    split, _, name = metric.partition(".")
    value = (record.get("metrics") or {}).get(split, {}).get(name)
    return float(value) if isinstance(value, (int, float)) else None


def summarize(records: list[dict[str, Any]], metric: str, mode: str) -> list[dict[str, Any]]:
    """Per trial: overrides, objective mean and sd over folds, status; best first, failures last."""
    by_trial: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_trial.setdefault(record["spec_hash"], []).append(record)
    rows = []
    for digest, group in by_trial.items():
        group.sort(key=lambda r: r.get("fold") or 0)
        failed = [r for r in group if r.get("status") != "ok"]
        values = [objective_value(r, metric) for r in group if r.get("status") == "ok"]
        present = [v for v in values if v is not None]
        row: dict[str, Any] = {
            "spec_hash": digest,
            "overrides": group[0].get("overrides", {}),
            "status": "ok" if not failed else failed[0].get("status", "error"),
            "folds": len(group),
            "seconds": round(sum(float(r.get("seconds") or 0) for r in group), 3),
            "models": [r["model"] for r in group if r.get("status") == "ok" and r.get("model")],
        }
        if failed:
            row["reason"] = failed[0].get("reason", "")
        elif len(present) != len(group):
            row["status"] = "failed"
            row["reason"] = f"the trial's metrics have no {metric}"
        else:
            row["objective"] = statistics.fmean(present)
            row["objective_sd"] = statistics.stdev(present) if len(present) > 1 else 0.0
        rows.append(row)
    sign = -1.0 if mode == "max" else 1.0

    def order(row: dict[str, Any]) -> tuple[int, float, str]:
        # ties (and failures) by spec hash: the ranking never depends on which trial finished first
        value = row.get("objective")
        if value is None or not math.isfinite(value):
            return (1, 0.0, row["spec_hash"])
        return (0, sign * value, row["spec_hash"])

    rows.sort(key=order)
    for rank, row in enumerate(rows, 1):
        row["rank"] = rank
    return rows


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _score(value: float) -> str:
    """Four significant digits: a loss of 3e-06 must not print as 0.0000 beside one of 0.0014."""
    return f"{value:.4g}"


def table(rows: list[dict[str, Any]], metric: str, folds: int | None) -> str:
    """A ranked text table; failed trials last, with their reason."""
    params = sorted({p for row in rows for p in row["overrides"]})
    header = ["rank", "trial", metric + (" (mean ± sd)" if folds else ""), *params, "seconds", "status"]
    lines = [header]
    for row in rows:
        if "objective" in row:
            score = _score(row["objective"]) + (f" ± {_score(row['objective_sd'])}" if folds else "")
        else:
            score = "-"
        status = row["status"] if row["status"] == "ok" else f"{row['status']}: {row.get('reason', '')}"
        values = [_cell(row["overrides"].get(p, "")) for p in params]
        lines.append([str(row["rank"]), row["spec_hash"][:10], score, *values, f"{row['seconds']:.1f}", status])
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    out = ["  ".join(c.ljust(w) for c, w in zip(line[:-1], widths, strict=True)) + "  " + line[-1] for line in lines]
    out.insert(1, "  ".join("-" * w for w in widths) + "  " + "-" * 6)
    return "\n".join(out)
