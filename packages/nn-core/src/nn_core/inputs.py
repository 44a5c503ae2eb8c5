"""Files nn reads from a user: regular files only, checked before a blocking open.

Opening a FIFO for reading blocks until a writer appears, and reading
``/dev/zero`` or ``/dev/urandom`` never ends: ``nn predict M /dev/zero`` once
grew to 18 GB. :func:`check_input_file` refuses anything but a regular file
(and, where the reader takes one, a directory) from its ``stat``, before any
``open``; :func:`open_input` opens it without blocking and checks again on the
open descriptor, so a path swapped in between is refused too.
"""

from __future__ import annotations

import os
import stat
from typing import IO

from nn_core.errors import DataError
from nn_core.filekind import special_kind


def check_input_file(path: str | os.PathLike[str], what: str = "input file", *, directory_ok: bool = False) -> None:
    """Raise :class:`DataError` unless ``path`` is an existing regular file (or a directory, if allowed)."""
    text = os.fspath(path)
    if text == "":
        raise DataError(f"{what} is empty; name a file")
    try:
        mode = os.stat(text).st_mode
    except FileNotFoundError:
        raise DataError(f"{what} not found: {text}") from None
    except OSError as exc:
        raise DataError(f"{what} {text}: cannot read it ({exc.strerror})") from None
    if stat.S_ISREG(mode) or (directory_ok and stat.S_ISDIR(mode)):
        return
    raise DataError(f"{what} {text} is {special_kind(mode)}, not a regular file")


def open_input(path: str | os.PathLike[str], what: str = "input file", **text: str) -> IO[str]:
    """Open a regular file for reading as text (``open``'s keyword arguments) without ever blocking."""
    check_input_file(path, what)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise DataError(f"{what} {os.fspath(path)} is {special_kind(mode)}, not a regular file")
        os.set_blocking(fd, True)
        return open(fd, **text)  # type: ignore[call-overload]  # noqa: SIM115 (the caller closes it)
    except BaseException:
        os.close(fd)
        raise


def refuse_special_file(path: str | os.PathLike[str]) -> None:
    """Raise :class:`DataError` if ``path`` exists and is not a regular file; a missing one is the caller's to report.

    Call it before ``open``: opening a FIFO for reading blocks until a writer comes.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return
    if not stat.S_ISREG(mode):
        raise DataError(f"{os.fspath(path)} is {special_kind(mode)}, not a regular file")
