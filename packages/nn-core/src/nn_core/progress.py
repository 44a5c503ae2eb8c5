"""What ``nn train`` shows while it trains: log lines, and on a terminal a live bar with throughput and ETA.

The training loop calls :meth:`Progress.step` every few steps of a long
epoch (about 50 times an epoch, see ``progress_every``), never per step and
never through the plugin manager; the bar redraws at most ten times a
second. Nothing is drawn when stderr is not a terminal or with ``-q``: then
the loop is given no step callback at all.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

REDRAW_SECONDS = 0.1
"""Shortest interval between two redraws of the bar."""

BAR_WIDTH = 30


def format_metrics(metrics: dict[str, dict[str, float]]) -> str:
    return "  ".join(
        f"{split} " + " ".join(f"{k} {v:.6f}" if k == "loss" else f"{k} {v:.4f}" for k, v in scores.items())
        for split, scores in metrics.items()
    )


def format_duration(seconds: float) -> str:
    """``7s``, ``3m05s``, ``2h01m``: short enough for a status line."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f}s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def progress_every(steps_per_epoch: int) -> int:
    """Steps between two calls of the step callback: about 50 per epoch, at least every step."""
    return max(1, steps_per_epoch // 50)


class Progress:
    """Log lines at each log interval; on a terminal, a bar below them that moves inside epochs too."""

    def __init__(
        self, total: int, quiet: bool, *, batch_size: int = 1, stream: TextIO | None = None, tty: bool | None = None
    ) -> None:
        self.total = total
        self.quiet = quiet
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.batch_size = batch_size
        self.started = time.perf_counter()
        self.last_draw = 0.0
        self.epoch_started = self.started
        self.epoch_seen = 0
        self.first_epoch_seen: int | None = None

    @property
    def live(self) -> bool:
        """Whether the bar is drawn (the loop gets a step callback only then)."""
        return self.tty and not self.quiet

    def __call__(self, run: Any, metrics: dict[str, dict[str, float]]) -> None:
        if self.quiet:
            return
        epoch = run.epoch
        width = len(str(self.total))
        line = f"epoch {epoch:>{width}}/{self.total}  {format_metrics(metrics)}"
        if self.tty:
            print(f"\r\033[K{line}", file=self.stream)
            self._draw(self._epoch_bar(epoch))
            if epoch >= self.total:
                self.close()
        else:
            print(line, file=self.stream, flush=True)

    def step(self, epoch: int, done: int, steps: int) -> None:
        """``done`` of ``steps`` steps of ``epoch`` are finished (called every few steps)."""
        now = time.perf_counter()
        if epoch != self.epoch_seen:
            self.epoch_seen, self.epoch_started = epoch, now
            if self.first_epoch_seen is None:
                self.first_epoch_seen = epoch
        if now - self.last_draw < REDRAW_SECONDS:
            return
        self.last_draw = now
        elapsed = now - self.epoch_started
        rate = done / elapsed if elapsed > 0 else 0.0  # steps per second in this epoch
        samples = f"{rate * self.batch_size:,.0f} samples/s" if rate else "… samples/s"
        left_in_epoch = (steps - done) / rate if rate else float("nan")
        left_total = left_in_epoch + (self.total - epoch) * steps / rate if rate else float("nan")
        done_cells = int(BAR_WIDTH * done / max(steps, 1))
        bar = f"[{'#' * done_cells}{'.' * (BAR_WIDTH - done_cells)}]"
        eta = f"epoch ETA {format_duration(left_in_epoch)}, run ETA {format_duration(left_total)}" if rate else ""
        width = len(str(self.total))
        self._draw(f"epoch {epoch:>{width}}/{self.total} {bar} {done:,}/{steps:,} steps  {samples}  {eta}")

    def _epoch_bar(self, epoch: int) -> str:
        done = int(BAR_WIDTH * epoch / max(self.total, 1))
        elapsed = time.perf_counter() - self.started
        return f"[{'#' * done}{'.' * (BAR_WIDTH - done)}] {elapsed:5.1f}s"

    def _draw(self, text: str) -> None:
        print(f"\r\033[K{text}", end="", file=self.stream, flush=True)

    def close(self) -> None:
        if self.live:
            print("\r\033[K", end="", file=self.stream, flush=True)
