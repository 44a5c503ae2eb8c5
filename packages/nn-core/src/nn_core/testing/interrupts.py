"""Ctrl-C on cue, for tests of what a run does when it is interrupted.

Register a :class:`CtrlCAt` on the run's plugin manager (``plugins.pm.register``)
and the run receives a real SIGINT at the end of that epoch, exactly as if the
user pressed Ctrl-C: nn's handler turns it into a stop at the next step, a
checkpoint and exit code 130. Tests of checkpoints, resume and callbacks use it
instead of timing a signal from outside.
"""

from __future__ import annotations

import os
import signal
from typing import Any

from nn_core.hookspecs import hookimpl


class CtrlCAt:
    """Presses Ctrl-C at the end of epoch ``epoch``: the run stops at the next step."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    @hookimpl
    def nn_epoch_end(self, run: Any, epoch: int, metrics: Any) -> None:
        if epoch == self.epoch:
            os.kill(os.getpid(), signal.SIGINT)
