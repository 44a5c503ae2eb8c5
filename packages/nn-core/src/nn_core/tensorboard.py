"""``training.log: runs/NAME/`` (a directory): TensorBoard event files, watched with ``tensorboard --logdir runs``.

Written through tensorboardX (a small, maintained writer with no TensorFlow
or torch dependency), an optional extra: ``pip install tensorboardX`` (or
``nn-core[tensorboard]``). Every logged epoch adds one scalar per split and
metric, tagged ``loss/train``, ``accuracy/dev`` ..., so TensorBoard draws
train and dev of a metric on one chart, plus the learning rate (``lr``) of
step optimizers. A resumed run rewrites the history it resumes from, so the
curves stay whole.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from nn_core.errors import NNError
from nn_core.hookspecs import hookimpl


def is_tensorboard_dir(log: str) -> bool:
    """A ``training.log`` that names a directory (a trailing slash) is a TensorBoard log."""
    return log.endswith(("/", os.sep))


def writer_class(logdir: str) -> Any:
    """tensorboardX's SummaryWriter, or a one-line error saying how to install it."""
    try:
        from tensorboardX import SummaryWriter  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError:
        raise NNError(
            f"training.log: {logdir} is a directory, for TensorBoard event files, which needs tensorboardX: "
            "pip install tensorboardX (or nn-core[tensorboard])"
        ) from None
    return SummaryWriter


class TensorBoardLogger:
    """Writes each logged epoch's metrics as TensorBoard scalars into ``logdir``."""

    def __init__(self, logdir: str) -> None:
        bare = logdir.rstrip("/" + os.sep) or logdir
        if os.path.exists(bare) and not os.path.isdir(bare):
            raise NNError(f"training.log: {logdir} ends with '/' (a TensorBoard directory) but is a file")
        self.logdir = logdir
        self.writer_class = writer_class(logdir)  # before training: a missing tensorboardX fails at once
        self.writer: Any = None
        self.failed = False

    def _write(self, run: Any, row: dict[str, Any]) -> None:
        if self.writer is None or self.failed:
            return
        epoch = int(row["epoch"])
        try:
            for split, scores in row.items():
                if isinstance(scores, dict):
                    for metric, value in scores.items():
                        self.writer.add_scalar(f"{metric}/{split}", float(value), epoch)
            lr = getattr(run.experiment.optimizer, "lr", None)
            if isinstance(lr, (int, float)):
                self.writer.add_scalar("lr", float(lr), epoch)
            self.writer.flush()
        except OSError as exc:
            self.failed = True
            print(
                f"nn: warning: training.log: cannot write {self.logdir} ({exc.strerror or exc}) at epoch {epoch}; "
                "training continues, the log stops here",
                file=sys.stderr,
            )

    @hookimpl
    def nn_train_start(self, run: Any) -> None:
        try:
            os.makedirs(self.logdir, exist_ok=True)
        except OSError as exc:
            raise NNError(f"training.log: cannot create {self.logdir}: {exc.strerror or exc}") from None
        self.writer = self.writer_class(logdir=self.logdir)
        for row in run.history:
            self._write(run, row)

    @hookimpl
    def nn_epoch_end(self, run: Any, epoch: int, metrics: Any) -> None:
        if metrics is not None:
            self._write(run, run.history[-1])

    @hookimpl
    def nn_train_end(self, run: Any) -> None:
        self.close()

    def close(self) -> None:
        if self.writer is not None:
            writer, self.writer = self.writer, None
            writer.close()
