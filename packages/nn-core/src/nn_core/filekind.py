"""What a path that is not a regular file is, in words, for the one-line refusals of
:mod:`nn_core.inputs` and :mod:`nn_core.outputs` (both refuse devices, FIFOs and directories)."""

from __future__ import annotations

import stat


def special_kind(mode: int) -> str | None:
    """``st_mode`` in words ("a directory", "a device", ...); None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"
